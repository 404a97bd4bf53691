#pragma once
#include <cstdint>
#include <vector>

namespace kq {

/// Symmetric uniform quantization to `bits` (int8: codes in [−127, 127]; −128 unused so the
/// range is symmetric and negation cannot overflow).
struct QuantizedTensor {
  std::vector<int32_t> codes;
  std::vector<double> scales;  ///< one per tensor, or one per output channel
};

/// Activations: one scale per tensor, calibrated on the tensor itself (max |x|).
QuantizedTensor quantize_per_tensor(const std::vector<float>& x, int bits);
/// Weights [N, ...]: one scale per output channel (max |w| of the channel).
QuantizedTensor quantize_per_channel(const std::vector<float>& w, uint64_t channels, int bits);
/// Bias in accumulator units: round(b / (s_x · s_w[n])).
std::vector<int64_t> quantize_bias(const std::vector<float>& b, double s_x,
                                   const std::vector<double>& s_w);

/// Signal-to-quantization-noise ratio 10·log10(Σ ref² / Σ (ref − test)²) in dB; +inf when
/// identical.
double sqnr_db(const std::vector<double>& ref, const std::vector<double>& test);

}  // namespace kq
