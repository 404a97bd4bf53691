#pragma once
#include "models/config/arch_config.hpp"
#include "models/config/stress_config.hpp"
#include "models/quant/quantized_network.hpp"
#include "models/workload/workload.hpp"

namespace kq {

/// Every counter kqsim reports (cycles, actions, bits, bytes) is a uint64 summed over folds
/// and layers without overflow checks. The workload loader proves each layer's MACs and
/// tensor sizes fit in 64 bits, but a design can multiply them: a 1×1 array turns every MAC
/// into a fold that waits a DRAM latency. This bounds, in long double, everything a model
/// could count for the network on this design (folds × the worst per-fold cycles, bits and
/// bytes the design's tiles and DRAM allow, plus a per-MAC allowance for streaming, operand
/// and register traffic; stress widens the DRAM and hold terms) and throws an InputError
/// naming the workload and the layer where the running total passes 2^62, a quarter of the
/// range. Real networks stay many orders of magnitude below (ResNet-50 on 16×16: ~2^50).
/// `quantized`: the design's quantized weights (KCNN schedules with window-sum sharing or
/// zero-skipping need them; nullptr otherwise).
void check_count_headroom(const Workload& w, const ArchConfig& arch, const StressConfig& stress,
                          const QuantizedNetwork* quantized = nullptr);

}  // namespace kq
