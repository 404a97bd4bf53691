#pragma once
// Pieces of the closed-form analytic model shared by analytic_model.cpp and the sweep's
// AnalyticCache (analytic_cache.cpp): how a layer's counters follow from its folds' sums and
// the timing of its fold stream.
#include <cstdint>

#include "models/config/arch_config.hpp"
#include "models/cost/action_counts.hpp"
#include "models/cost/fold_program.hpp"
#include "models/cost/fold_timeline.hpp"
#include "models/mapping/schedule.hpp"

namespace kq::layer_timing {

/// The codebook a layer fetches for the next KQ layer lands in the codebook SRAM.
void count_codebook_prefetch(ActionCounts& c, const BufferSpec& codebook, uint64_t prefetch_bits);

/// Unit cycles from the layer's end, its last compute end and the busy cycles of its units.
void set_unit_cycles(ActionCounts& c, bool on_array, uint64_t end, uint64_t compute_end,
                     uint64_t busy, uint64_t mult_busy, uint64_t dram_busy);

/// What a layer's counters need besides its folds.
struct LayerShape {
  bool on_array = false;
  uint64_t folds = 0;
  uint32_t prefetch_depth = 1, output_depth = 1;
  uint64_t prefetch_bits = 0;  ///< the next KQ layer's codebook, fetched at this layer's start
};
LayerShape shape_of(const Schedule& sched, uint64_t prefetch_bits);

/// A layer's counters from its compressed fold program (`totals` = program.totals(dram)),
/// timing it on `timeline`.
void program_counts(const FoldProgram& program, const FoldTotals& totals, const LayerShape& s,
                    const ArchConfig& arch, FoldTimeline& timeline, ActionCounts& c);
/// A layer of one fold (a vector-unit layer).
void single_fold_counts(const Step& step, const LayerShape& s, const ArchConfig& arch,
                        FoldTimeline& timeline, ActionCounts& c);

}  // namespace kq::layer_timing
