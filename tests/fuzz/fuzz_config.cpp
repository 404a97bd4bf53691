// libFuzzer target for everything kqsim reads as text: architecture configs, technology
// tables, workloads (JSON and SCALE-Sim CSV) and regression goldens. Each input is tried as
// every kind; whatever loads is then mapped like `kqsim run` would (a mutated arch runs the
// shipped test networks, a mutated workload runs on shipped designs of every datapath):
// schedules, the analytic model, energy and area. The only acceptable failure is an
// InputError; any other exception, crash, sanitizer report, wrapped counter or broken
// invariant (busy + stall + idle = cycles, finite energy) is a bug.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "expect_input_error.hpp"
#include "models/common/input_error.hpp"
#include "models/config/arch_config.hpp"
#include "models/config/tech_table.hpp"
#include "models/cost/analytic_model.hpp"
#include "models/cost/area_model.hpp"
#include "models/cost/energy_model.hpp"
#include "models/mapping/count_headroom.hpp"
#include "models/mapping/schedule.hpp"
#include "models/quant/quantized_network.hpp"
#include "models/regress/golden.hpp"
#include "models/workload/network_params.hpp"
#include "models/workload/scalesim_csv.hpp"
#include "models/workload/workload.hpp"

namespace {

using kqfuzz::expect_input_error_only;

using namespace kq;

struct Fixtures {
  std::vector<ArchConfig> archs;
  std::vector<Workload> workloads;
  TechTable tech;
};

const Fixtures& fixtures() {
  static const Fixtures f = [] {
    Fixtures x;
    const std::string root = KQSIM_SOURCE_DIR;
    for (const char* a : {"baseline_fp32_16x16", "baseline_int8_16x16", "kcnn_m2_16x16",
                          "kq_k256_16x16", "kq_rr_k64_16x16"})
      x.archs.push_back(load_arch_config(root + "/arch_configs/" + a + ".json"));
    for (const char* w : {"tiny_cnn.json", "strided_conv.json"})
      x.workloads.push_back(load_workload(root + "/workloads/test/" + w));
    x.tech = load_tech_table(root + "/arch_configs/tech/generic_45nm.json", 45);
    return x;
  }();
  return f;
}

[[noreturn]] void bug(const char* what) {
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}

/// What `kqsim run --mode analytic` does with a design and a network, minus the report.
void map(const Workload& w, const ArchConfig& arch, const TechTable& tech) {
  // KCNN schedules count additions from the planes' bits: quantize synthetic weights, as
  // kqsim run does, when the network is small enough to keep each input fast.
  QuantizedNetwork q;
  if (arch.kcnn) {
    if (w.total_params() > 200000) return;
    try {
      q = quantize_network(w, arch, synthetic_params(w, 1), "");
    } catch (const std::invalid_argument& e) {
      throw InputError("fuzz", "/kcnn", e.what());  // what kqsim run turns it into
    }
  }
  uint64_t folds = 0;
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const Schedule s(w.layers[i], arch, q.kcnn_layer(i), q.kq_layer(i));
    folds += s.num_steps();
  }
  check_count_headroom(w, arch, StressConfig{}, &q);
  // Walking the folds is linear in their number; keep each input fast.
  if (folds > 20000) return;
  const NetworkCost nc = analytic_network(w, arch, &q);
  for (const LayerCost& lc : nc.layers)
    for (const UnitCycles* u :
         {&lc.counts.array, &lc.counts.multipliers, &lc.counts.dram, &lc.counts.vector})
      if (u->busy + u->stall + u->idle != lc.counts.cycles) bug("busy + stall + idle != cycles");
  const double e = compute_energy(nc.totals, arch, tech).total_pj;
  if (!std::isfinite(e) || e < 0) bug("energy not finite and non-negative");
  const double a = compute_area(arch, tech).total_um2;
  if (!std::isfinite(a) || a < 0) bug("area not finite and non-negative");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Fixtures& fx = fixtures();
  const std::string text(reinterpret_cast<const char*>(data), size);
  expect_input_error_only([&] {
    const ArchConfig arch = arch_config_from_text(text, "fuzz_arch.json");
    for (const Workload& w : fx.workloads) expect_input_error_only([&] { map(w, arch, fx.tech); });
  });
  expect_input_error_only([&] {
    const Workload w = workload_from_json(text, "fuzz_workload.json");
    for (const ArchConfig& a : fx.archs) expect_input_error_only([&] { map(w, a, fx.tech); });
  });
  expect_input_error_only([&] {
    const Workload w = scalesim_csv_from_text(text, "fuzz_topology.csv");
    expect_input_error_only([&] { map(w, fx.archs.front(), fx.tech); });
  });
  expect_input_error_only([&] {
    const TechTable t = tech_table_from_text(text, "fuzz_tech.json", 45);
    for (const ArchConfig& a : fx.archs)
      expect_input_error_only([&] { map(fx.workloads.front(), a, t); });
  });
  expect_input_error_only([&] { golden_from_text(text, "fuzz_golden.json"); });
  return 0;
}
