#pragma once
#include "models/config/arch_config.hpp"
#include "models/cost/layer_result.hpp"
#include "models/mapping/schedule.hpp"
#include "models/quant/quantized_network.hpp"
#include "models/workload/workload.hpp"

namespace kq {

/// Cycles and counters of one layer in closed form from its Schedule, with the timing rules
/// the SystemC model implements structurally (docs/MODEL.md §Timing):
///   load(s) issues when fold s − prefetch_depth has finished computing (at 0 for the first);
///   compute(s) starts when load(s) is done, compute(s−1) is done and store(s − output_depth)
///   is done; store(s) issues when compute(s) ends;
///   DRAM serves requests in issue order (at equal times: load before store); a request of b
///   bytes issued at t is done at max(t + latency, previous done) + ceil(b / bandwidth);
///   zero-byte requests are done when issued. The layer ends when its last store is done.
/// `kcnn`: the layer's quantized weights on a kcnn_bitplane design (nullptr otherwise).
/// `codebook_prefetched`: the layer's codebook was fetched by the previous KQ layer;
/// `prefetch_bits`: the next KQ layer's codebook this layer fetches at its start
/// (codebook_prefetch_plan).
LayerCost analytic_layer(const Layer& layer, const ArchConfig& arch,
                         const KcnnLayerWeights* kcnn = nullptr, const KqLayerWeights* kq = nullptr,
                         bool codebook_prefetched = false, uint64_t prefetch_bits = 0);
NetworkCost analytic_network(const Workload& w, const ArchConfig& arch,
                             const QuantizedNetwork* quantized = nullptr);

/// The network's totals only (no per-layer entries, no strings): what a design-space sweep
/// needs per point. Equal to analytic_network(...).totals.
ActionCounts analytic_network_totals(const Workload& w, const ArchConfig& arch,
                                     const QuantizedNetwork* quantized = nullptr);

/// The same rules applied to every fold in turn: the reference the closed form above is
/// tested against (tests/unit/fold_program_test.cpp). analytic_layer evaluates runs of
/// identical folds in closed form (models/cost/fold_program.hpp) and gives identical results;
/// its cost grows with the distinct folds of a layer, not with their number.
LayerCost analytic_layer_fold_by_fold(const Layer& layer, const ArchConfig& arch,
                                      const KcnnLayerWeights* kcnn = nullptr,
                                      const KqLayerWeights* kq = nullptr,
                                      bool codebook_prefetched = false, uint64_t prefetch_bits = 0);
NetworkCost analytic_network_fold_by_fold(const Workload& w, const ArchConfig& arch,
                                          const QuantizedNetwork* quantized = nullptr);
/// One layer's counters from its Schedule by the fold-by-fold recurrence.
ActionCounts analytic_counts_fold_by_fold(const Schedule& sched, const ArchConfig& arch,
                                          uint64_t prefetch_bits);

}  // namespace kq
