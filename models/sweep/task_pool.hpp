#pragma once
#include <cstdint>
#include <mutex>
#include <vector>

namespace kq {

/// The points still to evaluate, handed out in chunks to whoever asks (local threads, MPI
/// ranks): guided self-scheduling, each chunk a share of what is left, so workers start with
/// large chunks (little overhead) and end with small ones (nobody idles while another still
/// holds a queue). Thread-safe.
class TaskPool {
 public:
  explicit TaskPool(std::vector<uint64_t> pending) : pending_(std::move(pending)) {}
  /// Up to `max_chunk` points: 1/(2·consumers) of those left, at least one; empty when none
  /// remain.
  std::vector<uint64_t> take(unsigned consumers, size_t max_chunk);
  size_t remaining() const;

 private:
  mutable std::mutex mutex_;
  std::vector<uint64_t> pending_;
  size_t next_ = 0;
};

}  // namespace kq
