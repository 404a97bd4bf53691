#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/sweep/design_space.hpp"
#include "models/sweep/sweep_evaluator.hpp"
#include "models/sweep/sweep_output.hpp"
#include "models/sweep/sweep_spec.hpp"
#include "models/sweep/task_pool.hpp"

namespace kq {

/// One point's records: JSONL lines (no newline), CSV rows (with one) and digests.
struct PointRecords {
  std::vector<std::string> jsonl, csv;
  std::vector<RecordDigest> digests;
};

/// CPU time of this process so far (all threads), seconds.
double process_cpu_seconds();

struct SweepOptions {
  std::string spec_path;
  std::string out_dir;
  unsigned jobs = 1;        ///< compute threads of this process
  uint64_t verify_top = 0;  ///< K best designs per objective re-run with the cycle model
  bool quiet = false;
};

/// Points handed out per request: large enough that a request costs little next to its
/// work (a ResNet-18 point is ~0.1 ms), small enough to balance the end of a sweep.
inline constexpr size_t kMaxChunk = 256;

/// What every process of a sweep holds (each MPI rank builds its own from the same files): the
/// spec, its points and the evaluator with its caches.
class SweepSession {
 public:
  /// Throws InputError for a bad spec, base design or workload.
  explicit SweepSession(const SweepOptions& options);

  const SweepOptions& options() const { return options_; }
  const SweepSpec& spec() const { return spec_; }
  const DesignSpace& space() const { return *space_; }
  std::vector<std::string> workload_names() const;
  /// What the results are of: the spec, base design, workloads and weights with their hashes,
  /// the number of points and the tool version (DIR/sweep.json).
  std::string manifest() const;
  /// Evaluates point p.
  void evaluate(uint64_t p, PointRecords& out);
  /// Fits the quantized weights the points need, on `jobs` threads (SweepEvaluator::prefit).
  void prefit(const std::vector<uint64_t>& points, unsigned jobs) {
    evaluator_->prefit(points, jobs);
  }
  /// Opens (or resumes) the output folder.
  std::unique_ptr<SweepOutput> open_output() const;
  /// After the last point: final sorted files, pareto.csv, --verify-top runs, summary.md, and
  /// the outcome on stdout (with the evaluation's wall and CPU seconds: points per
  /// CPU-second do not depend on what else the machine runs). Returns the exit code.
  int finish(SweepOutput& out, uint64_t evaluated, double seconds, double cpu_seconds);

 private:
  SweepOptions options_;
  SweepSpec spec_;
  std::unique_ptr<DesignSpace> space_;
  std::unique_ptr<SweepEvaluator> evaluator_;
};

/// Receives one evaluated point's records.
using PointSink = std::function<void(uint64_t point, PointRecords&& records)>;

/// Evaluates the pool's points on `jobs` threads of this process, each taking chunks as it
/// goes (`consumers`: how many take from the pool in all, for chunk sizing). `between_points`,
/// if given, runs on the calling thread (one of the `jobs`) after each of its points: MPI rank
/// 0 answers its workers there.
void run_threads(SweepSession& session, TaskPool& pool, unsigned jobs, unsigned consumers,
                 const PointSink& sink, const std::function<void()>& between_points = {});

}  // namespace kq
