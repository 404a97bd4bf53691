#pragma once
#include <array>
#include <cstdint>

#include "models/config/arch_config.hpp"

namespace kq {

/// What the timing rules read of a fold: its compute cycles, the DRAM bytes it needs before it
/// may start and the bytes it writes when it ends.
struct FoldTiming {
  uint64_t compute_cycles = 0, read_bytes = 0, write_bytes = 0;
  bool operator==(const FoldTiming& o) const {
    return compute_cycles == o.compute_cycles && read_bytes == o.read_bytes &&
           write_bytes == o.write_bytes;
  }
};

/// The timing rules of docs/MODEL.md §3 (those of analytic_layer_fold_by_fold) as a stream:
/// folds are pushed in order, and fold s is timed when fold s + prefetch_depth arrives (its
/// load is issued when fold s ends) or at finish().
///
/// Once past the first folds, the rules only add and take maxima of times, so shifting every
/// time of the state by d shifts everything that follows by d. A state is therefore described,
/// for everything to come, by its times relative to the last compute end, where a time at or
/// before that end is as good as the end itself (every later comparison is against a later
/// time): `snapshot()`. If the snapshots before and after a run of folds are equal, every
/// further identical run advances the state by the same cycles, and `skip()` jumps over any
/// number of them exactly.
class FoldTimeline {
 public:
  /// `prefetch_bytes`: a transfer served at time 0 behind the loads of the first folds (the
  /// next KQ layer's codebook, codebook_prefetch_plan).
  void start(const DramSpec& dram, uint64_t folds, uint32_t prefetch_depth, uint32_t output_depth,
             uint64_t prefetch_bytes);
  void push(const FoldTiming& f);
  /// Times the folds still waiting for a successor; call once, after the last push.
  void finish();

  uint64_t compute_end() const { return compute_end_; }
  /// When the layer ends: its last compute and every DRAM request done.
  uint64_t end() const { return compute_end_ > last_done_ ? compute_end_ : last_done_; }
  uint64_t pushed() const { return pushed_; }

  /// Relative state; equal snapshots mean equal futures up to a shift of all times.
  struct Snapshot {
    std::array<uint64_t, 10> v{};
    bool operator==(const Snapshot& o) const {
      // The relative times (last entries) differ most often: compare from the back.
      for (size_t i = v.size(); i > 0; --i)
        if (v[i - 1] != o.v[i - 1]) return false;
      return true;
    }
  };
  /// Past the first folds (whose loads issue at time 0 and whose computes need no earlier
  /// store): only then is the rest of the stream shift-invariant.
  bool steady() const { return pushed_ >= prefetch_depth_ && computed_ >= output_depth_; }
  Snapshot snapshot() const;
  /// Advances a steady state by `folds` folds taking `cycles` cycles in all, as established by
  /// equal snapshots around one run of them.
  void skip(uint64_t folds, uint64_t cycles);
  /// Sets a steady state to `s` relative to compute end `end`, `folds` folds further on: what a
  /// run of folds ends in when an identical run from an equal snapshot ended in `s`.
  void restore(const Snapshot& s, uint64_t end, uint64_t folds);

 private:
  struct Waiting {
    uint64_t compute_cycles = 0, write_bytes = 0, load_done = 0;
  };
  uint64_t serve(uint64_t issue, uint64_t bytes) {
    // In-order link with pipelined latency; zero-byte requests are done when issued.
    if (bytes == 0 || ideal_) return issue;
    last_done_ = (issue + latency_ > last_done_ ? issue + latency_ : last_done_) +
                 (bytes + bandwidth_ - 1) / bandwidth_;
    return last_done_;
  }
  Waiting pop();
  void compute_and_store(const Waiting& w);

  bool ideal_ = false;
  uint64_t latency_ = 0, bandwidth_ = 1;
  uint64_t folds_ = 0, prefetch_bytes_ = 0;
  uint32_t prefetch_depth_ = 1, output_depth_ = 1;
  uint64_t pushed_ = 0, computed_ = 0;
  uint64_t compute_end_ = 0, last_done_ = 0;
  /// Folds pushed but not yet timed (at most prefetch_depth ≤ 2), oldest at head_.
  std::array<Waiting, 2> waiting_{};
  uint32_t head_ = 0, waiting_count_ = 0;
  /// Store completions of the last two timed folds, latest first.
  uint64_t store_done_1_ = 0, store_done_2_ = 0;
};

}  // namespace kq
