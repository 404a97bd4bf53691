#pragma once
#include <optional>
#include <string>

#include "models/config/arch_config.hpp"
#include "models/quant/quantized_network.hpp"
#include "models/workload/network_params.hpp"
#include "models/workload/workload.hpp"

namespace kq {

/// A design's quantized weights on one workload with their error over the whole network,
/// fitted once and shared by every sweep point with the same quantizer settings.
struct FittedWeights {
  QuantizedNetwork weights;
  /// 10·log10(Σ w² / Σ (w − ŵ)²) over the quantized layers; std::nullopt when some layer was
  /// imported pre-quantized (no float original) or the weights are exact.
  std::optional<double> weight_sqnr_db;
};

/// The settings that change the fitted weights of `arch`, as a canonical string (KCNN: every
/// option but the counts-only zero_skip and window_sum_sharing; KQ: every option but the
/// datapath and its gather adders). "" for designs that quantize nothing offline.
std::string quantizer_key(const ArchConfig& arch);

/// KCNN zero-skipping and window-sum sharing count operations from the plane bits, so the
/// analytic model needs the fitted weights; every other design's counts follow its options.
bool counts_need_weights(const ArchConfig& arch);

/// Fits (or imports from `weights_npz`) the weights `arch`'s datapath runs; std::invalid_argument
/// from the quantizers becomes an InputError as in `kqsim run`.
FittedWeights fit_weights(const Workload& w, const ArchConfig& arch, const NetworkParams& params,
                          const std::string& weights_npz);

/// Stored bits per conv/fc weight as `kqsim run` reports them (docs/REPORTS.md): KCNN planes
/// and scales over every conv/fc layer (layers kept float at the weight format's width), KQ
/// indices, codebooks and side information over the layers KQ covers, the weight format's
/// width otherwise. From the fitted weights when given, else in closed form from the options
/// (the same per-layer formulas).
double bits_per_weight(const Workload& w, const ArchConfig& arch, const QuantizedNetwork* fitted);

}  // namespace kq
