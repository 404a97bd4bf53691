// Stress: random DRAM latency and bandwidth jitter and buffer back-pressure perturb timing
// only. Over designs of every datapath and dataflow, a stressed run must compute bit-identical
// outputs, count exactly the same actions and bytes, keep busy + stall + idle = cycles for
// every unit, finish (no deadlock), agree between cycle and fast mode draw for draw, and take
// at least as many cycles as the unstressed run, layer by layer. With DRAM jitter alone the
// cycles are also bounded above by the analytic model of the slowest DRAM the jitter can
// produce (the timing rules are a max-plus recurrence: monotone in every delay).
// The watchdog turns a hang (test hook KQSIM_TEST_FAULT) into exit code 3 and one line.
#include <catch2/catch.hpp>
#include <filesystem>

#include "sim/process.hpp"
#include "sim/report_util.hpp"

using kqtest::ArchKnobs;
using nlohmann::json;

namespace {

struct Design {
  std::string name;
  ArchKnobs knobs;
};

std::vector<Design> designs() {
  std::vector<Design> d;
  for (const char* df : {"ws", "os", "is"}) {
    ArchKnobs k;
    k.dataflow = df;
    k.buffer_bytes = 8192;  // inputs not resident, ws chunks: many folds and DRAM requests
    d.push_back({std::string("fp32_") + df, k});
  }
  ArchKnobs i8;
  i8.format = "int8";
  i8.double_buffered = false;
  d.push_back({"int8_ws_single_buffered", i8});
  ArchKnobs f16;
  f16.format = "fp16";
  f16.dataflow = "is";
  f16.dram_bytes_per_cycle = 32;
  d.push_back({"fp16_is", f16});
  ArchKnobs kcnn;
  kcnn.kcnn = {{"planes", 2}};
  kcnn.multipliers = 3;
  kcnn.adders = 16;
  d.push_back({"kcnn_m2", kcnn});
  ArchKnobs kq;
  kq.kq = {{"codewords", 16}};
  kq.format = "int8";
  d.push_back({"kq_decode", kq});
  ArchKnobs rr;
  rr.kq = {{"codewords", 4}, {"datapath", "response_reuse"}, {"gather_adders", 5}};
  rr.format = "int8";
  d.push_back({"kq_response_reuse", rr});
  return d;
}

const std::vector<std::string> kJitter = {"--dram-latency-jitter", "37", "--dram-bandwidth-jitter",
                                          "40"};
const std::vector<std::string> kBackpressure = {"--backpressure", "9"};

json run(const std::string& arch, const std::string& workload, const std::string& mode,
         std::vector<std::string> extra) {
  std::vector<std::string> a = {"--arch", arch, "--workload", workload, "--mode", mode};
  a.insert(a.end(), extra.begin(), extra.end());
  return kqtest::run_report(a);
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

/// Everything but timing: arithmetic, buffer, register and DRAM-byte counters.
json work_of(const json& e) {
  json c = kqtest::counters_of(e);
  c.erase("cycles");
  c.erase("unit_cycles");
  c["dram_bytes"] = e["dram_bytes"];
  return c;
}

void check_units_add_up(const json& report) {
  for (const auto& l : report["layers"])
    for (const char* u : {"array", "multiplier_array", "dram", "vector_unit"}) {
      const json& c = l["unit_cycles"][u];
      INFO("layer " << l["name"] << " unit " << u);
      CHECK(c["busy"].get<uint64_t>() + c["stall"].get<uint64_t>() + c["idle"].get<uint64_t>() ==
            l["cycles"].get<uint64_t>());
    }
}

}  // namespace

TEST_CASE("stress perturbs timing only, and cycle and fast mode draw alike", "[stress]") {
  const std::string dir = kqtest::make_temp_dir("stress");
  for (const Design& d : designs()) {
    const std::string arch = kqtest::write_arch(dir, d.name, d.knobs);
    for (const char* wl : {"workloads/test/tiny_cnn.json", "workloads/test/strided_conv.json"}) {
      INFO("design " << d.name << ", workload " << wl);
      const std::string w = kqtest::source_path(wl);
      const std::vector<std::string> stress =
          concat(concat(kJitter, kBackpressure), {"--stress-seed", "11"});
      const json nominal = run(arch, w, "fast", {});
      const json fast = run(arch, w, "fast", stress);
      const json cycle = run(arch, w, "cycle", stress);
      // The same draws in both modes: identical reports but for the mode itself.
      CHECK(fast["layers"] == cycle["layers"]);
      CHECK(fast["totals"] == cycle["totals"]);
      CHECK(fast["stress"]["seed"] == 11);
      check_units_add_up(fast);
      check_units_add_up(cycle);
      CHECK(work_of(fast["totals"]) == work_of(nominal["totals"]));
      CHECK(fast["totals"]["cycles"].get<uint64_t>() > nominal["totals"]["cycles"].get<uint64_t>());
      REQUIRE(fast["layers"].size() == nominal["layers"].size());
      for (size_t i = 0; i < fast["layers"].size(); ++i) {
        const json& s = fast["layers"][i];
        const json& n = nominal["layers"][i];
        INFO("layer " << s["name"]);
        CHECK(work_of(s) == work_of(n));
        // Bit-exact values: the same stored outputs, checked against the reference again.
        CHECK(s["output_fnv1a64"] == n["output_fnv1a64"]);
        CHECK(s["reference_check"]["violations"] == 0);
        CHECK(s["output_sqnr_db"] == n["output_sqnr_db"]);
        CHECK(s["cycles"].get<uint64_t>() >= n["cycles"].get<uint64_t>());
        // Jitter and holds only add waiting: the units do the same work.
        for (const char* u : {"array", "multiplier_array", "vector_unit"})
          CHECK(s["unit_cycles"][u]["busy"] == n["unit_cycles"][u]["busy"]);
        CHECK(s["unit_cycles"]["dram"]["busy"].get<uint64_t>() >=
              n["unit_cycles"]["dram"]["busy"].get<uint64_t>());
      }
    }
  }
}

TEST_CASE("DRAM jitter stays between the nominal and the slowest-DRAM analytic model", "[stress]") {
  const std::string dir = kqtest::make_temp_dir("stress_bound");
  for (const Design& d : designs()) {
    ArchKnobs worst = d.knobs;
    worst.dram_latency += 37;
    // The slowest integer bandwidth a 40% jitter draws: ceil(bw · 60 / 100).
    worst.dram_bytes_per_cycle = (d.knobs.dram_bytes_per_cycle * 60 + 99) / 100;
    const std::string arch = kqtest::write_arch(dir, d.name, d.knobs);
    const std::string worst_arch = kqtest::write_arch(dir, d.name + "_worst", worst);
    const std::string w = kqtest::source_path("workloads/test/tiny_cnn.json");
    INFO("design " << d.name);
    const json lo = run(arch, w, "analytic", {});
    const json hi = run(worst_arch, w, "analytic", {});
    for (const char* seed : {"1", "2", "3"}) {
      const json s = run(arch, w, "fast", concat(kJitter, {"--stress-seed", seed}));
      for (size_t i = 0; i < s["layers"].size(); ++i) {
        INFO("seed " << seed << " layer " << s["layers"][i]["name"]);
        const uint64_t c = s["layers"][i]["cycles"];
        CHECK(c >= lo["layers"][i]["cycles"].get<uint64_t>());
        CHECK(c <= hi["layers"][i]["cycles"].get<uint64_t>());
      }
    }
  }
}

TEST_CASE("stress is reproducible from its seed and the seed matters", "[stress]") {
  const std::string dir = kqtest::make_temp_dir("stress_seed");
  const std::string arch = kqtest::write_arch(dir, "fp32", ArchKnobs{});
  const std::string w = kqtest::source_path("workloads/test/tiny_cnn.json");
  std::vector<std::string> reports;
  for (const char* seed : {"5", "5", "6"}) {
    const std::string out = dir + "/out" + std::to_string(reports.size());
    auto args = concat(concat({"run", "--arch", arch, "--workload", w, "--mode", "cycle"}, kJitter),
                       {"--stress-seed", seed, "--out", out, "-q"});
    REQUIRE(kqtest::run_kqsim(concat(args, kBackpressure)).exit_code == 0);
    reports.push_back(kqtest::read_text(out + "/report.json"));
  }
  CHECK(reports[0] == reports[1]);
  CHECK(reports[0] != reports[2]);
}

TEST_CASE("ideal DRAM has nothing to jitter; back-pressure still holds the units", "[stress]") {
  const std::string dir = kqtest::make_temp_dir("stress_ideal");
  ArchKnobs k;
  k.ideal_dram = true;
  const std::string arch = kqtest::write_arch(dir, "ideal", k);
  const std::string w = kqtest::source_path("workloads/test/tiny_cnn.json");
  const json nominal = run(arch, w, "fast", {});
  CHECK(run(arch, w, "cycle", kJitter)["totals"]["cycles"] == nominal["totals"]["cycles"]);
  const json held = run(arch, w, "cycle", kBackpressure);
  CHECK(held["totals"]["cycles"].get<uint64_t>() > nominal["totals"]["cycles"].get<uint64_t>());
  CHECK(work_of(held["totals"]) == work_of(nominal["totals"]));
  check_units_add_up(held);
}

TEST_CASE("the watchdog turns a hang into exit code 3 naming the module and cycle", "[stress]") {
  const std::string dir = kqtest::make_temp_dir("watchdog");
  const std::string arch = kqtest::write_arch(dir, "fp32", ArchKnobs{});
  const std::string w = kqtest::source_path("workloads/test/tiny_cnn.json");
  struct Expect {
    const char* fault;
    const char* module;
  };
  for (const Expect& e : {Expect{"stuck_dram", "dram: the load request #"},
                          Expect{"stuck_array", "mac_array: the job of layer "}}) {
    for (const char* mode : {"cycle", "fast"}) {
      INFO(e.fault << " in " << mode << " mode");
      const std::string out = dir + "/" + e.fault + mode;
      const auto r = kqtest::run_kqsim(
          {"run", "--arch", arch, "--workload", w, "--mode", mode, "--out", out, "-q"},
          {{"KQSIM_TEST_FAULT", e.fault}});
      INFO(r.err);
      CHECK(r.exit_code == 3);
      CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
      CHECK(r.err.rfind("error: watchdog: ", 0) == 0);
      CHECK(r.err.find(e.module) != std::string::npos);
      CHECK(r.err.find(" at cycle ") != std::string::npos);
      CHECK_FALSE(std::filesystem::exists(out));  // no half-written report
    }
  }
  // Cycle mode: the limit is the configured number of quiet cycles.
  const auto r = kqtest::run_kqsim({"run", "--arch", arch, "--workload", w, "--mode", "cycle",
                                    "--watchdog-cycles", "500", "--out", dir + "/x", "-q"},
                                   {{"KQSIM_TEST_FAULT", "stuck_dram"}});
  CHECK(r.exit_code == 3);
  // Sampled every limit / 8 = 62 cycles: caught within the limit plus one period.
  const size_t at = r.err.find("no progress for ");
  REQUIRE(at != std::string::npos);
  const uint64_t quiet = std::stoull(r.err.substr(at + 16));
  CHECK(quiet >= 500);
  CHECK(quiet <= 500 + 62);
  // A healthy run never trips it, even with the limit just above the quietest stretch
  // (latency 20 + jitter 37 + hold 9 + 2).
  const auto ok = kqtest::run_kqsim(
      concat(concat(concat({"run", "--arch", arch, "--workload", w, "--mode", "cycle", "--out",
                            dir + "/ok", "-q", "--watchdog-cycles", "69"},
                           kJitter),
                    kBackpressure),
             {}));
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
}

TEST_CASE("bad stress options are input errors", "[stress]") {
  const std::string arch = kqtest::source_path("arch_configs/baseline_fp32_16x16.json");
  const std::string w = kqtest::source_path("workloads/test/tiny_cnn.json");
  for (const auto& extra :
       std::vector<std::vector<std::string>>{{"--dram-latency-jitter", "-1"},
                                             {"--dram-bandwidth-jitter", "91"},
                                             {"--backpressure", "2000000"},
                                             {"--backpressure", "x"},
                                             {"--mode", "analytic", "--backpressure", "3"},
                                             {"--watchdog-cycles", "50"}}) {
    auto args =
        concat({"run", "--arch", arch, "--workload", w, "--out", "/tmp/unused", "-q"}, extra);
    const auto r = kqtest::run_kqsim(args);
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  const auto r = kqtest::run_kqsim({"run", "--arch", arch, "--workload", w, "-q"},
                                   {{"KQSIM_TEST_FAULT", "bogus"}});
  CHECK(r.exit_code == 2);
}
