#include "models/cost/analytic_model.hpp"

#include <algorithm>
#include <array>

namespace kq {
namespace {

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

}  // namespace

LayerCost analytic_layer(const Layer& layer, const ArchConfig& arch, const KcnnLayerWeights* kcnn,
                         const KqLayerWeights* kq) {
  const Schedule sched(layer, arch, kcnn, kq);
  LayerCost lc;
  lc.name = layer.name;
  lc.type = std::string(to_string(layer.type));
  lc.steps = sched.num_steps();
  lc.macs = layer.macs();
  lc.scalesim_cycles = sched.scalesim_cycles();
  ActionCounts& c = lc.counts;

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
  c.cycles = end;
  UnitCycles& unit = sched.on_array() ? c.array : c.vector;
  unit.busy = busy;
  unit.stall = compute_end - busy;
  unit.idle = end - compute_end;
  UnitCycles& other = sched.on_array() ? c.vector : c.array;
  other.idle = end;
  // The multipliers wait (stall) inside the array's folds whenever they are not the bottleneck.
  c.multipliers.busy = sched.on_array() ? mult_busy : 0;
  c.multipliers.stall = sched.on_array() ? compute_end - mult_busy : 0;
  c.multipliers.idle = sched.on_array() ? end - compute_end : end;
  c.dram.busy = dram.busy;
  c.dram.idle = end - dram.busy;
  return lc;
}

NetworkCost analytic_network(const Workload& w, const ArchConfig& arch,
                             const QuantizedNetwork* quantized) {
  NetworkCost nc;
  nc.layers.reserve(w.layers.size());
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const Layer& l = w.layers[i];
    nc.layers.push_back(analytic_layer(l, arch, quantized ? quantized->kcnn_layer(i) : nullptr,
                                       quantized ? quantized->kq_layer(i) : nullptr));
    nc.totals += nc.layers.back().counts;
  }
  return nc;
}

}  // namespace kq
