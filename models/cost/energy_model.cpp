#include "models/cost/energy_model.hpp"

#include <stdexcept>

namespace kq {

uint64_t array_register_bits(const ArchConfig& arch) {
  const uint64_t pes = uint64_t{arch.array.rows} * arch.array.cols;
  return pes *
         static_cast<uint64_t>(width_bits(arch.activation_format) + width_bits(arch.weight_format) +
                               width_bits(arch.accumulator_format));
}

double narrow_multiplication_pj(const ArchConfig& arch, const TechTable& t) {
  // Integer activations: the Horowitz fixed-point fit (QKeras qtools) at code bits ×
  // activation bits. Float activations: no published code × float figure, so the activation
  // format's multiplier (an upper bound).
  const NumFormat act = arch.activation_format;
  if (arch.kq && !is_float(act))
    return t.fixed_point_mult_energy_pj(arch.kq->codebook_bits,
                                        static_cast<uint32_t>(width_bits(act)));
  return t.multiplier(act).energy_pj;
}

double leakage_power_uw(const ArchConfig& arch, const TechTable& t) {
  double p = static_cast<double>(arch.array.multipliers) *
                 t.multiplier(arch.array.multiplier_format).leakage_uw +
             static_cast<double>(arch.array.adders) * t.adder(arch.array.adder_format).leakage_uw;
  p += static_cast<double>(arch.vector.lanes) *
       (t.adder(arch.activation_format).leakage_uw + t.comparator.leakage_uw);
  p += static_cast<double>(array_register_bits(arch)) * t.register_bit.leakage_uw;
  for (int b = 0; b < kNumBuffers; ++b) {
    const auto id = static_cast<BufferId>(b);
    p += t.buffer_cost(id, arch.buffer(id)).leakage_uw;
  }
  return p;
}

EnergyBreakdown compute_energy(const ActionCounts& c, const ArchConfig& arch, const TechTable& t) {
  double mult_pj = 0, add_pj = 0;
  for (int i = 0; i < kNumFormats; ++i) {
    mult_pj += static_cast<double>(c.multiplications[i]) * t.multipliers[i].energy_pj;
    add_pj += static_cast<double>(c.additions[i]) * t.adders[i].energy_pj;
  }
  if (c.narrow_multiplications)
    mult_pj += static_cast<double>(c.narrow_multiplications) * narrow_multiplication_pj(arch, t);
  const double cmp_pj = static_cast<double>(c.comparisons) * t.comparator.energy_pj;
  const double reg_pj = static_cast<double>(c.register_read_bits) * t.register_bit.read_pj +
                        static_cast<double>(c.register_write_bits) * t.register_bit.write_pj;
  std::array<double, kNumBuffers> buf_pj{};
  for (int b = 0; b < kNumBuffers; ++b) {
    const auto id = static_cast<BufferId>(b);
    const SramCost cost = t.buffer_cost(id, arch.buffer(id));
    buf_pj[b] = static_cast<double>(c.buffers[b].read_words) * cost.read_pj +
                static_cast<double>(c.buffers[b].write_words) * cost.write_pj;
  }
  // DRAM energy comes from the arch config (its own citation), not the tech table: it depends
  // on the memory part and interface, not on the logic node.
  const double dram_pj = static_cast<double>(c.dram_read_bytes + c.dram_write_bytes) * 8.0 *
                         arch.dram.energy_pj_per_bit;

  // µW × µs = pJ, and the run lasts cycles / clock_mhz µs.
  double leak_pj = 0;
  if (c.cycles > 0) {
    if (!(arch.clock_mhz > 0))
      throw std::invalid_argument("compute_energy: arch " + arch.name +
                                  " has no positive clock_mhz to turn cycles into time");
    leak_pj = leakage_power_uw(arch, t) * static_cast<double>(c.cycles) / arch.clock_mhz;
  }

  EnergyBreakdown e;
  const std::array<double, kCostComponents.size()> values = {
      mult_pj,   add_pj,    cmp_pj,    reg_pj,  buf_pj[0], buf_pj[1],
      buf_pj[2], buf_pj[3], buf_pj[4], dram_pj, leak_pj};
  for (size_t i = 0; i < values.size(); ++i) {
    e.components.push_back({kCostComponents[i], values[i]});
    if (i + 1 < values.size()) e.dynamic_pj += values[i];
  }
  e.leakage_pj = leak_pj;
  e.total_pj = e.dynamic_pj + e.leakage_pj;
  return e;
}

}  // namespace kq
