#include "models/quant/uniform_quantizer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kq {
namespace {

int32_t quantize_value(double x, double scale, int32_t qmax) {
  const double q = std::nearbyint(x / scale);
  return static_cast<int32_t>(std::clamp(q, -static_cast<double>(qmax), static_cast<double>(qmax)));
}

double scale_for(double max_abs, int32_t qmax) {
  return max_abs > 0 ? max_abs / qmax : 1.0;
}

}  // namespace

QuantizedTensor quantize_per_tensor(const std::vector<float>& x, int bits) {
  const int32_t qmax = (1 << (bits - 1)) - 1;
  double m = 0;
  for (float v : x) m = std::max(m, static_cast<double>(std::fabs(v)));
  QuantizedTensor q;
  q.scales = {scale_for(m, qmax)};
  q.codes.resize(x.size());
  for (size_t i = 0; i < x.size(); ++i) q.codes[i] = quantize_value(x[i], q.scales[0], qmax);
  return q;
}

QuantizedTensor quantize_per_channel(const std::vector<float>& w, uint64_t channels, int bits) {
  const int32_t qmax = (1 << (bits - 1)) - 1;
  const uint64_t per = channels ? w.size() / channels : 0;
  QuantizedTensor q;
  q.scales.resize(channels);
  q.codes.resize(w.size());
  for (uint64_t n = 0; n < channels; ++n) {
    double m = 0;
    for (uint64_t i = 0; i < per; ++i)
      m = std::max(m, static_cast<double>(std::fabs(w[n * per + i])));
    q.scales[n] = scale_for(m, qmax);
    for (uint64_t i = 0; i < per; ++i)
      q.codes[n * per + i] = quantize_value(w[n * per + i], q.scales[n], qmax);
  }
  return q;
}

std::vector<int64_t> quantize_bias(const std::vector<float>& b, double s_x,
                                   const std::vector<double>& s_w) {
  std::vector<int64_t> out(b.size());
  for (size_t n = 0; n < b.size(); ++n)
    out[n] = static_cast<int64_t>(std::nearbyint(b[n] / (s_x * s_w[n])));
  return out;
}

double sqnr_db(const std::vector<double>& ref, const std::vector<double>& test) {
  double sig = 0, noise = 0;
  for (size_t i = 0; i < ref.size() && i < test.size(); ++i) {
    sig += ref[i] * ref[i];
    const double d = ref[i] - test[i];
    noise += d * d;
  }
  if (noise == 0) return std::numeric_limits<double>::infinity();
  if (sig == 0) return -std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(sig / noise);
}

}  // namespace kq
