#include "models/sweep/sweep_metrics.hpp"

namespace kq {

bool is_sweep_metric(const std::string& name) {
  for (const char* m : kSweepMetrics)
    if (name == m) return true;
  return false;
}

std::optional<double> metric_value(const DesignMetrics& m, const std::string& name) {
  if (name == "cycles") return static_cast<double>(m.cycles);
  if (name == "latency_ms") return m.latency_ms;
  if (name == "energy_mj") return m.energy_mj;
  if (name == "area_mm2") return m.area_mm2;
  if (name == "power_mw") return m.power_mw;
  if (name == "edp_mj_ms") return m.edp_mj_ms;
  if (name == "multiplications") return static_cast<double>(m.multiplications);
  if (name == "dram_bytes") return static_cast<double>(m.dram_bytes);
  if (name == "array_utilization") return m.array_utilization;
  if (name == "bits_per_weight") return m.bits_per_weight;
  if (name == "weight_sqnr_db") return m.weight_sqnr_db;
  return std::nullopt;
}

}  // namespace kq
