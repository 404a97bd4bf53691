#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/sweep/sweep_metrics.hpp"
#include "models/sweep/sweep_spec.hpp"

namespace kq {

/// One line of results.jsonl: a design point on one workload (docs/SWEEP.md).
///   {"point", "workload", "values": {axis: value}, "status": "ok", "feasible",
///    "violations": [metric...], "metrics": {...}}     an evaluated design
///   {"point", "workload", "values", "status": "invalid", "reason": "FILE: WHERE: why"}
/// Records are built and dumped the same way everywhere, so equal inputs give equal bytes.
nlohmann::ordered_json ok_record(uint64_t point, const std::string& workload,
                                 const nlohmann::ordered_json& values, const DesignMetrics& m,
                                 const std::vector<std::string>& violations);
nlohmann::ordered_json invalid_record(uint64_t point, const std::string& workload,
                                      const nlohmann::ordered_json& values,
                                      const std::string& reason);

/// results.csv: one column per axis between the identity and the status; JSON values that
/// are not scalars are written as compact JSON.
std::string csv_header(const SweepSpec& spec);
std::string csv_row(const SweepSpec& spec, const nlohmann::ordered_json& record);

/// What the final files, the summary and the Pareto fronts need of a record, kept in memory
/// for every record of a sweep so that nothing is parsed back at the end.
struct RecordDigest {
  uint64_t point = 0;
  uint32_t workload = 0;  ///< index in the spec's list
  bool ok = false, feasible = false;
  uint64_t cycles = 0, dram_bytes = 0;
  double energy_mj = 0, latency_ms = 0, area_mm2 = 0, edp_mj_ms = 0;  ///< NaN when null
  std::string reason;                                                 ///< invalid records
};
/// Throws std::runtime_error when `r` is not a record.
RecordDigest digest_of(const nlohmann::ordered_json& r, uint32_t workload);

}  // namespace kq
