#pragma once
#include <cstdint>
#include <vector>

#include "models/workload/layer.hpp"

namespace kq {

/// The golden reference: plain loops straight from the layer definitions (direct
/// convolution, no im2col, no tiling), so it shares no code with the hardware models.
/// Activations are [C, H, W] in C order, weights as in network_params.hpp.

/// Double-precision reference of any layer type. `inputs` are the producer outputs in the
/// order of layer.inputs (two for add). Windows reaching outside the input read zeros
/// (max-pool ignores them); avg-pool divides by kh·kw (PyTorch's count_include_pad).
std::vector<double> reference_layer(const Layer& l,
                                    const std::vector<const std::vector<double>*>& inputs,
                                    const std::vector<double>& weight,
                                    const std::vector<double>& bias);

/// Exact integer conv2d / fc with int64 accumulation (no overflow for int8/int16 operands at
/// any realistic K); the bias is added first.
std::vector<int64_t> reference_conv_integer(const Layer& l, const std::vector<int32_t>& input,
                                            const std::vector<int32_t>& weight,
                                            const std::vector<int64_t>& bias);

/// Per output of a conv2d / fc: |bias| + Σ |x·w|, the scale of the float error bound.
std::vector<double> reference_conv_abs_sum(const Layer& l, const std::vector<double>& input,
                                           const std::vector<double>& weight,
                                           const std::vector<double>& bias);

}  // namespace kq
