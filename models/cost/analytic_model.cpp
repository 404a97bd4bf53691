#include "models/cost/analytic_model.hpp"

#include <algorithm>
#include <array>

#include "models/mapping/codebook_prefetch.hpp"

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
                         const KqLayerWeights* kq, bool codebook_prefetched,
                         uint64_t prefetch_bits) {
  Schedule sched(layer, arch, kcnn, kq);
  sched.set_codebook_prefetched(codebook_prefetched);
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
  if (prefetch_bits) {
    // The next KQ layer's codebook, into the codebook SRAM's free half, behind the first loads.
    const uint64_t bytes = (prefetch_bits + 7) / 8;
    dram.serve(0, bytes);
    c.dram_read_bytes += bytes;
    auto& cb = c.buffers[static_cast<int>(BufferId::codebook)];
    const uint64_t word = arch.buffer(BufferId::codebook).word_bits;
    cb.write_bits += prefetch_bits;
    cb.write_words += (prefetch_bits + word - 1) / word;
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
  const std::vector<int> plan = codebook_prefetch_plan(w, arch);
  std::vector<bool> prefetched(w.layers.size(), false);
  for (int target : plan)
    if (target >= 0) prefetched[static_cast<size_t>(target)] = true;
  auto kq_of = [&](size_t i) { return quantized ? quantized->kq_layer(i) : nullptr; };
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const Layer& l = w.layers[i];
    uint64_t prefetch_bits = 0;
    if (plan[i] >= 0) {
      const size_t t = static_cast<size_t>(plan[i]);
      prefetch_bits = Schedule(w.layers[t], arch, nullptr, kq_of(t)).codebook_bits();
    }
    nc.layers.push_back(analytic_layer(l, arch, quantized ? quantized->kcnn_layer(i) : nullptr,
                                       kq_of(i), prefetched[i], prefetch_bits));
    nc.totals += nc.layers.back().counts;
  }
  return nc;
}

}  // namespace kq
