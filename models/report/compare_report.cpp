#include "models/report/compare_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "models/common/base64.hpp"
#include "models/report/text_table.hpp"

namespace kq {
namespace {

using json = nlohmann::ordered_json;

const json& at(const json& j, const char* key, const std::string& where) {
  if (!j.is_object() || !j.contains(key))
    throw std::runtime_error(where + ": report has no \"" + key + "\"");
  return j[key];
}

/// Baseline / design; null when the design needs none of it (nothing to divide by).
json ratio(double baseline, double design) {
  return design > 0 ? json(baseline / design) : json(nullptr);
}

double num(const json& j, const char* key) {
  return j.at(key).get<double>();
}

/// The ratios of one entry (a design's totals or one layer) against the baseline's.
json vs_baseline(const json& base, const json& d, bool with_area) {
  json v;
  v["multiplication_reduction_x"] = ratio(num(base, "multiplications"), num(d, "multiplications"));
  v["addition_reduction_x"] = ratio(num(base, "additions"), num(d, "additions"));
  v["energy_reduction_x"] = ratio(num(base, "energy_pj"), num(d, "energy_pj"));
  v["dram_reduction_x"] = ratio(num(base, "dram_bytes"), num(d, "dram_bytes"));
  // Latency, not cycles: designs may run at other clocks.
  v["speedup_x"] = ratio(num(base, "latency_us"), num(d, "latency_us"));
  if (with_area) {
    v["area_ratio"] = num(d, "area_um2") / num(base, "area_um2");
    v["bits_per_weight_reduction_x"] =
        d["bits_per_weight"].is_number() && base["bits_per_weight"].is_number()
            ? ratio(num(base, "bits_per_weight"), num(d, "bits_per_weight"))
            : json(nullptr);
  }
  return v;
}

json optional(const json& j, const char* key) {
  return j.contains(key) ? j[key] : json(nullptr);
}

/// The figures of one layer (or the totals) that a comparison states, copied from a report.
json entry_figures(const json& src) {
  json e;
  for (const char* k : {"cycles", "latency_us", "multiplications", "additions", "dram_bytes",
                        "energy_pj", "energy_breakdown_pj"})
    e[k] = src.at(k);
  return e;
}

json design_entry(const CompareRun& run) {
  const json& r = run.report;
  const std::string where = run.report_path;
  const json& d = at(r, "design", where);
  const json& t = at(r, "totals", where);
  const json& layers = at(r, "layers", where);
  json e;
  e["name"] = d.at("name");
  e["arch"] = run.arch_path;
  e["report"] = run.report_path;
  for (const char* k : {"datapath", "clock_mhz", "array_rows", "array_cols", "dataflow",
                        "activation_format", "weight_format", "accumulator_format", "tech_node_nm"})
    e[k] = d.at(k);
  e["values_computed"] = at(r, "values_computed", where);
  json tot = entry_figures(t);
  tot["area_um2"] = t.at("area_um2");
  tot["area_breakdown_um2"] = t.at("area_breakdown_um2");
  tot["bits_per_weight"] = optional(t, "bits_per_weight");
  tot["weight_sqnr_db"] = optional(t, "weight_sqnr_db");
  // The network's output is the last layer's: its SQNR against the fp32 golden network.
  tot["output_sqnr_db"] =
      layers.empty() ? json(nullptr) : optional(layers.back(), "output_sqnr_db");
  e["totals"] = tot;
  // With labelled samples: the design's accuracy and its cost per sample, exactly as its own
  // report states them (its name is the entry's).
  if (r.contains("accuracy")) {
    const json& a = r["accuracy"];
    if (!a.contains("designs") || a["designs"].size() != 1)
      throw std::runtime_error(where + ": \"accuracy\" does not hold exactly one design");
    json acc = a["designs"][0];
    acc.erase("design");
    e["accuracy"] = acc;
  }
  json ls = json::array();
  for (const auto& l : layers) {
    json le;
    le["name"] = l.at("name");
    le["type"] = l.at("type");
    json f = entry_figures(l);
    for (auto it = f.begin(); it != f.end(); ++it) le[it.key()] = it.value();
    const json q = optional(l, "quantization");
    le["bits_per_weight"] = q.is_object() ? optional(q, "bits_per_weight") : json(nullptr);
    le["weight_sqnr_db"] = q.is_object() ? optional(q, "weight_sqnr_db") : json(nullptr);
    le["output_sqnr_db"] = optional(l, "output_sqnr_db");
    le["layer_output_sqnr_db"] = optional(l, "layer_output_sqnr_db");
    ls.push_back(le);
  }
  e["layers"] = ls;
  return e;
}

/// The tensors every run used must be the same: input and weights by digest, and the golden
/// fp32 network computed from them (where values ran).
json check_tensors(const std::vector<CompareRun>& runs) {
  json t = json::object();
  std::vector<std::string> used;
  for (const CompareRun& run : runs) {
    if (!run.report.contains("tensors")) continue;
    const json& rt = run.report["tensors"];
    used.push_back(run.report["design"]["name"].get<std::string>());
    for (const char* k : {"input_fnv1a64", "weights_fnv1a64", "golden_output_fnv1a64"}) {
      if (!rt.contains(k)) continue;
      if (!t.contains(k)) {
        t[k] = rt[k];
      } else if (t[k] != rt[k]) {
        throw std::runtime_error(fmt::format(
            "{}: {} {} differs from the other designs' {}: the runs did not use the same "
            "tensors",
            run.report_path, k, rt[k].get<std::string>(), t[k].get<std::string>()));
      }
    }
  }
  json out;
  out["identical_across_designs"] = true;
  out["designs_with_tensors"] = used;
  for (auto it = t.begin(); it != t.end(); ++it) out[it.key()] = it.value();
  return out;
}

/// The samples and the float reference every run measured accuracy against. Every run has
/// them or none does; the float reference is the trained network on the same weights and
/// samples, so it must be the same in every run (the tensor digests prove the weights are).
json accuracy_of(const std::vector<CompareRun>& runs) {
  const json& r0 = runs[0].report;
  const bool with = r0.contains("accuracy");
  for (const CompareRun& run : runs) {
    if (run.report.contains("accuracy") != with)
      throw std::runtime_error(run.report_path + (with ? ": has no" : ": has an") +
                               " \"accuracy\" where the baseline's report " +
                               (with ? "has one" : "has none"));
    if (!with) continue;
    const json& a = run.report["accuracy"];
    for (const char* k : {"samples", "classes", "float_reference"})
      if (at(a, k, run.report_path) != r0["accuracy"][k])
        throw std::runtime_error(run.report_path + ": accuracy \"" + k +
                                 "\" differs from the baseline's: the runs did not measure the "
                                 "same samples on the same network");
  }
  if (!with) return json(nullptr);
  json out;
  for (const char* k : {"samples", "classes", "float_reference"}) out[k] = r0["accuracy"][k];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Text rendering: every cell is formatted here once and shared by Markdown, HTML and console.

std::string grouped(uint64_t v) {
  std::string s = std::to_string(v), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
}

std::string si(double v) {
  const char* suffix[] = {"", " k", " M", " G", " T", " P"};
  int i = 0;
  while (std::fabs(v) >= 1000.0 && i < 5) v /= 1000.0, ++i;
  return fmt::format("{:.3g}{}", v, suffix[i]);
}

/// "62.2 MB", "512 B": three significant digits with an SI prefix.
std::string si_unit(double v, const char* unit) {
  const char* prefix[] = {"", "k", "M", "G", "T", "P"};
  int i = 0;
  while (std::fabs(v) >= 1000.0 && i < 5) v /= 1000.0, ++i;
  return fmt::format("{:.3g} {}{}", v, prefix[i], unit);
}

std::string fixed(double v, int digits) {
  if (std::fabs(v) >= 1e4) return grouped(static_cast<uint64_t>(std::llround(v)));
  return fmt::format("{:.{}f}", v, digits);
}

/// "4.36× fewer" / "2.10× more" from a baseline/design ratio.
std::string relation(const json& r, const char* less, const char* more) {
  if (!r.is_number()) return "";
  const double x = r.get<double>();
  if (std::fabs(x - 1.0) < 0.005) return "same";
  if (x >= 1.0) return fmt::format("{:.2f}× {}", x, less);
  return fmt::format("{:.2f}× {}", 1.0 / x, more);
}

std::string with_relation(const std::string& value, const std::string& rel, bool is_base) {
  if (is_base || rel.empty()) return value;
  return value + " (" + rel + ")";
}

/// A fraction in [0, 1] as a percentage with two decimals ("97.50").
std::string percent(const json& fraction) {
  return fmt::format("{:.2f}", 100.0 * fraction.get<double>());
}

std::string sqnr_cell(const json& v, bool exact_when_null) {
  if (v.is_number()) return fmt::format("{:.1f}", v.get<double>());
  return exact_when_null ? "exact" : "–";
}

/// Weight SQNR null: exact for designs that store float weights in fp32, unknown otherwise
/// (weights imported already quantized have no float original to compare with).
bool weights_exact(const json& d) {
  return d["datapath"] == "mac_array" && d["weight_format"] == "fp32";
}

const json& designs_of(const json& c) {
  return c.at("designs");
}

std::vector<std::string> design_header(const json& c, const char* first) {
  std::vector<std::string> h{first};
  for (const auto& d : designs_of(c)) h.push_back(d["name"].get<std::string>());
  return h;
}

TextTable headline_table(const json& c) {
  TextTable t;
  t.header = design_header(c, "");
  const json& ds = designs_of(c);
  auto row = [&](const std::string& label, auto cell) {
    std::vector<std::string> r{label};
    for (size_t i = 0; i < ds.size(); ++i) r.push_back(cell(ds[i], i == 0));
    t.rows.push_back(r);
  };
  row("datapath", [](const json& d, bool) { return d["datapath"].get<std::string>(); });
  row("array", [](const json& d, bool) {
    return fmt::format("{}×{} {}", d["array_rows"].get<int>(), d["array_cols"].get<int>(),
                       d["dataflow"].get<std::string>());
  });
  row("formats (activation/weight/accumulator)", [](const json& d, bool) {
    return fmt::format("{}/{}/{}", d["activation_format"].get<std::string>(),
                       d["weight_format"].get<std::string>(),
                       d["accumulator_format"].get<std::string>());
  });
  row("clock (MHz)", [](const json& d, bool) { return fmt::format("{:g}", num(d, "clock_mhz")); });
  row("cycles", [](const json& d, bool) { return grouped(d["totals"]["cycles"].get<uint64_t>()); });
  row("latency (µs)", [](const json& d, bool b) {
    return with_relation(fixed(num(d["totals"], "latency_us"), 1),
                         relation(d["vs_baseline"]["speedup_x"], "faster", "slower"), b);
  });
  row("multiplications", [](const json& d, bool b) {
    return with_relation(si(num(d["totals"], "multiplications")),
                         relation(d["vs_baseline"]["multiplication_reduction_x"], "fewer", "more"),
                         b);
  });
  row("additions", [](const json& d, bool b) {
    return with_relation(si(num(d["totals"], "additions")),
                         relation(d["vs_baseline"]["addition_reduction_x"], "fewer", "more"), b);
  });
  row("DRAM traffic", [](const json& d, bool b) {
    return with_relation(si_unit(num(d["totals"], "dram_bytes"), "B"),
                         relation(d["vs_baseline"]["dram_reduction_x"], "less", "more"), b);
  });
  row("energy (µJ)", [](const json& d, bool b) {
    return with_relation(fixed(num(d["totals"], "energy_pj") * 1e-6, 1),
                         relation(d["vs_baseline"]["energy_reduction_x"], "less", "more"), b);
  });
  if (c.contains("accuracy")) {
    // Accuracy is read against the trained network (the float reference), not the baseline:
    // the label carries the reference, each cell the drop from it in percentage points.
    const json& f = c["accuracy"]["float_reference"];
    const uint64_t float_top1 = f["top1_correct"].get<uint64_t>();
    row(fmt::format("top-1 accuracy (%), float reference {}", percent(f["top1_accuracy"])),
        [float_top1](const json& d, bool) {
          const json& a = d["accuracy"];
          if (a["top1_correct"].get<uint64_t>() == float_top1)
            return percent(a["top1_accuracy"]) + " (= float)";
          return fmt::format("{} ({:+.2f} pts)", percent(a["top1_accuracy"]),
                             -100.0 * a["top1_drop_vs_float"].get<double>());
        });
    row(fmt::format("top-5 accuracy (%), float reference {}", percent(f["top5_accuracy"])),
        [](const json& d, bool) { return percent(d["accuracy"]["top5_accuracy"]); });
    row("top-1 agrees with float (% of samples)",
        [](const json& d, bool) { return percent(d["accuracy"]["top1_agreement_with_float"]); });
  }
  row("area (mm²)", [](const json& d, bool b) {
    return with_relation(
        fmt::format("{:.3f}", num(d["totals"], "area_um2") * 1e-6),
        fmt::format("{:.2f}× the area", d["vs_baseline"]["area_ratio"].get<double>()), b);
  });
  row("bits per weight", [](const json& d, bool) {
    const json& v = d["totals"]["bits_per_weight"];
    return v.is_number() ? fmt::format("{:.3g}", v.get<double>()) : std::string("–");
  });
  row("weight SQNR (dB)", [](const json& d, bool) {
    return sqnr_cell(d["totals"]["weight_sqnr_db"], weights_exact(d));
  });
  row("output SQNR vs fp32 golden (dB)", [](const json& d, bool) {
    return sqnr_cell(d["totals"]["output_sqnr_db"], d["values_computed"].get<bool>());
  });
  return t;
}

/// Rows: the components of `key` (first-seen order over the designs); cells: value and share.
TextTable breakdown_table(const json& c, const char* key, const char* total_key, double scale,
                          int digits) {
  TextTable t;
  t.header = design_header(c, "component");
  std::vector<std::string> order;
  for (const auto& d : designs_of(c))
    for (auto it = d["totals"][key].begin(); it != d["totals"][key].end(); ++it)
      if (std::find(order.begin(), order.end(), it.key()) == order.end()) order.push_back(it.key());
  for (const std::string& comp : order) {
    std::vector<std::string> r{comp};
    for (const auto& d : designs_of(c)) {
      const json& b = d["totals"][key];
      const double total = num(d["totals"], total_key);
      if (!b.contains(comp)) {
        r.push_back("–");
        continue;
      }
      const double v = b[comp].get<double>();
      r.push_back(
          fmt::format("{:.{}f} ({:.1f}%)", v * scale, digits, total > 0 ? 100.0 * v / total : 0.0));
    }
    t.rows.push_back(r);
  }
  std::vector<std::string> total{"total"};
  for (const auto& d : designs_of(c))
    total.push_back(fmt::format("{:.{}f}", num(d["totals"], total_key) * scale, digits));
  t.rows.push_back(total);
  return t;
}

template <typename Cell>
TextTable layer_table(const json& c, Cell cell) {
  TextTable t;
  t.header = design_header(c, "layer");
  const json& ds = designs_of(c);
  const size_t n = ds[0]["layers"].size();
  for (size_t i = 0; i < n; ++i) {
    std::vector<std::string> r{ds[0]["layers"][i]["name"].get<std::string>()};
    for (size_t k = 0; k < ds.size(); ++k) r.push_back(cell(ds[k], ds[k]["layers"][i], k == 0));
    t.rows.push_back(r);
  }
  return t;
}

struct Section {
  std::string title;
  std::string note;
  TextTable table;
};

/// One row per classifier: the float reference, then every design with its cost per sample.
Section accuracy_section(const json& c) {
  const json& a = c["accuracy"];
  const uint64_t samples = a["samples"].get<uint64_t>();
  Section s;
  s.title = fmt::format("Accuracy on {} labelled samples ({} classes)", samples,
                        a["classes"].get<uint64_t>());
  s.note =
      "Top-1/top-5: share of the samples whose label is the highest score / among the five "
      "highest. The float reference is the trained network in fp64 on its float32 weights "
      "(the same for every design); the drop is in percentage points (pts) of top-1 accuracy "
      "against it. Costs per sample are each design's run (they do not depend on the values); "
      "all samples: one after the other.";
  s.table.header = {"classifier",
                    "top-1 (%)",
                    "top-5 (%)",
                    "top-1 drop vs float (pts)",
                    "top-1 agrees with float (%)",
                    "energy per sample (µJ)",
                    "multiplications per sample",
                    "energy, all samples (mJ)"};
  const json& f = a["float_reference"];
  s.table.rows.push_back({"float reference (fp64)", percent(f["top1_accuracy"]),
                          percent(f["top5_accuracy"]), "–", "–", "–", "–", "–"});
  for (const auto& d : designs_of(c)) {
    const json& da = d["accuracy"];
    auto cost = [&](const char* group, const char* key) -> const json* {
      return da.contains(group) && da[group].contains(key) ? &da[group][key] : nullptr;
    };
    const json* e1 = cost("cost_per_sample", "energy_pj");
    const json* m1 = cost("cost_per_sample", "multiplications");
    const json* ea = cost("cost_all_samples", "energy_pj");
    s.table.rows.push_back(
        {d["name"].get<std::string>(), percent(da["top1_accuracy"]), percent(da["top5_accuracy"]),
         fmt::format("{:.2f}", 100.0 * da["top1_drop_vs_float"].get<double>()),
         percent(da["top1_agreement_with_float"]), e1 ? fixed(e1->get<double>() * 1e-6, 2) : "–",
         m1 ? si(m1->get<double>()) : "–", ea ? fixed(ea->get<double>() * 1e-9, 3) : "–"});
  }
  return s;
}

std::vector<Section> sections(const json& c) {
  std::vector<Section> s;
  std::string note = "Ratios in brackets are against the baseline (" +
                     c["baseline"].get<std::string>() +
                     "); latency compares µs at each design's clock.";
  if (c.contains("accuracy"))
    note += " Top-1 accuracy in brackets: percentage points (pts) against the float reference.";
  s.push_back({"Headline", note, headline_table(c)});
  if (c.contains("accuracy")) s.push_back(accuracy_section(c));
  s.push_back({"Energy by component (µJ)", "",
               breakdown_table(c, "energy_breakdown_pj", "energy_pj", 1e-6, 2)});
  s.push_back({"Area by component (mm²)", "",
               breakdown_table(c, "area_breakdown_um2", "area_um2", 1e-6, 3)});
  s.push_back(
      {"Multiplications per layer", "", layer_table(c, [](const json&, const json& l, bool b) {
         return with_relation(
             si(num(l, "multiplications")),
             relation(l["vs_baseline"]["multiplication_reduction_x"], "fewer", "more"), b);
       })});
  s.push_back({"Energy per layer (µJ)", "", layer_table(c, [](const json&, const json& l, bool b) {
                 return with_relation(
                     fmt::format("{:.2f}", num(l, "energy_pj") * 1e-6),
                     relation(l["vs_baseline"]["energy_reduction_x"], "less", "more"), b);
               })});
  s.push_back({"Cycles per layer", "", layer_table(c, [](const json&, const json& l, bool) {
                 return grouped(l["cycles"].get<uint64_t>());
               })});
  s.push_back({"Bits per weight and weight SQNR (dB) per layer",
               "Layers without weights are left blank.",
               layer_table(c, [](const json& d, const json& l, bool) {
                 if (!l["bits_per_weight"].is_number()) return std::string("");
                 return fmt::format("{:.3g} b, {}", l["bits_per_weight"].get<double>(),
                                    sqnr_cell(l["weight_sqnr_db"], weights_exact(d)));
               })});
  s.push_back({"Output SQNR per layer (dB)",
               "Each design's layer output against the fp32 golden network (double precision) "
               "on the same input and weights; \"exact\": no difference; \"–\": no values "
               "computed.",
               layer_table(c, [](const json& d, const json& l, bool) {
                 return sqnr_cell(l["output_sqnr_db"], d["values_computed"].get<bool>());
               })});
  return s;
}

std::string title_of(const json& c) {
  return fmt::format("kqsim comparison: {} ({} mode, seed {})",
                     c["workload"]["name"].get<std::string>(), c["mode"].get<std::string>(),
                     c["seed"].get<uint64_t>());
}

std::string tensors_sentence(const json& c) {
  const json& t = c["tensors"];
  if (!t.contains("weights_fnv1a64"))
    return "No design needed tensor values (analytic mode on unquantized designs).";
  std::string s =
      fmt::format("Every design ran on the same tensors: input FNV-1a {}, weights {}",
                  t["input_fnv1a64"].get<std::string>(), t["weights_fnv1a64"].get<std::string>());
  if (t.contains("golden_output_fnv1a64"))
    s += fmt::format(", golden fp32 output {}", t["golden_output_fnv1a64"].get<std::string>());
  return s + ".";
}

std::string csv_num(const json& v) {
  if (v.is_null()) return "";
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  return fmt::format("{}", v.get<double>());
}

std::vector<std::string> union_keys(const json& c, const char* key) {
  std::vector<std::string> order;
  for (const auto& d : designs_of(c))
    for (auto it = d["totals"][key].begin(); it != d["totals"][key].end(); ++it)
      if (std::find(order.begin(), order.end(), it.key()) == order.end()) order.push_back(it.key());
  return order;
}

}  // namespace

json compare_to_json(const std::vector<CompareRun>& runs) {
  if (runs.size() < 2) throw std::runtime_error("a comparison needs a baseline and a design");
  const json& r0 = runs[0].report;
  for (const CompareRun& run : runs) {
    const json& r = run.report;
    for (const char* k : {"mode", "seed"})
      if (at(r, k, run.report_path) != r0[k])
        throw std::runtime_error(run.report_path + ": \"" + k + "\" differs from the baseline's");
    const json& w = at(r, "workload", run.report_path);
    if (w != r0["workload"])
      throw std::runtime_error(run.report_path + ": another workload than the baseline's");
    if (at(r, "layers", run.report_path).size() != r0["layers"].size())
      throw std::runtime_error(run.report_path + ": another layer count than the baseline's");
  }
  json c;
  c["schema_version"] = kCompareSchemaVersion;
  c["tool"] = r0.at("tool");
  c["mode"] = r0.at("mode");
  c["seed"] = r0.at("seed");
  c["workload"] = r0.at("workload");
  json inputs = json::array();
  for (const auto& f : r0.at("inputs"))
    if (f["role"] != "arch" && f["role"] != "tech") inputs.push_back(f);
  c["inputs"] = inputs;
  c["tensors"] = check_tensors(runs);
  const json accuracy = accuracy_of(runs);
  if (!accuracy.is_null()) c["accuracy"] = accuracy;
  c["baseline"] = r0["design"]["name"];
  json designs = json::array();
  for (const CompareRun& run : runs) designs.push_back(design_entry(run));
  const json& base = designs[0];
  for (auto& d : designs) {
    d["vs_baseline"] = vs_baseline(base["totals"], d["totals"], true);
    for (size_t i = 0; i < d["layers"].size(); ++i)
      d["layers"][i]["vs_baseline"] = vs_baseline(base["layers"][i], d["layers"][i], false);
  }
  c["designs"] = designs;
  return c;
}

std::string compare_csv(const json& c) {
  const std::vector<std::string> energy = union_keys(c, "energy_breakdown_pj");
  const std::vector<std::string> area = union_keys(c, "area_breakdown_um2");
  std::string out =
      "design,layer,type,cycles,latency_us,multiplications,additions,dram_bytes,"
      "energy_pj";
  for (const auto& e : energy) out += ",energy_" + e + "_pj";
  out += ",area_um2";
  for (const auto& a : area) out += ",area_" + a + "_um2";
  const char* ratios[] = {"multiplication_reduction_x", "addition_reduction_x",
                          "energy_reduction_x", "dram_reduction_x", "speedup_x"};
  out += ",bits_per_weight,weight_sqnr_db,output_sqnr_db";
  for (const char* r : ratios) out += std::string(",") + r;
  out += ",area_ratio";
  // Accuracy columns only when the comparison measured it, so reports without labelled
  // samples keep their columns; fractions in [0, 1], filled on each design's total row.
  const bool with_accuracy = c.contains("accuracy");
  const char* accuracy_keys[] = {"top1_accuracy", "top5_accuracy", "top1_drop_vs_float",
                                 "top1_agreement_with_float"};
  if (with_accuracy) {
    for (const char* k : accuracy_keys) out += std::string(",") + k;
    out += ",float_top1_accuracy,float_top5_accuracy";
  }
  out += "\n";
  for (const auto& d : designs_of(c)) {
    const json& t = d["totals"];
    auto row = [&](const std::string& layer, const std::string& type, const json& e,
                   bool total_row) {
      std::string line = d["name"].get<std::string>() + "," + layer + "," + type;
      for (const char* k :
           {"cycles", "latency_us", "multiplications", "additions", "dram_bytes", "energy_pj"})
        line += "," + csv_num(e[k]);
      for (const auto& k : energy)
        line += "," + (e["energy_breakdown_pj"].contains(k) ? csv_num(e["energy_breakdown_pj"][k])
                                                            : std::string());
      // Area belongs to the design: every layer runs on all of it.
      line += "," + csv_num(t["area_um2"]);
      for (const auto& k : area)
        line += "," + (t["area_breakdown_um2"].contains(k) ? csv_num(t["area_breakdown_um2"][k])
                                                           : std::string());
      for (const char* k : {"bits_per_weight", "weight_sqnr_db", "output_sqnr_db"})
        line += "," + csv_num(e[k]);
      for (const char* r : ratios) line += "," + csv_num(e["vs_baseline"][r]);
      line += "," + csv_num(d["vs_baseline"]["area_ratio"]);
      if (with_accuracy) {
        for (const char* k : accuracy_keys)
          line += "," + (total_row ? csv_num(d["accuracy"][k]) : std::string());
        const json& f = c["accuracy"]["float_reference"];
        for (const char* k : {"top1_accuracy", "top5_accuracy"})
          line += "," + (total_row ? csv_num(f[k]) : std::string());
      }
      out += line + "\n";
    };
    json tot = t;
    tot["vs_baseline"] = d["vs_baseline"];
    row("total", "network", tot, true);
    for (const auto& l : d["layers"])
      row(l["name"].get<std::string>(), l["type"].get<std::string>(), l, false);
  }
  return out;
}

std::string compare_markdown(const json& c, const std::vector<PageFigure>& figures) {
  std::string out = "# " + title_of(c) + "\n\n";
  out +=
      fmt::format("Baseline: **{}**. {}\n", c["baseline"].get<std::string>(), tensors_sentence(c));
  const std::vector<Section> secs = sections(c);
  for (size_t i = 0; i < secs.size(); ++i) {
    const Section& s = secs[i];
    out += "\n## " + s.title + "\n\n";
    if (!s.note.empty()) out += s.note + "\n\n";
    out += s.table.to_markdown();
    if (i == 0 && !figures.empty()) {
      out += "\n## Figures\n\n";
      for (const PageFigure& f : figures) out += "![" + f.title + "](plots/" + f.stem + ".png)\n";
    }
  }
  return out;
}

std::string compare_console(const json& c) {
  return title_of(c) + "\n" + headline_table(c).to_console();
}

std::string compare_html(const json& c, const std::vector<PageFigure>& figures) {
  const std::string title = title_of(c);
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<link rel=\"icon\" href=\"data:,\">\n<title>" +
      html_escape(title) +
      "</title>\n<style>\n"
      "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1400px;padding:0 1em;"
      "color:#222}\n"
      "table{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:0.9em}\n"
      "th,td{border:1px solid #ccc;padding:3px 8px;text-align:right;white-space:nowrap}\n"
      "th{background:#f3f3f3}\n.l{text-align:left}\n"
      "figure{margin:1.5em 0}\nimg{max-width:100%;height:auto}\n"
      "figcaption{color:#555;font-size:0.9em}\n.note{color:#555}\n"
      "</style>\n</head>\n<body>\n<h1>" +
      html_escape(title) + "</h1>\n";
  out += "<p>Baseline: <b>" + html_escape(c["baseline"].get<std::string>()) + "</b>. " +
         html_escape(tensors_sentence(c)) + "</p>\n";
  const std::vector<Section> secs = sections(c);
  // The headline first, then the figures, then the detailed tables.
  auto section_html = [](const Section& s) {
    std::string h = "<h2>" + html_escape(s.title) + "</h2>\n";
    if (!s.note.empty()) h += "<p class=\"note\">" + html_escape(s.note) + "</p>\n";
    return h + s.table.to_html();
  };
  out += section_html(secs[0]);
  if (!figures.empty()) {
    out += "<h2>Figures</h2>\n";
    for (const PageFigure& f : figures)
      out += "<figure id=\"" + html_escape(f.stem) + "\"><img alt=\"" + html_escape(f.title) +
             "\" src=\"data:image/png;base64," + base64_encode(f.png_bytes) + "\">\n<figcaption>" +
             html_escape(f.title) + " (plots/" + html_escape(f.stem) +
             ".svg)</figcaption></figure>\n";
  }
  for (size_t i = 1; i < secs.size(); ++i) out += section_html(secs[i]);
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace kq
