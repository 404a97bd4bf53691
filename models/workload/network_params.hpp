#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "models/workload/tensor.hpp"
#include "models/workload/workload.hpp"

namespace kq {

/// Parameters of one layer. conv2d: weight [N, C/groups, kh, kw]; fc: weight [N, C·H·W];
/// bias [N] (empty when the layer has none). batchnorm (inference form): weight = per-channel
/// scale [C], bias = per-channel shift [C]. Other layers: both empty.
struct LayerParams {
  Tensor weight;
  Tensor bias;
};

/// Everything a functional run needs besides the workload: the input [C, H, W] and the
/// parameters of every layer (same order as Workload::layers).
struct NetworkParams {
  Tensor input;
  std::vector<LayerParams> layers;
};

/// Seeded synthetic tensors (docs/WORKLOADS.md §Synthetic tensors):
///   conv/fc weights ~ N(0, 2/fan_in) (He et al. 2015), fan_in = (C/groups)·kh·kw;
///   biases ~ N(0, 0.05²); batchnorm scale ~ U[0.5, 1), shift ~ U[−0.1, 0.1);
///   input ~ N(0, 1) (a normalised image).
NetworkParams synthetic_params(const Workload& w, uint64_t seed);

/// Replaces synthetic tensors by those in a .npz (arrays "<layer>.weight", "<layer>.bias";
/// absent ones stay synthetic) and/or an input .npy ([C,H,W] or [1,C,H,W]). Wrong names,
/// shapes or non-finite values are InputErrors naming the file and the array.
void load_params(const Workload& w, const std::string& weights_npz, const std::string& input_npy,
                 NetworkParams& params);

/// Expected weight / bias shapes of a layer (empty when it has none).
std::vector<uint64_t> weight_shape(const Layer& l);
std::vector<uint64_t> bias_shape(const Layer& l);

}  // namespace kq
