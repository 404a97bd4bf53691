#include "models/cost/analytic_model.hpp"

#include <algorithm>
#include <array>

#include "models/cost/fold_program.hpp"
#include "models/cost/fold_timeline.hpp"
#include "models/cost/layer_timing.hpp"
#include "models/mapping/codebook_prefetch.hpp"

namespace kq {
namespace {

using layer_timing::count_codebook_prefetch;
using layer_timing::set_unit_cycles;

uint64_t ceil_div(uint64_t a, uint64_t b) {
  return (a + b - 1) / b;
}

/// In-order DRAM link with pipelined latency.
struct DramLink {
  bool ideal = false;
  uint64_t latency = 0, bandwidth = 1, last_done = 0, busy = 0;
  uint64_t serve(uint64_t issue, uint64_t bytes) {
    if (bytes == 0 || ideal) return issue;
    const uint64_t xfer = ceil_div(bytes, bandwidth);
    last_done = std::max(issue + latency, last_done) + xfer;
    busy += xfer;
    return last_done;
  }
};

/// The recurrence of the timing rules over every fold of the layer, one at a time.
void fold_by_fold_counts(const Schedule& sched, const ArchConfig& arch, uint64_t prefetch_bits,
                         ActionCounts& c) {
  DramLink dram{arch.dram.ideal, arch.dram.latency_cycles, arch.dram.bandwidth_bytes_per_cycle};
  const uint64_t n = sched.num_steps();
  const uint32_t pf = sched.prefetch_depth(), ob = sched.output_depth();
  // Ring buffers of the last few fold times: loads run up to pf folds ahead, stores up to ob
  // folds behind, so depth 4 is enough.
  constexpr uint64_t kRing = 4;
  std::array<uint64_t, kRing> load_done{}, store_done{};
  std::array<Step, kRing> ahead;  // steps whose load is already issued
  for (uint64_t s = 0; s < std::min<uint64_t>(pf, n); ++s) {
    ahead[s % kRing] = sched.step(s);
    load_done[s % kRing] = dram.serve(0, ahead[s % kRing].dram_read_bytes);
  }
  if (prefetch_bits) {
    // The next KQ layer's codebook, into the codebook SRAM's free half, behind the first loads.
    dram.serve(0, ceil_div(prefetch_bits, 8));
    count_codebook_prefetch(c, arch.buffer(BufferId::codebook), prefetch_bits);
  }
  uint64_t compute_end = 0, busy = 0, mult_busy = 0;
  for (uint64_t s = 0; s < n; ++s) {
    const Step& st = ahead[s % kRing];
    uint64_t start = std::max(load_done[s % kRing], compute_end);
    if (s >= ob) start = std::max(start, store_done[(s - ob) % kRing]);
    compute_end = start + st.compute_cycles();
    busy += st.array_busy_cycles;
    mult_busy += st.multiplier_busy_cycles;
    c += st.actions;
    c.dram_read_bytes += st.dram_read_bytes;
    c.dram_write_bytes += st.dram_write_bytes;
    const uint64_t write_bytes = st.dram_write_bytes;
    if (s + pf < n) {
      ahead[(s + pf) % kRing] = sched.step(s + pf);
      load_done[(s + pf) % kRing] =
          dram.serve(compute_end, ahead[(s + pf) % kRing].dram_read_bytes);
    }
    store_done[s % kRing] = dram.serve(compute_end, write_bytes);
  }
  const uint64_t end = std::max(compute_end, dram.last_done);
  set_unit_cycles(c, sched.on_array(), end, compute_end, busy, mult_busy, dram.busy);
}

/// Per-thread scratch of the closed-form evaluation: its buffers keep their capacity from
/// layer to layer and design to design, so a sweep allocates only while they grow.
struct Workspace {
  FoldProgram program;
  FoldTimeline timeline;
};

Workspace& workspace() {
  thread_local Workspace ws;
  return ws;
}

/// The same counts from the layer's runs of identical folds (FoldProgram).
void closed_form_counts(const Schedule& sched, const ArchConfig& arch, uint64_t prefetch_bits,
                        ActionCounts& c) {
  Workspace& ws = workspace();
  const layer_timing::LayerShape shape = layer_timing::shape_of(sched, prefetch_bits);
  if (!sched.on_array()) {  // one fold: nothing to compress
    layer_timing::single_fold_counts(sched.step(0), shape, arch, ws.timeline, c);
    return;
  }
  if (!ws.program.build(sched)) {
    fold_by_fold_counts(sched, arch, prefetch_bits, c);
    return;
  }
  layer_timing::program_counts(ws.program, ws.program.totals(arch.dram), shape, arch, ws.timeline,
                               c);
}

using CountsFn = void (*)(const Schedule&, const ArchConfig&, uint64_t, ActionCounts&);

LayerCost layer_cost(const Layer& layer, const ArchConfig& arch, const KcnnLayerWeights* kcnn,
                     const KqLayerWeights* kq, bool codebook_prefetched, uint64_t prefetch_bits,
                     CountsFn counts) {
  Schedule sched(layer, arch, kcnn, kq);
  sched.set_codebook_prefetched(codebook_prefetched);
  LayerCost lc;
  lc.name = layer.name;
  lc.type = std::string(to_string(layer.type));
  lc.steps = sched.num_steps();
  lc.macs = layer.macs();
  lc.scalesim_cycles = sched.scalesim_cycles();
  counts(sched, arch, prefetch_bits, lc.counts);
  return lc;
}

/// Which KQ layers find their codebook already fetched, and how many bits each layer fetches
/// for the next one (codebook_prefetch_plan).
struct PrefetchPlan {
  std::vector<bool> prefetched;
  std::vector<uint64_t> bits;
};

PrefetchPlan prefetch_plan(const Workload& w, const ArchConfig& arch,
                           const QuantizedNetwork* quantized) {
  PrefetchPlan p;
  p.prefetched.assign(w.layers.size(), false);
  p.bits.assign(w.layers.size(), 0);
  if (!arch.kq) return p;
  const std::vector<int> plan = codebook_prefetch_plan(w, arch);
  for (size_t i = 0; i < plan.size(); ++i) {
    if (plan[i] < 0) continue;
    const size_t t = static_cast<size_t>(plan[i]);
    p.prefetched[t] = true;
    p.bits[i] = Schedule(w.layers[t], arch, nullptr, quantized ? quantized->kq_layer(t) : nullptr)
                    .codebook_bits();
  }
  return p;
}

NetworkCost network_cost(const Workload& w, const ArchConfig& arch,
                         const QuantizedNetwork* quantized, CountsFn counts) {
  NetworkCost nc;
  nc.layers.reserve(w.layers.size());
  const PrefetchPlan plan = prefetch_plan(w, arch, quantized);
  for (size_t i = 0; i < w.layers.size(); ++i) {
    nc.layers.push_back(layer_cost(
        w.layers[i], arch, quantized ? quantized->kcnn_layer(i) : nullptr,
        quantized ? quantized->kq_layer(i) : nullptr, plan.prefetched[i], plan.bits[i], counts));
    nc.totals += nc.layers.back().counts;
  }
  return nc;
}

}  // namespace

LayerCost analytic_layer(const Layer& layer, const ArchConfig& arch, const KcnnLayerWeights* kcnn,
                         const KqLayerWeights* kq, bool codebook_prefetched,
                         uint64_t prefetch_bits) {
  return layer_cost(layer, arch, kcnn, kq, codebook_prefetched, prefetch_bits, closed_form_counts);
}

LayerCost analytic_layer_fold_by_fold(const Layer& layer, const ArchConfig& arch,
                                      const KcnnLayerWeights* kcnn, const KqLayerWeights* kq,
                                      bool codebook_prefetched, uint64_t prefetch_bits) {
  return layer_cost(layer, arch, kcnn, kq, codebook_prefetched, prefetch_bits, fold_by_fold_counts);
}

NetworkCost analytic_network(const Workload& w, const ArchConfig& arch,
                             const QuantizedNetwork* quantized) {
  return network_cost(w, arch, quantized, closed_form_counts);
}

NetworkCost analytic_network_fold_by_fold(const Workload& w, const ArchConfig& arch,
                                          const QuantizedNetwork* quantized) {
  return network_cost(w, arch, quantized, fold_by_fold_counts);
}

ActionCounts analytic_counts_fold_by_fold(const Schedule& sched, const ArchConfig& arch,
                                          uint64_t prefetch_bits) {
  ActionCounts c;
  fold_by_fold_counts(sched, arch, prefetch_bits, c);
  return c;
}

ActionCounts analytic_network_totals(const Workload& w, const ArchConfig& arch,
                                     const QuantizedNetwork* quantized) {
  ActionCounts totals;
  const PrefetchPlan plan = prefetch_plan(w, arch, quantized);
  for (size_t i = 0; i < w.layers.size(); ++i) {
    Schedule sched(w.layers[i], arch, quantized ? quantized->kcnn_layer(i) : nullptr,
                   quantized ? quantized->kq_layer(i) : nullptr);
    sched.set_codebook_prefetched(plan.prefetched[i]);
    ActionCounts c;
    closed_form_counts(sched, arch, plan.bits[i], c);
    totals += c;
  }
  return totals;
}

}  // namespace kq
