#include "models/regress/golden.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "models/common/input_error.hpp"
#include "models/config/json_reader.hpp"

namespace kq {
namespace {

using nlohmann::json;
using Row = std::map<std::string, json>;

/// Row name of the network totals; parentheses never occur in layer names.
const char* const kTotalsRow = "(totals)";

/// Entry keys that are not metrics or restate others.
const std::set<std::string> kSkipped = {
    "name",      "type",      "latency_us", "array_utilization", "baseline_fp32", "multiplications",
    "additions", "dram_bytes"};
/// Leaves that restate others (KQ: 32 / bits_per_weight; the quantization scheme is the
/// design's datapath).
const std::set<std::string> kSkippedLeaves = {"quantization.compression_vs_fp32_x",
                                              "compression_vs_fp32_x", "quantization.scheme"};
/// The design's area is the same in every layer entry, and a layer's energy components are
/// its counters priced by the tech table: the counters and the layer's energy_pj catch any
/// change there; the totals row keeps the breakdowns once.
const std::set<std::string> kTotalsOnly = {"area_um2", "area_breakdown_um2", "energy_breakdown_pj",
                                           "energy_dynamic_pj", "energy_leakage_pj"};

void flatten(const json& v, const std::string& name, Row& out) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) flatten(it.value(), name + "." + it.key(), out);
  } else if (!v.is_array() && !kSkippedLeaves.count(name)) {
    out[name] = v;
  }
}

Row metrics_of(const json& entry, bool totals) {
  Row out;
  for (auto it = entry.begin(); it != entry.end(); ++it) {
    if (kSkipped.count(it.key()) || (!totals && kTotalsOnly.count(it.key()))) continue;
    flatten(it.value(), it.key(), out);
  }
  return out;
}

bool zero_or_null(const json& v) {
  return v.is_null() || (v.is_number() && v.get<double>() == 0.0);
}

std::string value_text(const json& v) {
  if (!v.is_number_float()) return v.dump();
  std::string s = fmt::format("{:.12g}", v.get<double>());
  // Keep it a float when read back: metric classes follow the JSON type.
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

/// Layer metrics in name order that are non-zero and non-null in some layer.
std::vector<std::string> layer_columns(const GoldenTable& t) {
  std::set<std::string> cols;
  for (size_t r = 1; r < t.rows.size(); ++r)
    for (const auto& [k, v] : t.rows[r].second) cols.insert(k);
  return {cols.begin(), cols.end()};
}

}  // namespace

const Row* GoldenTable::row(const std::string& name) const {
  for (const auto& [n, values] : rows)
    if (n == name) return &values;
  return nullptr;
}

std::optional<json> GoldenTable::value(const std::string& row_name,
                                       const std::string& metric) const {
  const Row* r = row(row_name);
  if (!r) return std::nullopt;
  const auto it = r->find(metric);
  if (it == r->end()) return std::nullopt;
  return it->second;
}

GoldenTable golden_from_report(const json& report) {
  GoldenTable t;
  t.rows.emplace_back(kTotalsRow, metrics_of(report.at("totals"), true));
  for (const auto& l : report.at("layers"))
    t.rows.emplace_back(l.at("name").get<std::string>(), metrics_of(l, false));
  // Drop the totals' zero/null metrics, and the layer metrics zero/null in every layer.
  Row& totals = t.rows.front().second;
  for (auto it = totals.begin(); it != totals.end();)
    it = zero_or_null(it->second) ? totals.erase(it) : std::next(it);
  std::set<std::string> live;
  for (size_t r = 1; r < t.rows.size(); ++r)
    for (const auto& [k, v] : t.rows[r].second)
      if (!zero_or_null(v)) live.insert(k);
  for (size_t r = 1; r < t.rows.size(); ++r) {
    Row& row = t.rows[r].second;
    for (auto it = row.begin(); it != row.end();)
      it = live.count(it->first) ? std::next(it) : row.erase(it);
  }
  return t;
}

std::string golden_to_text(const GoldenFile& g) {
  std::string out = "{\n  \"case\": " + g.case_spec.dump() + ",\n  \"totals\": {";
  if (!g.table.rows.empty()) {
    size_t i = 0;
    for (const auto& [k, v] : g.table.rows.front().second)
      out += (i++ ? ", " : "") + json(k).dump() + ": " + value_text(v);
  }
  const std::vector<std::string> cols = layer_columns(g.table);
  out += "},\n  \"layer_columns\": [";
  for (size_t c = 0; c < cols.size(); ++c) out += (c ? ", " : "") + json(cols[c]).dump();
  out += "],\n  \"layers\": {";
  for (size_t r = 1; r < g.table.rows.size(); ++r) {
    const auto& [name, row] = g.table.rows[r];
    out += (r > 1 ? ",\n    " : "\n    ") + json(name).dump() + ": [";
    for (size_t c = 0; c < cols.size(); ++c) {
      const auto it = row.find(cols[c]);
      out += (c ? ", " : "") + (it == row.end() ? std::string("null") : value_text(it->second));
    }
    out += "]";
  }
  out += g.table.rows.size() > 1 ? "\n  }\n}\n" : "}\n}\n";
  return out;
}

GoldenFile golden_from_text(const std::string& text, const std::string& file_name) {
  const json doc = parse_json_text(text, file_name);
  auto fail = [&](const std::string& where, const std::string& what) -> void {
    throw InputError(file_name, where, what);
  };
  if (!doc.is_object()) fail("/", "expected a golden file object");
  for (auto it = doc.begin(); it != doc.end(); ++it)
    if (it.key() != "case" && it.key() != "totals" && it.key() != "layer_columns" &&
        it.key() != "layers")
      fail("/" + it.key(), "unknown key (expected case, totals, layer_columns, layers)");
  for (const char* k : {"case", "totals", "layer_columns", "layers"})
    if (!doc.contains(k)) fail(std::string("/") + k, "missing required key");
  GoldenFile g;
  g.case_spec = doc["case"];
  if (!g.case_spec.is_object()) fail("/case", "expected an object (the case definition)");
  auto scalar = [&](const json& v, const std::string& where) {
    if (v.is_object() || v.is_array()) fail(where, "expected a number, string, boolean or null");
    return v;
  };
  if (!doc["totals"].is_object()) fail("/totals", "expected an object of metric -> value");
  Row totals;
  for (auto it = doc["totals"].begin(); it != doc["totals"].end(); ++it)
    totals[it.key()] = scalar(it.value(), "/totals/" + it.key());
  g.table.rows.emplace_back(kTotalsRow, std::move(totals));
  const auto& cols = doc["layer_columns"];
  if (!cols.is_array()) fail("/layer_columns", "expected an array of metric names");
  for (size_t i = 0; i < cols.size(); ++i)
    if (!cols[i].is_string()) fail("/layer_columns/" + std::to_string(i), "expected a metric name");
  if (!doc["layers"].is_object()) fail("/layers", "expected an object of layer -> values");
  for (auto it = doc["layers"].begin(); it != doc["layers"].end(); ++it) {
    const std::string where = "/layers/" + it.key();
    if (!it.value().is_array() || it.value().size() != cols.size())
      fail(where,
           fmt::format("expected an array of {} values (one per layer column)", cols.size()));
    Row row;
    for (size_t c = 0; c < cols.size(); ++c) {
      const json v = scalar(it.value()[c], where + "/" + std::to_string(c));
      if (!v.is_null()) row[cols[c].get<std::string>()] = v;
    }
    g.table.rows.emplace_back(it.key(), std::move(row));
  }
  return g;
}

}  // namespace kq
