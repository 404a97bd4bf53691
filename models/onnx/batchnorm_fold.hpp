#pragma once
#include <string>
#include <vector>

#include "models/workload/tensor.hpp"

namespace kq {

/// Inference-form batch normalization as a per-channel affine map y = scale·x + shift, with
/// scale = γ / √(σ² + ε) and shift = β − μ·scale, computed in double.
struct ChannelAffine {
  std::vector<double> scale, shift;
};

/// Throws std::invalid_argument (the caller names the node) when the vectors differ in
/// length or σ² + ε is not positive, or a result is not finite.
ChannelAffine batchnorm_affine(const std::vector<float>& gamma, const std::vector<float>& beta,
                               const std::vector<float>& mean, const std::vector<float>& var,
                               double epsilon);

/// Folds y = scale·(W·x + b) + shift into the layer before it: every weight of output channel
/// n (weights are output-channel-major: conv [N, C/g, kh, kw], fc [N, K]) is multiplied by
/// scale[n] and the bias becomes scale[n]·b[n] + shift[n] (b = 0 where the layer had none).
/// Products are formed in double and rounded once to float. Throws std::invalid_argument if
/// a folded value overflows float.
void fold_affine_into_layer(Tensor& weight, Tensor& bias, const ChannelAffine& bn);

}  // namespace kq
