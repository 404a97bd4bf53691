#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kq {

/// What `kqsim regress` keeps of one report: one row per entry ("(totals)", then every layer
/// by name), each a set of metrics (report leaves flattened with dots: "cycles",
/// "unit_cycles.array.stall", "energy_breakdown_pj.dram", "output_fnv1a64"). Integers,
/// strings and booleans are compared exactly (counters, cycles, output hashes); floats within
/// a relative tolerance (energy, area, SQNR, error magnitudes).
///
/// Left out, so a golden is a few KB: what other metrics determine (latency_us,
/// array_utilization, the multiplication/addition/DRAM sums of their by-format and read/write
/// parts, KQ's compression ratio, the fp32 baseline's figures, which the fp32 cases cover);
/// per-layer copies of the design's area and per-layer energy components (the layer's
/// counters and energy_pj pin them); and metrics that are 0 or null in every row of their
/// kind (a design's unused buffers). A metric a row lacks matches 0 or null, nothing else.
struct GoldenTable {
  std::vector<std::pair<std::string, std::map<std::string, nlohmann::json>>> rows;

  const std::map<std::string, nlohmann::json>* row(const std::string& name) const;
  /// nullopt when the row lacks the metric.
  std::optional<nlohmann::json> value(const std::string& row_name, const std::string& metric) const;
};

/// The metric table of a report.json (docs/REPORTS.md).
GoldenTable golden_from_report(const nlohmann::json& report);

/// A golden file: the case definition it was made from, and the table: the totals as one
/// object, the layers as columns and one line of values per layer. Floats keep 12 significant
/// digits (the tolerance is far coarser), so a changed golden reads well in a diff.
struct GoldenFile {
  nlohmann::json case_spec;
  GoldenTable table;
};
std::string golden_to_text(const GoldenFile& g);
/// Throws InputError naming `file_name` for anything that is not a golden written above.
GoldenFile golden_from_text(const std::string& text, const std::string& file_name);

}  // namespace kq
