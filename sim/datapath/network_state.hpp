#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "models/config/arch_config.hpp"
#include "models/quant/quality.hpp"
#include "models/quant/quantized_network.hpp"
#include "models/workload/network_params.hpp"
#include "models/workload/workload.hpp"
#include "sim/datapath/array_operands.hpp"

namespace kq {

/// The values flowing through the simulated accelerator: every layer's output as stored in
/// DRAM (float formats rounded to the activation format; integer formats as codes with a
/// per-tensor scale calibrated on the tensor itself), the operands of the array layer in
/// flight, and the golden fp32 network that quality is measured against.
class NetworkState {
 public:
  /// Keeps references to w, arch and params: they must outlive the state.
  /// `quantized`: the offline-quantized weights of a quantized datapath (nullptr: none).
  NetworkState(const Workload& w, const ArchConfig& arch, const NetworkParams& params,
               bool check_reference, const QuantizedNetwork* quantized = nullptr);

  /// Lays out the operands of array layer li (im2col, weight matrix, bias-initialised
  /// accumulators) in the design's formats.
  ArrayOperands& begin_array_layer(size_t li);
  /// Turns the accumulators into the layer's stored output and checks them.
  void finish_array_layer(size_t li);
  /// Computes a vector-unit layer and checks it.
  void run_vector_layer(size_t li);

  const std::vector<LayerQuality>& quality() const { return quality_; }
  /// Stored output of layer li as real values (dequantized for integer designs).
  const std::vector<float>& output(size_t li) const { return outputs_[li]; }
  /// Output of layer li in the fp32 golden network (double precision).
  const std::vector<double>& golden(size_t li) const { return golden_[li]; }

 private:
  const std::vector<float>& input_of(size_t li, size_t which) const;
  double input_scale_of(size_t li, size_t which) const;
  void store_output(size_t li, std::vector<float> values);
  void golden_layer(size_t li);
  void prepare_kcnn(size_t li, const KcnnLayerWeights& kw);
  void check_float(size_t li, const std::vector<double>& acc_values, const std::vector<double>& wd,
                   const std::vector<double>& mag_w, double rel);

  const Workload* w_;
  const ArchConfig* arch_;
  const NetworkParams* params_;
  const QuantizedNetwork* quantized_;
  bool check_;
  bool integer_;
  std::vector<float> input_;  ///< network input as stored
  double input_scale_ = 1;    ///< integer designs
  std::vector<std::vector<float>> outputs_;
  std::vector<double> output_scales_;
  std::vector<std::vector<double>> golden_;  ///< fp32 golden network outputs (double)
  std::vector<double> golden_input_;
  std::vector<LayerQuality> quality_;
  ArrayOperands ops_;
  std::vector<double> weight_scales_;  ///< integer designs, per output channel
  std::vector<int32_t> weight_codes_;  ///< integer designs, [N, C/groups, kh, kw]
  std::vector<int64_t> bias_codes_;    ///< integer designs, in accumulator units
  /// KCNN layer in flight: its weights Σ α·B (+β) exactly in double, and Σ |α|·|B| (+|β|),
  /// the scale of its rounding-error bound ([N, C/groups, kh, kw]).
  std::vector<double> kcnn_weights_, kcnn_magnitudes_;
  /// KQ layer in flight with float activations and a uniform codebook: the array sums
  /// code·x, and the output stage applies y = scale·acc + bias.
  bool kq_scaled_output_ = false;
  double kq_scale_ = 1;
  double act_scale_ = 1;
  /// The float check's reference of the layer in flight (bias + Σ x·w on the stored input),
  /// and whether it used the layer's original weights and bias (bit for bit).
  std::vector<double> check_ref_;
  bool check_ref_is_float_layer_ = false;
};

}  // namespace kq
