#include "models/regress/metric_diff.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>

namespace kq {
namespace {

using nlohmann::json;

bool zero_or_null(const json& v) {
  return v.is_null() || (v.is_number() && v.get<double>() == 0.0);
}

/// nullopt: the table dropped the column (0 or null in every row), which matches 0 or null.
bool same(const std::optional<json>& g, const std::optional<json>& n, double rel_tol) {
  if (!g || !n) return zero_or_null(g ? *g : json()) && zero_or_null(n ? *n : json());
  if (g->is_number_float() && n->is_number()) {
    const double a = g->get<double>(), b = n->get<double>();
    return std::fabs(a - b) <= rel_tol * std::max(std::fabs(a), 1e-12);
  }
  return *g == *n;
}

std::string text(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return fmt::format("{:.9g}", v.get<double>());
  return v.dump();
}

std::string delta_pct(const json& g, const json& n) {
  if (!g.is_number() || !n.is_number()) return g.is_null() ? "new" : n.is_null() ? "gone" : "";
  const double a = g.get<double>(), b = n.get<double>();
  if (a == 0) return "new";
  return fmt::format("{:+.4g}%", 100.0 * (b - a) / std::fabs(a));
}

/// Code points, which is what fmt pads by (layer names and Δ are UTF-8).
size_t display_width(const std::string& s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

}  // namespace

std::vector<MetricChange> diff_tables(const std::string& case_name, const GoldenTable& golden,
                                      const GoldenTable& now, double rel_tol) {
  std::vector<MetricChange> out;
  for (const auto& [row, metrics] : now.rows) {
    const auto* g_row = golden.row(row);
    if (!g_row) {
      out.push_back({case_name, row, "(layer)", nullptr, "new"});
      continue;
    }
    std::set<std::string> names;
    for (const auto& [k, v] : metrics) names.insert(k);
    for (const auto& [k, v] : *g_row) names.insert(k);
    for (const auto& k : names) {
      const auto g = golden.value(row, k), n = now.value(row, k);
      if (!same(g, n, rel_tol)) out.push_back({case_name, row, k, g.value_or(0), n.value_or(0)});
    }
  }
  for (const auto& [row, metrics] : golden.rows)
    if (!now.row(row)) out.push_back({case_name, row, "(layer)", "present", nullptr});
  return out;
}

std::string format_changes(const std::vector<MetricChange>& changes) {
  std::vector<std::array<std::string, 6>> cells;
  cells.push_back({"case", "row", "metric", "golden", "now", "\u0394%"});
  for (const auto& c : changes)
    cells.push_back(
        {c.case_name, c.row, c.metric, text(c.golden), text(c.now), delta_pct(c.golden, c.now)});
  std::array<size_t, 6> width{};
  for (const auto& r : cells)
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], display_width(r[i]));
  std::string out;
  for (const auto& r : cells)
    out += fmt::format("{:<{}}  {:<{}}  {:<{}}  {:>{}}  {:>{}}  {:>{}}\n", r[0], width[0], r[1],
                       width[1], r[2], width[2], r[3], width[3], r[4], width[4], r[5], width[5]);
  return out;
}

}  // namespace kq
