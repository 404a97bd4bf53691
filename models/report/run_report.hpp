#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/config/arch_config.hpp"
#include "models/config/stress_config.hpp"
#include "models/config/tech_table.hpp"
#include "models/cost/layer_result.hpp"
#include "models/quant/quality.hpp"
#include "models/quant/quantized_network.hpp"
#include "models/workload/network_params.hpp"
#include "models/workload/workload.hpp"

namespace kq {

inline constexpr int kReportSchemaVersion = 1;

/// A file the run read, recorded with its hash so a report names its exact inputs.
struct InputFile {
  std::string role;  ///< "arch", "workload", "tech", "weights", "input"
  std::string path;
};

/// Everything a report states about one run of one design.
struct RunReport {
  std::string mode;  ///< cycle | fast | analytic
  uint64_t seed = 0;
  std::vector<InputFile> inputs;
  const Workload* workload = nullptr;
  const ArchConfig* arch = nullptr;
  const TechTable* tech = nullptr;
  NetworkCost cost;
  std::vector<LayerQuality> quality;  ///< per layer; empty when values were not computed
  std::string values_note;            ///< why values were not computed, if so
  /// Offline-quantized weights (KCNN) and the float weights they approximate (nullptr: none).
  const QuantizedNetwork* quantized = nullptr;
  const NetworkParams* params = nullptr;
  /// The fp32 MAC array of the same size on the same workload (analytic), to state savings.
  const ArchConfig* baseline_arch = nullptr;
  const NetworkCost* baseline = nullptr;
  /// FNV-1a 64 of the golden fp32 network's last output ("" when values were not computed).
  std::string golden_output_fnv1a64;
  /// With labelled samples: the "accuracy" fragment (accuracy_to_json); null otherwise.
  nlohmann::ordered_json accuracy;
  /// Stress options of the run (nullptr or disabled: none, and the report omits them).
  const StressConfig* stress = nullptr;
  /// FNV-1a 64 of each layer's stored output values (empty when values were not computed).
  std::vector<uint64_t> output_fnv1a64;
  /// A deliberate model defect was active (KQSIM_TEST_FAULT): the report says which.
  std::string test_fault;
};

/// report.json (schema in docs/REPORTS.md). Every figure carries its unit in its key.
/// Deterministic: the same inputs give the same bytes (no timestamps, no wall-clock times).
nlohmann::ordered_json report_to_json(const RunReport& r);
/// layers.csv, summary.md and the console table, all derived from report.json.
std::string report_layers_csv(const nlohmann::ordered_json& report);
std::string report_summary_md(const nlohmann::ordered_json& report);
std::string report_console_table(const nlohmann::ordered_json& report);

}  // namespace kq
