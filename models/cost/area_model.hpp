#pragma once
#include <vector>

#include "models/config/arch_config.hpp"
#include "models/config/tech_table.hpp"
#include "models/cost/energy_model.hpp"

namespace kq {

/// Chip area: components in kCostComponents order ("dram" and "leakage" are always 0).
struct AreaBreakdown {
  std::vector<CostItem> components;
  double total_um2 = 0;
};

/// Instances × per-instance areas of `t` (already at the arch's node) plus each buffer's SRAM
/// macro. See docs/ENERGY_MODEL.md.
AreaBreakdown compute_area(const ArchConfig& arch, const TechTable& t);

}  // namespace kq
