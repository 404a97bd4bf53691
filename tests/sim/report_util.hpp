#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kqtest {

/// Runs `kqsim run` with the arguments plus --out into a fresh directory and returns the
/// parsed report.json; fails the test if kqsim exits non-zero.
nlohmann::json run_report(const std::vector<std::string>& args);

/// Knobs of a generated test architecture (everything else as the shipped fp32 baseline).
struct ArchKnobs {
  int rows = 4, cols = 4;
  std::string dataflow = "ws";
  std::string format = "fp32";  ///< fp32 | fp16 | bf16 | int8
  int dram_bytes_per_cycle = 8;
  int dram_latency = 20;
  bool ideal_dram = false;
  bool double_buffered = true;
  uint64_t buffer_bytes = 1 << 20;
  int word_bits = 0;  ///< 0: wide enough that ports never limit (SCALE-Sim's assumption)
  int banks = 1;
  /// Non-empty: a kcnn_bitplane design with this "kcnn" section and these array units.
  nlohmann::json kcnn;
  int multipliers = 0;  ///< kcnn: multiplier array size
  int adders = 0;       ///< kcnn: adder count
  /// Non-empty: a kq_codebook design with this "kq" section.
  nlohmann::json kq;
};

/// Writes the architecture JSON into `dir` and returns its path.
std::string write_arch(const std::string& dir, const std::string& name, const ArchKnobs& k);

/// The counter fields of a layer or totals object (everything a model counts or times).
nlohmann::json counters_of(const nlohmann::json& entry);

}  // namespace kqtest
