#pragma once
#include <cstdint>
#include <vector>

#include "models/workload/layer.hpp"

namespace kq {

/// The golden reference: loops straight from the layer definitions, so it shares no code
/// with the hardware models. A conv/fc output is its bias plus the products of its window's
/// taps in ascending (c, ky, kx), skipping taps outside the input, accumulated in double or
/// int64: exactly the plain direct convolution. The loops only visit those operations in
/// blocks of pixels × filters (for the cache and the vectoriser); no output's operations or
/// their order change (tests/unit/reference_test.cpp checks it against the direct loops bit
/// for bit). Activations are [C, H, W] in C order, weights as in network_params.hpp.

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

/// The float check of a conv/fc in one pass over the input: `values` = bias + Σ x·w (as
/// reference_layer) and `abs_sums` = |bias| + Σ |x·m| (as reference_conv_abs_sum with the
/// magnitude weights m, which are the weights themselves except for KCNN's bound).
struct ReferenceWithBound {
  std::vector<double> values, abs_sums;
};
ReferenceWithBound reference_conv_with_abs_sum(const Layer& l, const std::vector<double>& input,
                                               const std::vector<double>& weight,
                                               const std::vector<double>& magnitude_weight,
                                               const std::vector<double>& bias);

namespace detail {
/// Tests only: false runs the conv loops on the baseline-x86-64 vector width even on an AVX2
/// machine (both give identical values).
void set_reference_wide_simd(bool enabled);
}  // namespace detail

}  // namespace kq
