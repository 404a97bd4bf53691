#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace kq {

/// What a sweep reports for one design on one workload (analytic model; every figure with its
/// unit in its name).
struct DesignMetrics {
  uint64_t cycles = 0;
  double latency_ms = 0;
  double energy_mj = 0;
  double area_mm2 = 0;
  double power_mw = 0;   ///< average: energy / latency
  double edp_mj_ms = 0;  ///< energy-delay product
  uint64_t multiplications = 0;
  uint64_t dram_bytes = 0;
  double array_utilization = 0;  ///< workload MACs / (cycles · rows · cols)
  /// Stored bits per conv/fc weight (KCNN planes and scales, KQ indices and codebooks; the
  /// weight format's width for float and int8 designs).
  double bits_per_weight = 0;
  /// SQNR of the quantized weights against the float weights, when they were fitted.
  std::optional<double> weight_sqnr_db;
};

/// Metric names in record order.
inline constexpr std::array<const char*, 11> kSweepMetrics = {
    "cycles",        "latency_ms",      "energy_mj",  "area_mm2",          "power_mw",
    "edp_mj_ms",     "multiplications", "dram_bytes", "array_utilization", "bits_per_weight",
    "weight_sqnr_db"};
/// The objectives every sweep minimises: best designs and Pareto fronts are over these.
inline constexpr std::array<const char*, 3> kSweepObjectives = {"energy_mj", "latency_ms",
                                                                "area_mm2"};

bool is_sweep_metric(const std::string& name);
/// The metric's value; std::nullopt for a weight SQNR that was not computed.
std::optional<double> metric_value(const DesignMetrics& m, const std::string& name);

}  // namespace kq
