#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/regress/golden.hpp"

namespace kq {

/// One metric of one case that moved against its golden.
struct MetricChange {
  std::string case_name;
  std::string row;     ///< "(totals)", a layer name, or "(case)" for the case as a whole
  std::string metric;  ///< metric name; in parentheses for what is not a metric: "(layer)"
                       ///< when a layer appeared or vanished, "(definition)", "(golden)"
  nlohmann::json golden, now;
};

/// Every difference between a golden and a fresh table: integers, strings and booleans must be
/// equal; floats may differ by at most rel_tol relative to the golden (absolute rel_tol · 1e-12
/// around 0, so a golden 0.0 tolerates rounding noise only). Rows are matched by name; a metric
/// a row lacks matches 0 or null.
std::vector<MetricChange> diff_tables(const std::string& case_name, const GoldenTable& golden,
                                      const GoldenTable& now, double rel_tol);

/// The change table: case, row, metric, golden, now, Δ% (relative to the golden; "new" when
/// the golden was 0 or absent). Columns sized to their contents.
std::string format_changes(const std::vector<MetricChange>& changes);

}  // namespace kq
