#include "models/report/run_report.hpp"

#include <fmt/format.h>

#include <cmath>

#include "models/accuracy/accuracy_result.hpp"
#include "models/common/file_hash.hpp"
#include "models/cost/area_model.hpp"
#include "models/cost/energy_model.hpp"
#include "models/quant/format_weight_quality.hpp"
#include "models/quant/kcnn_quantizer.hpp"
#include "models/workload/params_digest.hpp"

namespace kq {
namespace {

using json = nlohmann::ordered_json;
using ordered = nlohmann::ordered_json;

ordered by_format(const std::array<uint64_t, kNumFormats>& v) {
  ordered j = ordered::object();
  for (NumFormat f : kAllFormats)
    if (v[static_cast<int>(f)]) j[std::string(to_string(f))] = v[static_cast<int>(f)];
  return j;
}

ordered unit_cycles(const UnitCycles& u) {
  return ordered{{"busy", u.busy}, {"stall", u.stall}, {"idle", u.idle}};
}

ordered breakdown(const std::vector<CostItem>& items) {
  ordered j = ordered::object();
  for (const auto& c : items) j[c.component] = c.value;
  return j;
}

/// JSON has no NaN or infinity: a non-finite figure is null (summary.md explains it).
ordered number_or_null(double v) {
  return std::isfinite(v) ? ordered(v) : ordered(nullptr);
}

ordered counts_json(const ActionCounts& c, const ArchConfig& arch, const TechTable& tech,
                    uint64_t macs) {
  ordered j;
  j["cycles"] = c.cycles;
  j["latency_us"] = static_cast<double>(c.cycles) / arch.clock_mhz;
  j["macs"] = macs;
  j["multiplications"] = c.total_multiplications();
  j["additions"] = c.total_additions();
  j["comparisons"] = c.comparisons;
  j["narrow_multiplications"] = c.narrow_multiplications;
  j["multiplications_by_format"] = by_format(c.multiplications);
  j["additions_by_format"] = by_format(c.additions);
  j["dram_bytes"] = c.dram_read_bytes + c.dram_write_bytes;
  j["dram_read_bytes"] = c.dram_read_bytes;
  j["dram_write_bytes"] = c.dram_write_bytes;
  ordered bufs;
  for (int b = 0; b < kNumBuffers; ++b) {
    const auto& bc = c.buffers[b];
    bufs[std::string(to_string(static_cast<BufferId>(b)))] =
        ordered{{"read_words", bc.read_words},
                {"write_words", bc.write_words},
                {"read_bits", bc.read_bits},
                {"write_bits", bc.write_bits}};
  }
  j["buffer_accesses"] = bufs;
  j["register_read_bits"] = c.register_read_bits;
  j["register_write_bits"] = c.register_write_bits;
  j["unit_cycles"] = ordered{{"array", unit_cycles(c.array)},
                             {"multiplier_array", unit_cycles(c.multipliers)},
                             {"dram", unit_cycles(c.dram)},
                             {"vector_unit", unit_cycles(c.vector)}};
  const double pes = static_cast<double>(arch.array.rows) * arch.array.cols;
  j["array_utilization"] =
      c.cycles ? static_cast<double>(macs) / (static_cast<double>(c.cycles) * pes) : 0.0;
  const EnergyBreakdown e = compute_energy(c, arch, tech);
  j["energy_pj"] = e.total_pj;
  j["energy_dynamic_pj"] = e.dynamic_pj;
  j["energy_leakage_pj"] = e.leakage_pj;
  j["energy_breakdown_pj"] = breakdown(e.components);
  return j;
}

/// "x fewer" ratios: baseline / design, null when the design needs none of it.
ordered ratio(double baseline, double design) {
  return design > 0 ? ordered(baseline / design) : ordered(nullptr);
}

ordered baseline_json(const ActionCounts& b, const ActionCounts& d, const ArchConfig& barch,
                      const TechTable& tech, double design_energy_pj) {
  const double be = compute_energy(b, barch, tech).total_pj;
  ordered j;
  j["multiplications"] = b.total_multiplications();
  j["additions"] = b.total_additions();
  j["cycles"] = b.cycles;
  j["dram_bytes"] = b.dram_read_bytes + b.dram_write_bytes;
  j["energy_pj"] = be;
  j["multiplication_reduction_x"] = ratio(static_cast<double>(b.total_multiplications()),
                                          static_cast<double>(d.total_multiplications()));
  j["energy_reduction_x"] = ratio(be, design_energy_pj);
  j["speedup_x"] = ratio(static_cast<double>(b.cycles), static_cast<double>(d.cycles));
  return j;
}

/// What the design stores for one conv/fc layer's weights, and how faithfully.
ordered quantization_json(const RunReport& r, size_t li) {
  const Layer& l = r.workload->layers[li];
  const KcnnOptions& o = *r.arch->kcnn;
  const KcnnLayerMode mode = kcnn_layer_mode(l, o);
  ordered j;
  j["scheme"] = "kcnn";
  j["mode"] = std::string(to_string(mode));
  // k²/M < 1: bit planes would need more multiplications than the float layer.
  j["planes_cost_more_multiplications"] = uint64_t{l.kh} * l.kw < o.planes;
  const KcnnLayerWeights* kw = r.quantized ? r.quantized->kcnn_layer(li) : nullptr;
  if (kw) {
    j["planes"] = o.planes;
    j["bits_per_weight"] = kw->bits_per_weight();
    j["weight_sqnr_db"] =
        std::isnan(kw->sq_error) ? ordered(nullptr) : number_or_null(kw->weight_sqnr_db());
  } else {
    j["bits_per_weight"] = width_bits(r.arch->weight_format);
    j["weight_sqnr_db"] = nullptr;  // kept in the design's float format
  }
  return j;
}

/// A KQ layer: what its kernel codebook costs and how faithful it is.
ordered kq_json(const RunReport& r, size_t li) {
  const Layer& l = r.workload->layers[li];
  const KqLayerWeights& q = *r.quantized->kq_layer(li);
  const double params = static_cast<double>(l.weight_params());
  const double bpp = static_cast<double>(q.storage_bits(true)) / params;
  ordered j;
  j["scheme"] = "kq";
  j["codewords"] = q.codewords;
  j["index_bits"] = q.index_bits;
  j["codebook_bits"] = q.codebook_bits;
  j["bits_per_weight"] = bpp;
  j["bits_per_weight_no_side_info"] = static_cast<double>(q.storage_bits(false)) / params;
  j["compression_vs_fp32_x"] = 32.0 / bpp;
  j["codebook_sram_bytes"] =
      (uint64_t{q.codewords} * q.geometry.kernel_area() * q.codebook_bits + 7) / 8;
  const bool imported = li < r.quantized->imported.size() && r.quantized->imported[li];
  j["weight_sqnr_db"] = imported || !r.params
                            ? ordered(nullptr)
                            : number_or_null(q.weight_sqnr_db(r.params->layers[li].weight));
  return j;
}

std::string fmt_sqnr(const json& v) {
  return v.is_null() ? std::string("exact") : fmt::format("{:.1f}", v.get<double>());
}

std::string si(double v) {
  const char* suffix[] = {"", "k", "M", "G", "T", "P"};
  int i = 0;
  while (std::fabs(v) >= 1000.0 && i < 5) v /= 1000.0, ++i;
  return fmt::format("{:.3g}{}", v, suffix[i]);
}

}  // namespace

json report_to_json(const RunReport& r) {
  const ArchConfig& arch = *r.arch;
  const TechTable& tech = *r.tech;
  ordered j;
  j["schema_version"] = kReportSchemaVersion;
  j["tool"] = ordered{{"name", "kqsim"}, {"version", KQSIM_VERSION}};
  j["mode"] = r.mode;
  j["seed"] = r.seed;
  if (r.stress && r.stress->enabled())
    j["stress"] = ordered{{"seed", r.stress->seed},
                          {"dram_latency_jitter_cycles", r.stress->dram_latency_jitter_cycles},
                          {"dram_bandwidth_jitter_pct", r.stress->dram_bandwidth_jitter_pct},
                          {"backpressure_max_cycles", r.stress->backpressure_max_cycles}};
  if (!r.test_fault.empty()) j["test_fault"] = r.test_fault;
  ordered inputs = ordered::array();
  for (const auto& f : r.inputs)
    inputs.push_back(
        ordered{{"role", f.role}, {"path", f.path}, {"fnv1a64", file_fnv1a64(f.path)}});
  j["inputs"] = inputs;
  // The tensors themselves (synthetic or loaded), so several runs can prove they used the same.
  const bool have_tensors = r.params && !r.params->input.data.empty();
  if (have_tensors) {
    ordered t{{"input_fnv1a64", input_fnv1a64(*r.params)},
              {"weights_fnv1a64", weights_fnv1a64(*r.params)}};
    if (!r.golden_output_fnv1a64.empty()) t["golden_output_fnv1a64"] = r.golden_output_fnv1a64;
    j["tensors"] = t;
  }
  j["design"] = ordered{{"name", arch.name},
                        {"datapath", arch.datapath},
                        {"clock_mhz", arch.clock_mhz},
                        {"array_rows", arch.array.rows},
                        {"array_cols", arch.array.cols},
                        {"dataflow", std::string(to_string(arch.array.dataflow))},
                        {"activation_format", std::string(to_string(arch.activation_format))},
                        {"weight_format", std::string(to_string(arch.weight_format))},
                        {"accumulator_format", std::string(to_string(arch.accumulator_format))},
                        {"tech_node_nm", arch.tech_node_nm}};
  j["workload"] = ordered{{"name", r.workload->name},
                          {"layers", r.workload->layers.size()},
                          {"macs", r.workload->total_macs()},
                          {"params", r.workload->total_params()}};
  const AreaBreakdown area = compute_area(arch, tech);
  ordered area_j =
      ordered{{"area_um2", area.total_um2}, {"area_breakdown_um2", breakdown(area.components)}};

  ordered totals = counts_json(r.cost.totals, arch, tech, r.workload->total_macs());
  totals["area_um2"] = area_j["area_um2"];
  totals["area_breakdown_um2"] = area_j["area_breakdown_um2"];
  if (r.baseline) {
    ordered b = baseline_json(r.baseline->totals, r.cost.totals, *r.baseline_arch, tech,
                              totals["energy_pj"].get<double>());
    const double barea = compute_area(*r.baseline_arch, tech).total_um2;
    b["area_um2"] = barea;
    b["area_ratio"] = area.total_um2 / barea;  // design / baseline
    totals["baseline_fp32"] = b;
  }
  if (arch.kq && r.quantized) {
    // methods.md §3.3 over the layers KQ covers: Σ bits / Σ params, with side info.
    double bits = 0, params = 0, err = 0, sig = 0;
    bool fitted = r.params != nullptr;
    for (size_t i = 0; i < r.workload->layers.size(); ++i) {
      const KqLayerWeights* q = r.quantized->kq_layer(i);
      if (!q) continue;
      bits += static_cast<double>(q->storage_bits(true));
      params += static_cast<double>(r.workload->layers[i].weight_params());
      if (r.quantized->imported[i]) fitted = false;
      if (fitted) {
        const Tensor deq = q->dequantize();
        const Tensor& w = r.params->layers[i].weight;
        for (size_t k = 0; k < w.data.size(); ++k) {
          const double d = static_cast<double>(w.data[k]) - deq.data[k];
          err += d * d;
          sig += static_cast<double>(w.data[k]) * w.data[k];
        }
      }
    }
    totals["bits_per_weight"] = params > 0 ? bits / params : 0.0;
    totals["compression_vs_fp32_x"] = bits > 0 ? 32.0 * params / bits : 0.0;
    totals["weight_sqnr_db"] =
        fitted && err > 0 ? ordered(10.0 * std::log10(sig / err)) : ordered(nullptr);
  }
  if (arch.kcnn && r.quantized) {
    // Network figures over the conv/fc weights: stored bits per weight, and the SQNR of all
    // quantized weights together (Σ w² / Σ (w − ŵ)² over the layers that were fitted).
    double bits = 0, weights = 0, err = 0, sig = 0;
    bool fitted = true;
    for (size_t i = 0; i < r.workload->layers.size(); ++i) {
      const Layer& l = r.workload->layers[i];
      if (!l.on_array()) continue;
      const double n = static_cast<double>(l.weight_params());
      const KcnnLayerWeights* kw = r.quantized->kcnn_layer(i);
      bits += n * (kw ? kw->bits_per_weight() : width_bits(arch.weight_format));
      weights += n;
      if (kw && std::isnan(kw->sq_error)) fitted = false;
      if (kw && fitted) err += kw->sq_error, sig += kw->sq_signal;
    }
    totals["bits_per_weight"] = weights > 0 ? bits / weights : 0.0;
    totals["weight_sqnr_db"] =
        fitted && err > 0 ? ordered(10.0 * std::log10(sig / err)) : ordered(nullptr);
  }
  if (!arch.kq && !arch.kcnn) {
    // A plain MAC array stores every conv/fc weight in its weight format (the int8 design's
    // per-channel scales are not modelled as stored: 32 bits per output channel).
    totals["bits_per_weight"] = width_bits(arch.weight_format);
    totals["weight_sqnr_db"] =
        have_tensors
            ? number_or_null(
                  format_network_weight_error(*r.workload, *r.params, arch.weight_format).sqnr_db())
            : ordered(nullptr);
  }
  j["values_computed"] = !r.quality.empty();
  if (!r.values_note.empty()) j["values_note"] = r.values_note;
  j["totals"] = totals;
  if (!r.accuracy.is_null()) j["accuracy"] = r.accuracy;
  ordered layers = ordered::array();
  for (size_t i = 0; i < r.cost.layers.size(); ++i) {
    const LayerCost& lc = r.cost.layers[i];
    ordered l;
    l["name"] = lc.name;
    l["type"] = lc.type;
    l["folds"] = lc.steps;
    l["scalesim_cycles"] = lc.scalesim_cycles;
    ordered c = counts_json(lc.counts, arch, tech, lc.macs);
    for (auto it = c.begin(); it != c.end(); ++it) l[it.key()] = it.value();
    l["area_um2"] = area_j["area_um2"];
    l["area_breakdown_um2"] = area_j["area_breakdown_um2"];
    if (arch.kcnn && r.workload->layers[i].on_array()) l["quantization"] = quantization_json(r, i);
    if (arch.kq && r.quantized && r.quantized->kq_layer(i)) l["quantization"] = kq_json(r, i);
    if (!arch.kq && !arch.kcnn && r.workload->layers[i].on_array()) {
      // A plain MAC array: its weight format is the only "quantization" (null SQNR: exact).
      ordered q{{"scheme", "format"}, {"bits_per_weight", width_bits(arch.weight_format)}};
      q["weight_sqnr_db"] =
          have_tensors ? number_or_null(format_layer_weight_error(r.workload->layers[i],
                                                                  r.params->layers[i].weight.data,
                                                                  arch.weight_format)
                                            .sqnr_db())
                       : ordered(nullptr);
      l["quantization"] = q;
    }
    if (r.baseline)
      l["baseline_fp32"] = baseline_json(r.baseline->layers[i].counts, lc.counts, *r.baseline_arch,
                                         tech, l["energy_pj"].get<double>());
    if (i < r.output_fnv1a64.size())
      l["output_fnv1a64"] = fmt::format("{:016x}", r.output_fnv1a64[i]);
    if (i < r.quality.size()) {
      const LayerQuality& q = r.quality[i];
      l["output_sqnr_db"] = number_or_null(q.output_sqnr_db);
      if (!std::isnan(q.layer_sqnr_db)) l["layer_output_sqnr_db"] = number_or_null(q.layer_sqnr_db);
      l["reference_check"] =
          ordered{{"kind", q.check.kind},
                  {"compared", q.check.compared},
                  {"violations", q.check.violations},
                  {"max_abs_error", q.check.max_abs_error},
                  {"max_error_over_bound", number_or_null(q.check.max_error_over_bound)}};
    }
    layers.push_back(l);
  }
  j["layers"] = layers;
  return j;
}

std::string report_layers_csv(const json& r) {
  std::string out =
      "layer,type,folds,cycles,latency_us,macs,multiplications,additions,dram_bytes,energy_pj,"
      "array_utilization,output_sqnr_db\n";
  for (const auto& l : r["layers"]) {
    const json sq = l.contains("output_sqnr_db") ? l["output_sqnr_db"] : json();
    out += fmt::format("{},{},{},{},{:.6f},{},{},{},{},{:.6g},{:.6f},{}\n",
                       l["name"].get<std::string>(), l["type"].get<std::string>(),
                       l["folds"].get<uint64_t>(), l["cycles"].get<uint64_t>(),
                       l["latency_us"].get<double>(), l["macs"].get<uint64_t>(),
                       l["multiplications"].get<uint64_t>(), l["additions"].get<uint64_t>(),
                       l["dram_bytes"].get<uint64_t>(), l["energy_pj"].get<double>(),
                       l["array_utilization"].get<double>(),
                       sq.is_number() ? fmt::format("{:.3f}", sq.get<double>()) : std::string());
  }
  return out;
}

std::string report_console_table(const json& r) {
  const json& t = r["totals"];
  const json& d = r["design"];
  std::string out = fmt::format(
      "{} on {} ({}x{} {}, {}/{}→{}), mode {}\n", r["workload"]["name"].get<std::string>(),
      d["name"].get<std::string>(), d["array_rows"].get<int>(), d["array_cols"].get<int>(),
      d["dataflow"].get<std::string>(), d["activation_format"].get<std::string>(),
      d["weight_format"].get<std::string>(), d["accumulator_format"].get<std::string>(),
      r["mode"].get<std::string>());
  out += fmt::format("  {:<22}{:>16}\n", "cycles", t["cycles"].get<uint64_t>());
  out += fmt::format("  {:<22}{:>16.1f}\n", "latency (us)", t["latency_us"].get<double>());
  out += fmt::format("  {:<22}{:>16}\n", "multiplications", t["multiplications"].get<uint64_t>());
  out += fmt::format("  {:<22}{:>16}\n", "additions", t["additions"].get<uint64_t>());
  out += fmt::format("  {:<22}{:>16}\n", "DRAM (bytes)", t["dram_bytes"].get<uint64_t>());
  out += fmt::format("  {:<22}{:>16.4g}\n", "energy (uJ)", t["energy_pj"].get<double>() * 1e-6);
  out += fmt::format("  {:<22}{:>16.4g}\n", "area (mm2)", t["area_um2"].get<double>() * 1e-6);
  out +=
      fmt::format("  {:<22}{:>16.3f}\n", "array utilization", t["array_utilization"].get<double>());
  if (t.contains("bits_per_weight")) {
    out +=
        fmt::format("  {:<22}{:>16.3f}\n", "bits per weight", t["bits_per_weight"].get<double>());
    if (t["weight_sqnr_db"].is_number())
      out +=
          fmt::format("  {:<22}{:>16.1f}\n", "weight SQNR (dB)", t["weight_sqnr_db"].get<double>());
  }
  if (t.contains("baseline_fp32")) {
    const json& b = t["baseline_fp32"];
    auto x = [](const json& v) {
      return v.is_number() ? fmt::format("{:.2f}x", v.get<double>()) : std::string("-");
    };
    out += fmt::format(
        "  vs the fp32 MAC array of the same size: {} fewer multiplications, {} "
        "less energy, {} the speed, {:.2f}x the area\n",
        x(b["multiplication_reduction_x"]), x(b["energy_reduction_x"]), x(b["speedup_x"]),
        b["area_ratio"].get<double>());
  }
  if (r.contains("accuracy")) out += accuracy_console_lines(r["accuracy"]);
  return out;
}

std::string report_summary_md(const json& r) {
  const json& t = r["totals"];
  std::string out =
      fmt::format("# kqsim report: {} on {}\n\n", r["workload"]["name"].get<std::string>(),
                  r["design"]["name"].get<std::string>());
  out += "```\n" + report_console_table(r) + "```\n\n";
  out += "## Energy by component\n\n| component | energy (uJ) | share |\n|---|---:|---:|\n";
  const double total = t["energy_pj"].get<double>();
  for (auto it = t["energy_breakdown_pj"].begin(); it != t["energy_breakdown_pj"].end(); ++it)
    out += fmt::format("| {} | {:.4g} | {:.1f}% |\n", it.key(), it.value().get<double>() * 1e-6,
                       total > 0 ? 100.0 * it.value().get<double>() / total : 0.0);
  out += "\n## Area by component\n\n| component | area (mm2) |\n|---|---:|\n";
  for (auto it = t["area_breakdown_um2"].begin(); it != t["area_breakdown_um2"].end(); ++it)
    out += fmt::format("| {} | {:.4g} |\n", it.key(), it.value().get<double>() * 1e-6);
  out +=
      "\n## Layers\n\n| layer | type | cycles | MACs | mults | adds | DRAM (bytes) | energy (uJ) | "
      "util | SQNR (dB) |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& l : r["layers"]) {
    out += fmt::format(
        "| {} | {} | {} | {} | {} | {} | {} | {:.4g} | {:.3f} | {} |\n",
        l["name"].get<std::string>(), l["type"].get<std::string>(), l["cycles"].get<uint64_t>(),
        si(static_cast<double>(l["macs"].get<uint64_t>())),
        si(static_cast<double>(l["multiplications"].get<uint64_t>())),
        si(static_cast<double>(l["additions"].get<uint64_t>())),
        si(static_cast<double>(l["dram_bytes"].get<uint64_t>())),
        l["energy_pj"].get<double>() * 1e-6, l["array_utilization"].get<double>(),
        l.contains("output_sqnr_db") ? fmt_sqnr(l["output_sqnr_db"]) : std::string("-"));
  }
  out +=
      "\nSQNR: the layer's output on this design against the fp32 golden network (double "
      "precision) on the same input and weights; \"exact\" means no difference.\n";
  return out;
}

}  // namespace kq
