#pragma once
#include <vector>

#include "models/common/num_format.hpp"
#include "models/workload/layer.hpp"
#include "models/workload/network_params.hpp"
#include "models/workload/workload.hpp"

namespace kq {

/// Σ w² and Σ (w − ŵ)² of weights as a plain MAC-array design stores them: rounded to an
/// fp16/bf16 weight format, or integer codes with one scale per output channel (the int8
/// baseline's quantizer, sim/datapath/network_state.cpp). fp32 stores them exactly.
struct WeightError {
  double signal = 0;
  double noise = 0;
  /// 10·log10(signal / noise) in dB; +inf when the format holds the weights exactly.
  double sqnr_db() const;
};

/// One conv/fc layer's weights [N, ...] in `format`.
WeightError format_layer_weight_error(const Layer& l, const std::vector<float>& weights,
                                      NumFormat format);
/// All conv/fc layers of the network together.
WeightError format_network_weight_error(const Workload& w, const NetworkParams& params,
                                        NumFormat format);

}  // namespace kq
