// The closed-form analytic evaluation (runs of identical folds, models/cost/fold_program.*)
// against the fold-by-fold recurrence, over many random layer × design combinations: every
// counter and every cycle must be equal. Also checks the claim the closed form rests on:
// folds whose classes agree at every level of Schedule::fold_nest are identical.
#include "models/cost/fold_program.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>

#include "models/common/input_error.hpp"
#include "models/config/arch_config.hpp"
#include "models/cost/analytic_cache.hpp"
#include "models/cost/analytic_model.hpp"
#include "models/mapping/schedule.hpp"
#include "models/quant/quantized_network.hpp"
#include "models/workload/network_params.hpp"
#include "models/workload/synthetic.hpp"
#include "models/workload/workload.hpp"

namespace {

using nlohmann::json;

uint64_t pick(kq::Rng& r, uint64_t lo, uint64_t hi) {
  return lo + r.next_u64() % (hi - lo + 1);
}
template <typename T>
T choose(kq::Rng& r, std::initializer_list<T> options) {
  return *(options.begin() + static_cast<ptrdiff_t>(r.next_u64() % options.size()));
}

/// A random but valid design: any datapath, array shape, dataflow, format, buffer sizes
/// from tiny (inputs not resident, many chunks) to large, narrow or wide ports, slow or fast
/// DRAM, single or double buffering.
json random_arch(kq::Rng& r) {
  const std::string datapath =
      choose(r, {"mac_array", "mac_array", "kcnn_bitplane", "kq_codebook"});
  const bool kcnn = datapath == "kcnn_bitplane", kq = datapath == "kq_codebook";
  const std::string fmt = kcnn ? choose(r, {"fp32", "fp16"}) : choose(r, {"fp32", "fp16", "int8"});
  const bool integer = fmt == "int8";
  const std::string acc = integer ? "int32" : "fp32";
  const uint64_t rows = pick(r, 1, 24), cols = pick(r, 1, 24);
  const std::string df = kcnn || kq ? "ws" : choose(r, {"ws", "os", "is"});
  const uint64_t elem = fmt == "fp32" ? 32 : fmt == "int8" ? 8 : 16;
  auto buffer = [&](uint64_t element_bits, uint64_t min_bytes) {
    const uint64_t word = element_bits * pick(r, 1, 8);
    uint64_t cap = uint64_t{1} << pick(r, 9, 21);
    cap = std::max<uint64_t>({cap, min_bytes, word / 8 * 4});
    return json{{"capacity_bytes", cap},        {"word_bits", word},
                {"banks", pick(r, 1, 4)},       {"read_ports", pick(r, 1, 2)},
                {"write_ports", pick(r, 1, 2)}, {"double_buffered", r.next_u64() % 4 != 0}};
  };
  json a = {{"name", "random"},
            {"datapath", datapath},
            {"clock_mhz", 500},
            {"formats", {{"activation", fmt}, {"weight", fmt}, {"accumulator", acc}}},
            {"array",
             {{"rows", rows},
              {"cols", cols},
              {"dataflow", df},
              {"multipliers", {{"count", kcnn ? pick(r, 1, 64) : rows * cols}, {"format", fmt}}},
              {"adders",
               {{"count", kcnn ? rows * cols * pick(r, 1, 9) : rows * cols},
                {"format", kcnn ? fmt : acc}}}}},
            {"vector_unit", {{"lanes", pick(r, 1, 32)}}},
            {"dram",
             {{"ideal", r.next_u64() % 5 == 0},
              {"bandwidth_bytes_per_cycle", pick(r, 1, 64)},
              {"latency_cycles", pick(r, 0, 200)},
              {"energy_pj_per_bit", 20.0},
              {"energy_source", "test"}}},
            {"buffers",
             {{"ifmap", buffer(elem, 0)}, {"weight", buffer(elem, 0)}, {"ofmap", buffer(32, 0)}}},
            {"tech",
             {{"table", std::string(KQSIM_SOURCE_DIR) + "/arch_configs/tech/generic_45nm.json"},
              {"node_nm", 45}}}};
  if (kcnn) {
    a["kcnn"] = {{"planes", pick(r, 1, 4)},
                 {"scale_format", "fp16"},
                 {"granularity", choose(r, {"kernel2d", "kernel2d", "filter3d"})},
                 {"policy_1x1", choose(r, {"keep_float", "filter3d", "bitplanes"})}};
    a["buffers"]["scale"] = buffer(8, 0);
  }
  if (kq) {
    a["kq"] = {{"codewords", pick(r, 1, 64)},
               {"codebook_bits", pick(r, 2, 8)},
               {"datapath", choose(r, {"decode_mac", "response_reuse"})},
               {"count_fc", r.next_u64() % 2 == 0}};
    a["buffers"]["codebook"] = buffer(8, 32768);
  }
  return a;
}

/// A random conv (any kernel, stride, padding, dilation, groups) or fc layer.
json random_layer(kq::Rng& r) {
  if (r.next_u64() % 8 == 0)
    return {{"name", "fc"}, {"type", "fc"}, {"out_features", pick(r, 1, 300)}};
  const uint64_t groups = r.next_u64() % 5 == 0 ? pick(r, 2, 4) : 1;
  const uint64_t k = choose(r, {1, 1, 3, 3, 3, 5, 7});
  json l = {{"name", "conv"},  {"type", "conv2d"},        {"out_channels", groups * pick(r, 1, 40)},
            {"kernel", k},     {"stride", pick(r, 1, 3)}, {"padding", pick(r, 0, k / 2 + 1)},
            {"groups", groups}};
  if (r.next_u64() % 6 == 0) l["dilation"] = 2;
  return l;
}

json random_workload(kq::Rng& r, uint64_t groups_hint) {
  json l = random_layer(r);
  const uint64_t groups = l.value("groups", uint64_t{1});
  (void)groups_hint;
  const uint64_t c = groups * pick(r, 1, 48);
  const uint64_t k = l.value("kernel", uint64_t{1});
  const uint64_t h = pick(r, 2 * k + 1, 40), w = pick(r, 2 * k + 1, 40);  // dilated windows fit
  return {{"name", "random"},
          {"input", {{"channels", c}, {"height", h}, {"width", w}}},
          {"layers", json::array({l})}};
}

/// Everything a model reads of a fold.
bool same_fold(const kq::Step& a, const kq::Step& b) {
  return a.compute_cycles() == b.compute_cycles() && a.dram_read_bytes == b.dram_read_bytes &&
         a.dram_write_bytes == b.dram_write_bytes && a.array_busy_cycles == b.array_busy_cycles &&
         a.multiplier_busy_cycles == b.multiplier_busy_cycles && a.actions == b.actions &&
         a.first_pass == b.first_pass && a.last_pass == b.last_pass && a.gather == b.gather &&
         a.r_len == b.r_len && a.c_len == b.c_len && a.t_len == b.t_len;
}

}  // namespace

TEST_CASE("closed-form analytic layers equal the fold-by-fold recurrence", "[unit][analytic]") {
  kq::Rng r(20261201);
  int compared = 0, structured = 0, multi_fold = 0;
  for (int trial = 0; trial < 1500; ++trial) {
    const json aj = random_arch(r);
    const json wj = random_workload(r, 1);
    INFO("arch " << aj.dump() << "\nworkload " << wj.dump());
    const kq::ArchConfig arch = kq::arch_config_from_text(aj.dump(), "random_arch.json");
    const kq::Workload w = kq::workload_from_json(wj.dump(), "random_workload.json");
    const kq::Layer& layer = w.layers[0];
    const bool prefetched = arch.kq && r.next_u64() % 2 == 0;
    const uint64_t prefetch_bits = arch.kq && r.next_u64() % 2 == 0 ? pick(r, 1, 20000) : 0;
    kq::LayerCost fast, slow;
    try {
      slow =
          kq::analytic_layer_fold_by_fold(layer, arch, nullptr, nullptr, prefetched, prefetch_bits);
    } catch (const kq::InputError&) {
      // A fold that does not fit a buffer: the closed form must refuse it the same way.
      CHECK_THROWS_AS(kq::analytic_layer(layer, arch, nullptr, nullptr, prefetched, prefetch_bits),
                      kq::InputError);
      continue;
    }
    fast = kq::analytic_layer(layer, arch, nullptr, nullptr, prefetched, prefetch_bits);
    ++compared;
    if (slow.steps > 1) ++multi_fold;
    kq::FoldProgram p;
    const kq::Schedule sched(layer, arch);
    if (p.build(sched)) {
      ++structured;
      CHECK(p.folds() == sched.num_steps());
    }
    CHECK(fast.steps == slow.steps);
    CHECK(fast.counts.cycles == slow.counts.cycles);
    CHECK(fast.counts == slow.counts);
  }
  // The random designs must mostly map and exercise multi-fold layers, or the test is empty.
  CHECK(compared > 900);
  CHECK(multi_fold > 800);
  CHECK(structured == compared);
}

TEST_CASE("folds with equal nest classes are identical", "[unit][analytic]") {
  kq::Rng r(77);
  int checked = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const json aj = random_arch(r);
    const json wj = random_workload(r, 1);
    INFO("arch " << aj.dump() << "\nworkload " << wj.dump());
    const kq::ArchConfig arch = kq::arch_config_from_text(aj.dump(), "random_arch.json");
    const kq::Workload w = kq::workload_from_json(wj.dump(), "random_workload.json");
    try {
      const kq::Schedule sched(w.layers[0], arch);
      if (sched.num_steps() > 20000) continue;
      kq::FoldNest nest;
      sched.fold_nest(nest);
      REQUIRE(nest.structured);
      REQUIRE(nest.groups * nest.size[0] * nest.size[1] * nest.size[2] == sched.num_steps());
      std::map<std::array<uint32_t, 3>, kq::Step> seen;
      uint64_t s = 0;
      for (uint64_t g = 0; g < nest.groups; ++g)
        for (uint64_t a = 0; a < nest.size[0]; ++a)
          for (uint64_t b = 0; b < nest.size[1]; ++b)
            for (uint64_t i = 0; i < nest.size[2]; ++i, ++s) {
              const kq::Step st = sched.step(s);
              if (s == 0) continue;  // the layer's first fold is special by design
              const std::array<uint32_t, 3> key{nest.classes[0][a], nest.classes[1][b],
                                                nest.classes[2][i]};
              auto [it, inserted] = seen.emplace(key, st);
              if (!inserted) {
                INFO("fold " << s << " (g " << g << ", " << a << ", " << b << ", " << i << ")");
                REQUIRE(same_fold(it->second, st));
              }
            }
      ++checked;
    } catch (const kq::InputError&) {
    }
  }
  CHECK(checked > 150);
}

TEST_CASE("closed-form networks equal the fold-by-fold recurrence", "[unit][analytic]") {
  // Whole networks on shipped designs, including a KQ design with cross-layer codebook
  // prefetch and KCNN designs whose counts depend on the planes (evaluated fold by fold).
  const std::string root = KQSIM_SOURCE_DIR;
  const kq::Workload w = kq::load_workload(root + "/workloads/test/tiny_cnn.json");
  for (const char* a : {"baseline_fp32_16x16", "baseline_int8_16x16", "kcnn_m2_16x16",
                        "kq_k256_16x16", "kq_rr_k64_16x16"}) {
    INFO(a);
    kq::ArchConfig arch = kq::load_arch_config(root + "/arch_configs/" + a + ".json");
    for (const char* df : {"ws", "os", "is"}) {
      if (arch.kcnn || arch.kq) {
        if (*df != 'w') continue;
      } else {
        arch.array.dataflow = *df == 'w'   ? kq::Dataflow::ws
                              : *df == 'o' ? kq::Dataflow::os
                                           : kq::Dataflow::is;
      }
      for (bool data_dependent : {false, true}) {
        if (data_dependent && !arch.kcnn) continue;
        kq::ArchConfig design = arch;
        if (data_dependent) design.kcnn->window_sum_sharing = true;
        const kq::NetworkParams params = kq::synthetic_params(w, 3);
        const kq::QuantizedNetwork q = kq::quantize_network(w, design, params, "");
        const kq::NetworkCost fast = kq::analytic_network(w, design, &q);
        const kq::NetworkCost slow = kq::analytic_network_fold_by_fold(w, design, &q);
        REQUIRE(fast.layers.size() == slow.layers.size());
        for (size_t i = 0; i < fast.layers.size(); ++i) {
          INFO(fast.layers[i].name);
          CHECK(fast.layers[i].counts == slow.layers[i].counts);
        }
        CHECK(fast.totals == slow.totals);
        CHECK(kq::analytic_network_totals(w, design, &q) == slow.totals);
      }
    }
  }
}

TEST_CASE("the sweep's analytic cache gives analytic_network_totals' results", "[unit][analytic]") {
  // Designs revisited with other DRAM speeds, in an order that mixes them, on a whole
  // network: every result must equal the uncached evaluation, errors included.
  kq::Rng r(31);
  const kq::Workload w =
      kq::load_workload(std::string(KQSIM_SOURCE_DIR) + "/workloads/test/tiny_cnn.json");
  kq::AnalyticCache cache(4);  // small, so entries are also dropped and rebuilt
  std::vector<json> designs;
  for (int i = 0; i < 12; ++i) designs.push_back(random_arch(r));
  int hits = 0, errors = 0;
  for (int call = 0; call < 120; ++call) {
    json a = designs[r.next_u64() % designs.size()];
    a["dram"]["bandwidth_bytes_per_cycle"] = pick(r, 1, 3) * 8;
    a["dram"]["latency_cycles"] = r.next_u64() % 2 ? 100 : 7;
    a["tech"]["node_nm"] = r.next_u64() % 2 ? 45 : 22;  // not read by the Schedule
    const kq::ArchConfig arch = kq::arch_config_from_text(a.dump(), "cached_arch.json");
    json key = a;
    for (const char* k : {"dram", "clock_mhz", "tech", "name"}) key.erase(k);
    INFO(a.dump());
    try {
      const kq::ActionCounts want = kq::analytic_network_totals(w, arch);
      CHECK(cache.network_totals(w, arch, nullptr, key.dump()) == want);
      ++hits;
    } catch (const kq::InputError& e) {
      try {
        cache.network_totals(w, arch, nullptr, key.dump());
        FAIL("the cache accepted a design analytic_network_totals refused");
      } catch (const kq::InputError& c) {
        CHECK(std::string(c.what()) == e.what());
        ++errors;
      }
    }
  }
  CHECK(hits > 60);
}
