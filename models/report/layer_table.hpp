#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/workload/workload.hpp"

namespace kq {

/// The layer table of a workload as `kqsim inspect` prints it: per layer its index, name,
/// type, input and output shapes (C×H×W), geometry (kernel, stride, padding, dilation,
/// groups; the cap of a clipped ReLU), MACs and parameters, and optionally where it came from
/// (`origins`, one line per layer, e.g. the ONNX nodes merged into it); then the totals.
std::string layer_table_text(const Workload& w, const std::vector<std::string>* origins = nullptr);

/// The same as JSON: {"workload", "input", "layers": [...], "totals"}.
nlohmann::ordered_json layer_table_json(const Workload& w,
                                        const std::vector<std::string>* origins = nullptr);

}  // namespace kq
