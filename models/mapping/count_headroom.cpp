#include "models/mapping/count_headroom.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "models/common/input_error.hpp"
#include "models/mapping/schedule.hpp"

namespace kq {

void check_count_headroom(const Workload& w, const ArchConfig& arch, const StressConfig& stress,
                          const QuantizedNetwork* quantized) {
  using ld = long double;
  const ld limit = std::ldexp(ld{1}, 62);
  const ld ar = arch.array.rows, ac = arch.array.cols;
  // A fold's DRAM traffic and fills are bounded by the tiles it must fit into, and by the
  // layer's data (at most 32 bits per element) plus the KCNN scales and KQ codebook.
  ld tile_bits = 0;
  for (const BufferSpec& b : arch.buffers) tile_bits += ld{8} * static_cast<ld>(b.capacity_bytes);
  const ld side_bits = ld{8} * (static_cast<ld>(arch.buffer(BufferId::scale).capacity_bytes) +
                                static_cast<ld>(arch.buffer(BufferId::codebook).capacity_bytes));
  const ld wait = static_cast<ld>(arch.dram.latency_cycles) +
                  static_cast<ld>(stress.dram_latency_jitter_cycles);
  const ld hold = static_cast<ld>(stress.backpressure_max_cycles);
  ld total = 0;
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const Layer& l = w.layers[i];
    ld bound = 0;
    const ld data_bits =
        32 *
        (static_cast<ld>(l.in.elements()) * static_cast<ld>(std::max<size_t>(l.inputs.size(), 1)) +
         static_cast<ld>(l.weight_params()) + static_cast<ld>(l.out.elements()));
    const ld traffic = std::min(tile_bits, data_bits + side_bits);
    if (l.on_array()) {
      const Schedule s(l, arch, quantized ? quantized->kcnn_layer(i) : nullptr,
                       quantized ? quantized->kq_layer(i) : nullptr);
      const ld folds = static_cast<ld>(s.num_steps());
      ld macs = static_cast<ld>(l.macs());
      const GemmDims g = l.gemm();
      if (arch.kq && arch.kq->applies_to(l) && arch.kq->datapath == KqDatapath::response_reuse)
        // Every codeword's response to every window: P · K_window · codewords per group.
        macs = std::max(macs, static_cast<ld>(g.p) * static_cast<ld>(g.k) *
                                  static_cast<ld>(arch.kq->codewords(l)) * l.groups);
      // KCNN: up to 8 planes of additions per MAC and a scale multiply each.
      if (arch.kcnn) macs *= 2 * kKcnnMaxPlanes;
      // Per fold: fill, drain and skew, three DRAM requests each waiting and moving up to the
      // tiles, a back-pressure hold. Per MAC: a streamed operand row through ports of at
      // least 8 bits, and at most four 32-bit operands and partial sums moved and registered.
      const ld per_fold = 3 * (ar + ac) + 3 * (wait + traffic) + hold + 16;
      const ld per_mac = 4 * (ar + 2 * ac) + 4 * 4 * 32 + 16;
      bound = folds * per_fold + macs * per_mac;
    } else {
      // Vector layers: every operand and result element read, computed, moved and counted
      // in bits, once per input.
      const ld elements = static_cast<ld>(l.in.elements()) * static_cast<ld>(l.inputs.size() + 1) +
                          static_cast<ld>(l.out.elements());
      bound = elements * 4 * 64 + 3 * (wait + traffic) + hold + 16;
    }
    total += bound;
    if (total > limit)
      throw InputError(w.file, "/layers/" + std::to_string(i),
                       fmt::format("layer \"{}\": its counts on design \"{}\" could pass 2^62 "
                                   "(bound ~2^{:.0f} by layer end); expected a smaller network or "
                                   "a larger array, tiles or DRAM",
                                   l.name, arch.name, std::log2(static_cast<double>(total))));
  }
}

}  // namespace kq
