#pragma once
#include <optional>
#include <string>
#include <vector>

#include "models/config/arch_config.hpp"
#include "models/quant/kcnn_quantizer.hpp"
#include "models/quant/kq_quantizer.hpp"
#include "models/workload/network_params.hpp"
#include "models/workload/workload.hpp"

namespace kq {

/// The weights a quantized datapath runs, per layer (same order as Workload::layers). Empty
/// for designs that quantize nothing offline (the MAC baselines quantize int8 on the fly).
struct QuantizedNetwork {
  /// kcnn_bitplane: a layer's bit planes and scales, or std::nullopt where the layer is not
  /// quantized (not conv/fc, or kept float by policy_1x1).
  std::vector<std::optional<KcnnLayerWeights>> kcnn;
  /// kq_codebook: a layer's kernel indices and codebook, or std::nullopt where KQ does not
  /// apply (not conv, or fc without count_fc).
  std::vector<std::optional<KqLayerWeights>> kq;
  /// Per layer: its quantized weights came from --weights (no float original to compare).
  std::vector<bool> imported;
  const KcnnLayerWeights* kcnn_layer(size_t li) const {
    return li < kcnn.size() && kcnn[li] ? &*kcnn[li] : nullptr;
  }
  const KqLayerWeights* kq_layer(size_t li) const {
    return li < kq.size() && kq[li] ? &*kq[li] : nullptr;
  }
};

/// Prepares the weights of `arch`'s datapath: layers with pre-quantized arrays in
/// `weights_npz` (docs/KCNN.md, docs/KQ.md) use them as they are; the others are fitted
/// from `params`.
QuantizedNetwork quantize_network(const Workload& w, const ArchConfig& arch,
                                  const NetworkParams& params, const std::string& weights_npz);

}  // namespace kq
