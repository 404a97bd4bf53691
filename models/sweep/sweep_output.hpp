#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/sweep/sweep_record.hpp"

namespace kq {

/// The output folder of a sweep, which is also its checkpoint (docs/SWEEP.md):
///   sweep.json      the manifest: what the results are of (spec, inputs and their hashes,
///                   points); a folder with another manifest is never touched
///   results.jsonl   one record per (point, workload), appended as points finish
///   results.csv     the same rows as CSV
/// Opening a folder that holds the same sweep resumes it: the records of points whose every
/// workload is on disk are kept, anything else (a line cut short by a kill, a point with only
/// some of its workloads) is dropped and evaluated again, so no finished point is lost or
/// duplicated. finalize() rewrites both files in point order, so a threaded, a distributed and
/// a resumed run end with the same bytes.
class SweepOutput {
 public:
  using CsvRow = std::function<std::string(const nlohmann::ordered_json&)>;
  /// Throws InputError(dir, ...) for a folder that is not this sweep's, std::runtime_error on
  /// I/O failure.
  SweepOutput(const std::string& dir, const std::string& manifest, std::string csv_header,
              CsvRow csv_row, uint64_t points, std::vector<std::string> workloads);
  ~SweepOutput();

  /// Per point: all its records are already on disk.
  const std::vector<bool>& done() const { return done_; }
  uint64_t resumed_points() const { return resumed_; }
  /// Lines dropped while resuming (incomplete tail, points with missing workloads).
  uint64_t dropped_lines() const { return dropped_; }

  /// Appends one point's records (each JSONL line without its newline, each CSV row with
  /// one, and their digests); buffered, written in batches of whole points. Thread-safe.
  void add(const std::vector<std::string>& jsonl, const std::vector<std::string>& csv,
           std::vector<RecordDigest> digests);
  void flush();
  /// Flushes, rewrites results.jsonl and results.csv sorted by (point, workload order) and
  /// returns the digests of all records in that order.
  std::vector<RecordDigest> finalize();
  /// Writes DIR/name atomically (a temporary file renamed into place).
  void write_file(const std::string& name, const std::string& text) const;
  const std::string& dir() const { return dir_; }

 private:
  void flush_locked();
  std::vector<std::string> read_lines(bool& cut_short) const;

  std::string dir_;
  std::string csv_header_;
  CsvRow csv_row_;
  uint64_t points_;
  std::vector<std::string> workloads_;
  std::vector<bool> done_;
  uint64_t resumed_ = 0, dropped_ = 0;
  std::mutex mutex_;
  std::string jsonl_buffer_, csv_buffer_;
  /// One per line of results.jsonl, in file order (kept lines, then appended ones).
  std::vector<RecordDigest> digests_;
  std::chrono::steady_clock::time_point last_flush_;
  int jsonl_fd_ = -1, csv_fd_ = -1;
};

}  // namespace kq
