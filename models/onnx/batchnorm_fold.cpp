#include "models/onnx/batchnorm_fold.hpp"

#include <cmath>
#include <stdexcept>

namespace kq {

ChannelAffine batchnorm_affine(const std::vector<float>& gamma, const std::vector<float>& beta,
                               const std::vector<float>& mean, const std::vector<float>& var,
                               double epsilon) {
  const size_t c = gamma.size();
  if (beta.size() != c || mean.size() != c || var.size() != c)
    throw std::invalid_argument("scale, B, mean and var must have one value per channel");
  ChannelAffine a;
  a.scale.resize(c);
  a.shift.resize(c);
  for (size_t i = 0; i < c; ++i) {
    const double denom = static_cast<double>(var[i]) + epsilon;
    if (!(denom > 0))
      throw std::invalid_argument("var + epsilon of channel " + std::to_string(i) +
                                  " is not positive");
    a.scale[i] = gamma[i] / std::sqrt(denom);
    a.shift[i] = beta[i] - mean[i] * a.scale[i];
    if (!std::isfinite(a.scale[i]) || !std::isfinite(a.shift[i]))
      throw std::invalid_argument("channel " + std::to_string(i) + " has a non-finite scale");
  }
  return a;
}

void fold_affine_into_layer(Tensor& weight, Tensor& bias, const ChannelAffine& bn) {
  const size_t n = bn.scale.size();
  if (weight.shape.empty() || weight.shape[0] != n)
    throw std::invalid_argument("batchnorm channels do not match the layer's output channels");
  const size_t per_channel = weight.data.size() / n;
  auto to_float = [](double v) {
    const float f = static_cast<float>(v);
    if (!std::isfinite(f)) throw std::invalid_argument("a folded weight or bias overflows float");
    return f;
  };
  for (size_t o = 0; o < n; ++o)
    for (size_t k = 0; k < per_channel; ++k) {
      float& w = weight.data[o * per_channel + k];
      w = to_float(static_cast<double>(w) * bn.scale[o]);
    }
  if (bias.data.empty()) {
    bias.shape = {n};
    bias.data.assign(n, 0.0f);
  }
  for (size_t o = 0; o < n; ++o)
    bias.data[o] = to_float(static_cast<double>(bias.data[o]) * bn.scale[o] + bn.shift[o]);
}

}  // namespace kq
