#include "models/sweep/sweep_summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include "models/common/csv_field.hpp"
#include "models/sweep/pareto.hpp"
#include "models/sweep/sweep_metrics.hpp"

namespace kq {
namespace {

using ordered = nlohmann::ordered_json;

/// Feasible records of one workload with finite objectives, in point order.
std::vector<const RecordDigest*> candidates(const std::vector<RecordDigest>& records, uint32_t w) {
  std::vector<const RecordDigest*> out;
  for (const RecordDigest& r : records)
    if (r.workload == w && r.ok && r.feasible && std::isfinite(r.energy_mj) &&
        std::isfinite(r.latency_ms) && std::isfinite(r.area_mm2))
      out.push_back(&r);
  return out;
}

double objective(const RecordDigest& r, const std::string& o) {
  return o == "energy_mj" ? r.energy_mj : o == "latency_ms" ? r.latency_ms : r.area_mm2;
}

/// Indices into `c` by ascending objective, ties by point (c is in point order already).
std::vector<size_t> ranked(const std::vector<const RecordDigest*>& c, const char* o) {
  std::vector<size_t> idx(c.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(),
                   [&](size_t a, size_t b) { return objective(*c[a], o) < objective(*c[b], o); });
  return idx;
}

std::vector<std::array<double, 3>> objectives_of(const std::vector<const RecordDigest*>& c) {
  std::vector<std::array<double, 3>> out;
  out.reserve(c.size());
  for (const RecordDigest* r : c) out.push_back({r->energy_mj, r->latency_ms, r->area_mm2});
  return out;
}

/// A point's value on each axis.
std::vector<ordered> point_values(const SweepSpec& spec, const DesignSpace& space, uint64_t p) {
  std::vector<uint32_t> c;
  space.coordinates(p, c);
  std::vector<ordered> v;
  for (size_t a = 0; a < spec.axes.size(); ++a) v.push_back(ordered(spec.axes[a].values[c[a]]));
  return v;
}

/// A JSON number as records print it.
std::string json_number(double v) {
  return std::isfinite(v) ? ordered(v).dump() : std::string();
}

std::string value_text(const ordered& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

/// Markdown table cells must not contain '|'.
std::string md_cell(std::string s) {
  for (char& c : s)
    if (c == '|') c = '/';
  return s;
}

std::string num(double v) {
  return std::isfinite(v) ? fmt::format("{:.4g}", v) : "-";
}

const char* objective_label(const std::string& o) {
  return o == "energy_mj" ? "energy" : o == "latency_ms" ? "latency" : "area";
}

}  // namespace

std::vector<VerifiedDesign> top_designs(const std::vector<RecordDigest>& records,
                                        const std::vector<std::string>& workloads, uint64_t k) {
  std::vector<VerifiedDesign> out;
  for (uint32_t w = 0; w < workloads.size(); ++w) {
    const std::vector<const RecordDigest*> c = candidates(records, w);
    std::map<uint64_t, VerifiedDesign> picked;
    for (const char* o : kSweepObjectives) {
      const std::vector<size_t> idx = ranked(c, o);
      for (size_t i = 0; i < idx.size() && i < k; ++i) {
        const RecordDigest& r = *c[idx[i]];
        VerifiedDesign& d = picked[r.point];
        d.point = r.point;
        d.workload = workloads[w];
        d.best_for.push_back(o);
        d.analytic_cycles = r.cycles;
        d.analytic_energy_mj = r.energy_mj;
        d.analytic_dram_bytes = r.dram_bytes;
      }
    }
    for (auto& [p, d] : picked) out.push_back(std::move(d));
  }
  return out;
}

std::string pareto_csv(const SweepSpec& spec, const DesignSpace& space,
                       const std::vector<RecordDigest>& records,
                       const std::vector<std::string>& workloads) {
  std::string out = "workload,point";
  for (const SweepAxis& a : spec.axes) out += "," + a.name;
  out += ",energy_mj,latency_ms,area_mm2,edp_mj_ms,cycles\n";
  for (uint32_t w = 0; w < workloads.size(); ++w) {
    const std::vector<const RecordDigest*> c = candidates(records, w);
    const std::vector<std::array<double, 3>> objectives = objectives_of(c);
    std::vector<size_t> front = pareto_front(objectives);
    std::stable_sort(front.begin(), front.end(),
                     [&](size_t a, size_t b) { return objectives[a] < objectives[b]; });
    for (size_t i : front) {
      const RecordDigest& r = *c[i];
      out += csv_field(workloads[w]) + "," + std::to_string(r.point);
      for (const ordered& v : point_values(spec, space, r.point))
        out += "," + csv_field(v.is_string() ? v.get<std::string>() : v.dump());
      out += "," + json_number(r.energy_mj) + "," + json_number(r.latency_ms) + "," +
             json_number(r.area_mm2) + "," + json_number(r.edp_mj_ms) + "," +
             std::to_string(r.cycles) + "\n";
    }
  }
  return out;
}

std::string verify_csv(const std::vector<VerifiedDesign>& verified) {
  std::string out =
      "workload,point,best_for,status,analytic_cycles,cycle_model_cycles,delta_cycles,"
      "analytic_energy_mj,cycle_model_energy_mj,delta_energy_mj,analytic_dram_bytes,"
      "cycle_model_dram_bytes,delta_dram_bytes\n";
  for (const VerifiedDesign& d : verified) {
    std::string best;
    for (const std::string& o : d.best_for) best += (best.empty() ? "" : ";") + o;
    out += csv_field(d.workload) + "," + std::to_string(d.point) + "," + best + ",";
    if (!d.ran) {
      out += csv_field("failed: " + d.error) + ",,,,,,,,,\n";
      continue;
    }
    out += fmt::format("ok,{},{},{},{},{},{},{},{},{}\n", d.analytic_cycles, d.cycle_cycles,
                       static_cast<int64_t>(d.cycle_cycles - d.analytic_cycles),
                       ordered(d.analytic_energy_mj).dump(), ordered(d.cycle_energy_mj).dump(),
                       ordered(d.cycle_energy_mj - d.analytic_energy_mj).dump(),
                       d.analytic_dram_bytes, d.cycle_dram_bytes,
                       static_cast<int64_t>(d.cycle_dram_bytes - d.analytic_dram_bytes));
  }
  return out;
}

std::string summary_md(const SweepSpec& spec, const DesignSpace& space,
                       const std::vector<RecordDigest>& records,
                       const std::vector<std::string>& workloads,
                       const std::vector<VerifiedDesign>& verified) {
  const uint64_t points = space.points(), grid_points = grid_size(spec);
  std::string md = fmt::format("# Sweep `{}`\n\n", spec.name);
  md += fmt::format("- spec `{}`, base design `{}`\n", spec.file, spec.base_path);
  md +=
      "- analytic model (docs/MODEL.md): every figure is one inference at batch 1; energy in "
      "mJ, latency in ms, area in mm²\n";
  if (spec.sampling == SweepSampling::random && points < grid_points)
    md += fmt::format("- {} points: a random sample (seed {}) of the {}-point grid\n", points,
                      spec.random_seed, grid_points);
  else if (spec.sampling == SweepSampling::random && grid_points == 0)
    md += fmt::format("- {} points: a random sample (seed {}) of a grid too large to list\n",
                      points, spec.random_seed);
  else
    md += fmt::format("- {} points: the whole grid\n", points);
  std::string axes;
  for (const SweepAxis& a : spec.axes) {
    std::string where;
    for (const JsonPointer& p : a.pointers) where += (where.empty() ? "" : ", ") + p.text;
    axes += fmt::format("{}`{}` ({} values at {})", axes.empty() ? "" : "; ", a.name,
                        a.values.size(), where);
  }
  md += "- axes: " + axes + "\n";
  std::string cons;
  for (const SweepConstraint& k : spec.constraints) {
    if (k.min) cons += fmt::format("{}{} ≥ {}", cons.empty() ? "" : ", ", k.metric, *k.min);
    if (k.max) cons += fmt::format("{}{} ≤ {}", cons.empty() ? "" : ", ", k.metric, *k.max);
  }
  md += "- constraints: " + (cons.empty() ? std::string("none") : cons) + "\n";
  md +=
      "- results: `results.jsonl`, `results.csv`; Pareto fronts (energy × latency × area, "
      "feasible designs): `pareto.csv`\n\n";

  for (uint32_t w = 0; w < workloads.size(); ++w) {
    uint64_t ok = 0, invalid = 0, infeasible = 0;
    std::map<std::string, uint64_t> reasons;
    for (const RecordDigest& r : records) {
      if (r.workload != w) continue;
      if (!r.ok) {
        ++invalid;
        ++reasons[r.reason];
      } else {
        ++ok;
        if (!r.feasible) ++infeasible;
      }
    }
    const std::vector<const RecordDigest*> c = candidates(records, w);
    const size_t front = pareto_front(objectives_of(c)).size();
    md += fmt::format("## Workload `{}`\n\n", workloads[w]);
    md +=
        fmt::format("{} designs evaluated, {} invalid, {} infeasible; {} on the Pareto front.\n\n",
                    ok, invalid, infeasible, front);
    if (!c.empty()) {
      md += "| best for | point |";
      for (const SweepAxis& a : spec.axes) md += " " + md_cell(a.name) + " |";
      md += " energy (mJ) | latency (ms) | area (mm²) |\n|---|---:|";
      for (size_t i = 0; i < spec.axes.size(); ++i) md += "---|";
      md += "---:|---:|---:|\n";
      for (const char* o : kSweepObjectives) {
        const RecordDigest& r = *c[ranked(c, o).front()];
        md += fmt::format("| {} | {} |", objective_label(o), r.point);
        for (const ordered& v : point_values(spec, space, r.point))
          md += " " + md_cell(value_text(v)) + " |";
        md +=
            fmt::format(" {} | {} | {} |\n", num(r.energy_mj), num(r.latency_ms), num(r.area_mm2));
      }
      md += "\n";
    } else {
      md += "No feasible design.\n\n";
    }
    if (!reasons.empty()) {
      // The most frequent reasons first (ties by text), at most five.
      std::vector<std::pair<std::string, uint64_t>> rs(reasons.begin(), reasons.end());
      std::stable_sort(rs.begin(), rs.end(),
                       [](const auto& a, const auto& b) { return a.second > b.second; });
      md += "Invalid designs, by reason:\n\n";
      for (size_t i = 0; i < rs.size() && i < 5; ++i)
        md += fmt::format("- {} × {}\n", rs[i].second, md_cell(rs[i].first));
      if (rs.size() > 5) md += fmt::format("- … and {} other reasons\n", rs.size() - 5);
      md += "\n";
    }
  }
  if (!verified.empty()) {
    md += "## Cycle-model verification (--verify-top)\n\n";
    md +=
        "Each design re-run with `kqsim run --mode cycle --no-values` in its own process "
        "(`verify/`); deltas are cycle model − analytic model.\n\n";
    md +=
        "| workload | point | best for | cycles (analytic) | cycles (cycle model) | Δ cycles | "
        "energy Δ (mJ) | DRAM Δ (bytes) |\n|---|---:|---|---:|---:|---:|---:|---:|\n";
    for (const VerifiedDesign& d : verified) {
      std::string best;
      for (const std::string& o : d.best_for)
        best += (best.empty() ? "" : ", ") + std::string(objective_label(o));
      if (!d.ran) {
        md += fmt::format("| {} | {} | {} | {} | failed: {} | | | |\n", d.workload, d.point, best,
                          d.analytic_cycles, md_cell(d.error));
        continue;
      }
      md += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} |\n", d.workload, d.point, best,
                        d.analytic_cycles, d.cycle_cycles,
                        static_cast<int64_t>(d.cycle_cycles - d.analytic_cycles),
                        num(d.cycle_energy_mj - d.analytic_energy_mj),
                        static_cast<int64_t>(d.cycle_dram_bytes - d.analytic_dram_bytes));
    }
    md += "\n";
  }
  md +=
      "Plots: `python3 scripts/plot_sweep.py --in <this folder>` (scatter of every pair of "
      "objectives, Pareto front highlighted, one figure per workload).\n";
  return md;
}

}  // namespace kq
