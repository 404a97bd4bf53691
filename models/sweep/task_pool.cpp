#include "models/sweep/task_pool.hpp"

#include <algorithm>

namespace kq {

std::vector<uint64_t> TaskPool::take(unsigned consumers, size_t max_chunk) {
  std::lock_guard<std::mutex> lock(mutex_);
  const size_t left = pending_.size() - next_;
  const size_t n =
      std::min({left, max_chunk, std::max<size_t>(1, left / (2 * std::max(1u, consumers)))});
  std::vector<uint64_t> out(pending_.begin() + static_cast<ptrdiff_t>(next_),
                            pending_.begin() + static_cast<ptrdiff_t>(next_ + n));
  next_ += n;
  return out;
}

size_t TaskPool::remaining() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pending_.size() - next_;
}

}  // namespace kq
