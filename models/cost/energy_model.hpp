#pragma once
#include <array>
#include <string>
#include <vector>

#include "models/config/arch_config.hpp"
#include "models/config/tech_table.hpp"
#include "models/cost/action_counts.hpp"

namespace kq {

/// One named share of a cost (pJ for energy, µm² for area).
struct CostItem {
  std::string component;
  double value = 0;
};

/// Component names of both breakdowns, in their fixed report order. Every breakdown lists all
/// of them, with 0 where a component costs nothing (e.g. "dram" and "leakage" area).
inline constexpr std::array<const char*, 11> kCostComponents = {
    "multipliers",  "adders",       "comparators",     "registers", "buffer_ifmap", "buffer_weight",
    "buffer_ofmap", "buffer_scale", "buffer_codebook", "dram",      "leakage"};

/// Energy of a run: components in kCostComponents order; dynamic_pj sums all but "leakage".
struct EnergyBreakdown {
  std::vector<CostItem> components;
  double dynamic_pj = 0;
  double leakage_pj = 0;
  double total_pj = 0;
};

/// Σ counts × per-action energies of `t` (already at the arch's node), DRAM bits × the arch's
/// dram.energy_pj_per_bit, plus leakage_power_uw × cycles / clock. See docs/ENERGY_MODEL.md.
EnergyBreakdown compute_energy(const ActionCounts& c, const ArchConfig& arch, const TechTable& t);

/// Energy of one narrow (KQ code × activation) multiplication, pJ.
double narrow_multiplication_pj(const ArchConfig& arch, const TechTable& t);

/// Static power of every instance on the chip: multipliers, adders, vector lanes (one adder of
/// the activation format plus one comparator each), the array's pipeline registers and the
/// SRAM macros.
double leakage_power_uw(const ArchConfig& arch, const TechTable& t);

/// Pipeline-register bits of the array: one activation, one weight and one accumulator
/// register per PE.
uint64_t array_register_bits(const ArchConfig& arch);

}  // namespace kq
