#include "models/sweep/sweep_evaluator.hpp"

#include <fmt/format.h>

#include <atomic>
#include <set>
#include <thread>

#include "models/common/input_error.hpp"
#include "models/config/arch_config.hpp"
#include "models/cost/analytic_cache.hpp"
#include "models/cost/analytic_model.hpp"
#include "models/cost/area_model.hpp"
#include "models/cost/energy_model.hpp"
#include "models/onnx/onnx_model.hpp"
#include "models/sweep/sweep_record.hpp"

namespace kq {

namespace {
std::atomic<uint64_t> next_evaluator_id{1};
}  // namespace

SweepEvaluator::SweepEvaluator(const SweepSpec& spec, const DesignSpace& space)
    : spec_(&spec), space_(&space), id_(next_evaluator_id++) {
  std::set<std::string> names;
  for (size_t i = 0; i < spec.workloads.size(); ++i) {
    const SweepWorkload& sw = spec.workloads[i];
    if (is_onnx_path(sw.path)) {
      // The graph's own message names the .onnx and the node; the spec's file and pointer
      // say which workload entry brought it in.
      try {
        OnnxModel m = load_onnx_model(sw.path, spec.seed);
        workloads_.push_back(std::move(m.workload));
        onnx_params_.emplace_back(std::move(m.params));
      } catch (const InputError& e) {
        throw InputError(spec.file, sw.pointer, e.what());
      }
    } else {
      workloads_.push_back(load_workload(sw.path));
      onnx_params_.emplace_back();
    }
    if (!names.insert(workloads_.back().name).second)
      throw InputError(spec.file, fmt::format("/workloads/{}", i),
                       fmt::format("a second workload named \"{}\" (records are keyed by "
                                   "workload name)",
                                   workloads_.back().name));
  }
}

nlohmann::ordered_json SweepEvaluator::values(uint64_t p) const {
  std::vector<uint32_t> c;
  space_->coordinates(p, c);
  nlohmann::ordered_json v = nlohmann::ordered_json::object();
  for (size_t a = 0; a < spec_->axes.size(); ++a)
    v[spec_->axes[a].name] = spec_->axes[a].values[c[a]];
  return v;
}

const NetworkParams& SweepEvaluator::params(size_t wl) {
  return *params_.get(std::to_string(wl), [&] {
    // A trained network's weights are what its quantizers must be fitted to. They move into
    // the cache (computed once, failures remembered), so a large graph is not held twice.
    NetworkParams p = onnx_params_[wl] ? std::move(*onnx_params_[wl])
                                       : synthetic_params(workloads_[wl], spec_->seed);
    onnx_params_[wl].reset();
    if (!spec_->workloads[wl].weights.empty())
      load_params(workloads_[wl], spec_->workloads[wl].weights, "", p);
    return p;
  });
}

std::shared_ptr<const FittedWeights> SweepEvaluator::fitted(size_t wl, const ArchConfig& arch) {
  // Quantizer fitting depends on the workload, its weights and the quantizer settings only,
  // so every point with the same settings shares one fit (deterministic: seeded).
  return fitted_.get(std::to_string(wl) + "|" + quantizer_key(arch), [&] {
    return fit_weights(workloads_[wl], arch, params(wl), spec_->workloads[wl].weights);
  });
}

void SweepEvaluator::prefit(const std::vector<uint64_t>& points, unsigned jobs) {
  auto quantizer_place = [](const std::string& pointer) {
    for (const char* root : {"/kcnn", "/kq", "/datapath"}) {
      const std::string r = root;
      if (pointer.compare(0, r.size(), r) == 0 &&
          (pointer.size() == r.size() || pointer[r.size()] == '/'))
        return true;
    }
    return false;
  };
  // Axes that may change the quantizer settings (all of them if a derived field might).
  std::vector<size_t> axes;
  bool derived_quantizer = false;
  for (const DerivedField& d : spec_->derived) derived_quantizer |= quantizer_place(d.target.text);
  for (size_t a = 0; a < spec_->axes.size(); ++a) {
    bool q = derived_quantizer;
    for (const JsonPointer& ptr : spec_->axes[a].pointers) q |= quantizer_place(ptr.text);
    if (q) axes.push_back(a);
  }
  std::set<std::vector<uint32_t>> groups;
  std::vector<std::pair<size_t, ArchConfig>> fits;
  std::set<std::string> keys;
  std::vector<uint32_t> c, g;
  for (uint64_t p : points) {
    space_->coordinates(p, c);
    g.clear();
    for (size_t a : axes) g.push_back(c[a]);
    if (!groups.insert(g).second) continue;
    ArchConfig arch;
    try {
      arch = arch_config_from_json(space_->design(p), spec_->base_path);
    } catch (const InputError&) {
      continue;  // the point reports it
    }
    if (!(arch.kcnn || arch.kq) || !(spec_->fit_quantizers || counts_need_weights(arch))) continue;
    for (size_t wl = 0; wl < workloads_.size(); ++wl)
      if (keys.insert(std::to_string(wl) + "|" + quantizer_key(arch)).second)
        fits.emplace_back(wl, arch);
  }
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next++) < fits.size();) {
      try {
        fitted(fits[i].first, fits[i].second);
      } catch (const std::exception&) {
        // Remembered by the cache; the points that need it record it.
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < std::min<size_t>(jobs, fits.size()); ++t) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
}

std::vector<nlohmann::ordered_json> SweepEvaluator::evaluate(uint64_t p) {
  const nlohmann::ordered_json v = values(p);
  std::vector<nlohmann::ordered_json> out;
  out.reserve(workloads_.size());
  auto all_invalid = [&](const std::string& reason) {
    out.clear();
    for (const Workload& w : workloads_) out.push_back(invalid_record(p, w.name, v, reason));
    return out;
  };
  ArchConfig arch;
  std::shared_ptr<const TechTable> tech;
  std::string schedule_doc;
  try {
    nlohmann::json doc = space_->design(p);
    arch = arch_config_from_json(doc, spec_->base_path);
    // What the Schedule reads of the design: all of it but its DRAM, clock, technology and
    // name. Points equal in it share their fold programs (AnalyticCache).
    for (const char* k : {"dram", "clock_mhz", "tech", "name"}) doc.erase(k);
    schedule_doc = doc.dump();
    tech = tech_.get(arch.tech_file + "@" + std::to_string(arch.tech_node_nm),
                     [&] { return load_tech_table(arch.tech_file, arch.tech_node_nm); });
  } catch (const InputError& e) {
    return all_invalid(e.what());
  } catch (const std::exception& e) {
    return all_invalid(std::string("error: ") + e.what());
  }
  const double area_um2 = compute_area(arch, *tech).total_um2;
  // One cache per thread and evaluator (a new evaluator starts a fresh one): fitted weights
  // stay alive in fitted_ for the evaluator's lifetime, so their addresses are stable keys.
  struct ThreadCache {
    uint64_t owner = 0;
    std::unique_ptr<AnalyticCache> cache;
  };
  thread_local ThreadCache tc;
  if (tc.owner != id_ || !tc.cache) {
    tc.owner = id_;
    tc.cache = std::make_unique<AnalyticCache>();
  }
  AnalyticCache& cache = *tc.cache;
  const bool quantized = arch.kcnn || arch.kq;
  for (size_t wl = 0; wl < workloads_.size(); ++wl) {
    const Workload& w = workloads_[wl];
    try {
      std::shared_ptr<const FittedWeights> fit;
      if (quantized && (spec_->fit_quantizers || counts_need_weights(arch))) fit = fitted(wl, arch);
      const QuantizedNetwork* q = fit ? &fit->weights : nullptr;
      const ActionCounts c = cache.network_totals(
          w, arch, q,
          std::to_string(wl) + "|" + std::to_string(reinterpret_cast<uintptr_t>(q)) + "|" +
              schedule_doc);
      const EnergyBreakdown e = compute_energy(c, arch, *tech);
      DesignMetrics m;
      m.cycles = c.cycles;
      m.latency_ms = static_cast<double>(c.cycles) / arch.clock_mhz / 1000.0;
      m.energy_mj = e.total_pj * 1e-9;
      m.area_mm2 = area_um2 * 1e-6;
      m.power_mw = m.latency_ms > 0 ? m.energy_mj / m.latency_ms * 1000.0 : 0.0;
      m.edp_mj_ms = m.energy_mj * m.latency_ms;
      m.multiplications = c.total_multiplications();
      m.dram_bytes = c.dram_read_bytes + c.dram_write_bytes;
      const double pes = static_cast<double>(arch.array.rows) * arch.array.cols;
      m.array_utilization =
          c.cycles ? static_cast<double>(w.total_macs()) / (static_cast<double>(c.cycles) * pes)
                   : 0.0;
      m.bits_per_weight = bits_per_weight(w, arch, q);
      if (fit) m.weight_sqnr_db = fit->weight_sqnr_db;
      std::vector<std::string> violations;
      for (const SweepConstraint& k : spec_->constraints) {
        const std::optional<double> x = metric_value(m, k.metric);
        if (!x || (k.min && *x < *k.min) || (k.max && *x > *k.max)) violations.push_back(k.metric);
      }
      out.push_back(ok_record(p, w.name, v, m, violations));
    } catch (const InputError& e) {
      out.push_back(invalid_record(p, w.name, v, e.what()));
    } catch (const std::exception& e) {
      // Not the design's fault as far as anyone can tell: record it rather than lose the sweep.
      out.push_back(invalid_record(p, w.name, v, std::string("error: ") + e.what()));
    }
  }
  return out;
}

}  // namespace kq
