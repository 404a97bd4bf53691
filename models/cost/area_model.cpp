#include "models/cost/area_model.hpp"

namespace kq {

AreaBreakdown compute_area(const ArchConfig& arch, const TechTable& t) {
  const double mult_um2 = static_cast<double>(arch.array.multipliers) *
                          t.multiplier(arch.array.multiplier_format).area_um2;
  // Each vector lane holds one adder in the activation format (residual adds) and one
  // comparator (ReLU, max-pool); they are reported with the array's adders and as comparators.
  const double lanes = arch.vector.lanes;
  const double add_um2 =
      static_cast<double>(arch.array.adders) * t.adder(arch.array.adder_format).area_um2 +
      lanes * t.adder(arch.activation_format).area_um2;
  const double cmp_um2 = lanes * t.comparator.area_um2;
  const double reg_um2 = static_cast<double>(array_register_bits(arch)) * t.register_bit.area_um2;
  std::array<double, kNumBuffers> buf_um2{};
  for (int b = 0; b < kNumBuffers; ++b) {
    const auto id = static_cast<BufferId>(b);
    buf_um2[b] = t.buffer_cost(id, arch.buffer(id)).area_um2;
  }

  AreaBreakdown a;
  const std::array<double, kCostComponents.size()> values = {
      mult_um2,   add_um2,    cmp_um2,    reg_um2, buf_um2[0], buf_um2[1],
      buf_um2[2], buf_um2[3], buf_um2[4], 0.0,     0.0};
  for (size_t i = 0; i < values.size(); ++i) {
    a.components.push_back({kCostComponents[i], values[i]});
    a.total_um2 += values[i];
  }
  return a;
}

}  // namespace kq
