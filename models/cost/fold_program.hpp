#pragma once
#include <cstdint>
#include <vector>

#include "models/cost/action_counts.hpp"
#include "models/cost/fold_timeline.hpp"
#include "models/mapping/schedule.hpp"

namespace kq {

/// Sums over all folds of a layer (each distinct fold counted once, times how often it runs).
struct FoldTotals {
  ActionCounts actions;  ///< arithmetic, buffer and register actions
  uint64_t dram_read_bytes = 0, dram_write_bytes = 0;
  uint64_t array_busy_cycles = 0, multiplier_busy_cycles = 0;
  uint64_t dram_busy_cycles = 0;  ///< transfer cycles of the folds' requests
  uint64_t folds = 0;
};

/// A layer's fold sequence compressed into a DAG of runs, built from Schedule::fold_nest():
/// a leaf is one distinct fold (its Step computed once, at a representative index), a
/// sequence lists children in order, a repeat runs its child `count` times. Each level's
/// class sequence becomes literals and repeats of a period (the nest's hint, or 1), and every
/// subtree is shared by all positions with the same classes.
///
/// run() feeds the folds in order to a FoldTimeline; a repeat evaluates its child until the
/// timeline's snapshot recurs (period 1 or 2) and skips the remaining iterations exactly, so
/// the cost follows the number of distinct folds and runs, not the number of folds. The
/// result equals timing every fold (tests/unit/fold_program_test.cpp).
///
/// One object is meant to be reused (one per thread): build() keeps its buffers' capacity.
class FoldProgram {
 public:
  /// False when the layer's folds have no class structure (FoldNest::structured); then the
  /// caller evaluates them one by one.
  bool build(const Schedule& sched);
  void run(FoldTimeline& timeline) const;
  FoldTotals totals(const DramSpec& dram) const;
  /// FoldTotals::dram_busy_cycles alone, for another DRAM (cheap once totals() has run).
  uint64_t dram_busy_cycles(const DramSpec& dram) const;
  /// Releases what only build() needs (memo tables, class sequences), for a program kept
  /// to be run again later (AnalyticCache).
  void compact();
  uint64_t folds() const;
  size_t distinct_folds() const { return leaves_.size(); }

 private:
  enum class Kind : uint8_t { leaf, seq, repeat };
  struct Node {
    Kind kind = Kind::leaf;
    uint32_t a = 0;      ///< leaf: leaf index; seq: first child in children_; repeat: child
    uint32_t b = 0;      ///< seq: number of children
    uint64_t count = 1;  ///< repeat: iterations
    uint64_t folds = 0;  ///< folds the node runs
  };
  struct Leaf {
    FoldTiming timing;
    Step step;
  };
  /// A level's class sequence from some index on, as items: indices start..start+period−1,
  /// repeated count times (period 1, count 1: a literal).
  struct Item {
    uint64_t start = 0, period = 1, count = 1;
  };
  struct MemoEntry {
    uint64_t key = 0;
    uint32_t node = 0;
    uint32_t stamp = 0;
  };

  void compress(int level, uint64_t from, std::vector<Item>& out) const;
  uint32_t subtree(int level, uint64_t g, const uint64_t* index, bool first);
  uint32_t add_node(const Node& n);
  uint32_t seq_of(const std::vector<uint32_t>& kids, size_t begin);
  uint32_t* memo_slot(uint64_t key);
  uint32_t* slot_of(int level, const uint64_t* index, bool first);
  void run_node(uint32_t id, FoldTimeline& t) const;
  void run_repeat(const Node& n, FoldTimeline& t) const;

  const Schedule* sched_ = nullptr;
  FoldNest nest_;
  std::vector<Node> nodes_;
  std::vector<uint32_t> children_;
  std::vector<Leaf> leaves_;
  /// Items of each level over the whole sequence and from index 1 (after a first index).
  std::array<std::vector<Item>, 3> items_all_, items_rest_;
  std::vector<uint32_t> scratch_;
  struct DenseEntry {
    uint32_t stamp = 0;
    uint32_t node = 0;
  };
  std::array<uint64_t, 3> distinct_{};      ///< class count per level
  std::array<uint64_t, 4> dense_offset_{};  ///< start of each level's block in dense_
  std::vector<DenseEntry> dense_;
  std::vector<MemoEntry> memo_;
  size_t memo_count_ = 0;
  uint32_t stamp_ = 0;
  mutable std::vector<uint64_t> runs_;       ///< totals(): how often each node runs
  mutable std::vector<uint64_t> leaf_runs_;  ///< totals(): how often each leaf runs
  uint32_t root_ = 0;
};

}  // namespace kq
