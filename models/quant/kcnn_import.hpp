#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "models/quant/kcnn_quantizer.hpp"
#include "models/workload/npy.hpp"
#include "models/workload/workload.hpp"

// Pre-quantized KCNN weights from an .npz (e.g. fine-tuned offline). Array names and shapes
// are in docs/KCNN.md §Importing pre-quantized weights.

namespace kq {

/// "<layer>.kcnn_planes", "<layer>.kcnn_alpha", "<layer>.kcnn_beta".
std::string kcnn_planes_array(const std::string& layer);
std::string kcnn_alpha_array(const std::string& layer);
std::string kcnn_beta_array(const std::string& layer);
/// True for any name containing ".kcnn_": the part of a weights .npz this importer owns
/// (load_params' "<layer>.weight"/"<layer>.bias" are the rest).
bool is_kcnn_array_name(const std::string& name);

/// The layer's KCNN arrays from an already-read .npz (`file` names it in messages):
/// std::nullopt when it has none of them. Checks, each an InputError naming the file and the
/// array: all three names present or absent together as the options require (beta exactly
/// when offset = per_kernel), the layer can hold planes (conv2d/fc, not kept float by
/// policy_1x1), dtypes (planes int8 or float32, scales float32 or float16), shapes for the
/// layer's effective granularity and M, plane values exactly 0 or 1, scales finite and exactly
/// representable in scale_format (fixed: one exponent per layer, kcnn_fixed_exponent()).
/// Invalid options are std::invalid_argument.
std::optional<KcnnLayerWeights> import_kcnn_layer(const std::map<std::string, NpyArray>& arrays,
                                                  const std::string& file, const Layer& layer,
                                                  const KcnnOptions& opts);

/// Every layer of a workload (same order as Workload::layers; std::nullopt where the file has
/// no KCNN arrays for it). Any "*.kcnn_*" array that belongs to no conv/fc layer of the
/// workload, or has an unknown suffix, is an InputError. Other arrays are ignored.
std::vector<std::optional<KcnnLayerWeights>> import_kcnn_arrays(
    const std::map<std::string, NpyArray>& arrays, const std::string& file, const Workload& w,
    const KcnnOptions& opts);

/// Same, reading the .npz at `path` (read_npz's InputErrors for a malformed archive).
std::vector<std::optional<KcnnLayerWeights>> import_kcnn_weights(const std::string& path,
                                                                 const Workload& w,
                                                                 const KcnnOptions& opts);

}  // namespace kq
