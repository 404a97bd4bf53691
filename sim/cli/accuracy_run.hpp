#pragma once
#include <nlohmann/json.hpp>

#include "models/accuracy/labelled_data.hpp"
#include "models/config/arch_config.hpp"
#include "models/config/tech_table.hpp"
#include "models/cost/layer_result.hpp"
#include "models/quant/quantized_network.hpp"
#include "models/workload/network_params.hpp"
#include "models/workload/workload.hpp"

namespace kq {

/// `kqsim run --inputs X.npy --labels Y.npy`: every sample through the float reference and
/// the design's datapath (evaluate_accuracy, `threads` workers, a progress bar of samples),
/// with the design's cost per sample taken from the run's totals `cost` (analytic, or the
/// SystemC model's identical counts). Returns the report's "accuracy" fragment.
nlohmann::ordered_json run_accuracy(const Workload& w, const NetworkParams& params,
                                    const ArchConfig& arch, const TechTable& tech,
                                    const QuantizedNetwork& quantized, const LabelledData& data,
                                    const NetworkCost& cost, unsigned threads, bool check);

}  // namespace kq
