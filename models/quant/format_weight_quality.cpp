#include "models/quant/format_weight_quality.hpp"

#include <cmath>
#include <limits>

#include "models/common/float_formats.hpp"
#include "models/quant/uniform_quantizer.hpp"

namespace kq {

double WeightError::sqnr_db() const {
  if (noise == 0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(signal / noise);
}

WeightError format_layer_weight_error(const Layer& l, const std::vector<float>& weights,
                                      NumFormat format) {
  WeightError e;
  if (is_float(format)) {
    for (float v : weights) {
      const double d = static_cast<double>(v) - round_to(format, v);
      e.signal += static_cast<double>(v) * v;
      e.noise += d * d;
    }
    return e;
  }
  const QuantizedTensor q = quantize_per_channel(weights, l.out.c, width_bits(format));
  const size_t per_channel = weights.size() / l.out.c;
  for (size_t k = 0; k < weights.size(); ++k) {
    const double d = static_cast<double>(weights[k]) - q.codes[k] * q.scales[k / per_channel];
    e.signal += static_cast<double>(weights[k]) * weights[k];
    e.noise += d * d;
  }
  return e;
}

WeightError format_network_weight_error(const Workload& w, const NetworkParams& params,
                                        NumFormat format) {
  WeightError total;
  for (size_t i = 0; i < w.layers.size(); ++i) {
    if (!w.layers[i].on_array()) continue;
    const WeightError e =
        format_layer_weight_error(w.layers[i], params.layers[i].weight.data, format);
    total.signal += e.signal;
    total.noise += e.noise;
  }
  return total;
}

}  // namespace kq
