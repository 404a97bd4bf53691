// kqsim compare: its figures and ratios against individual `kqsim run`s of the same designs,
// the same tensors on every design, determinism, and bad input.
#include <catch2/catch.hpp>
#include <filesystem>

#include "models/report/compare_report.hpp"
#include "sim/process.hpp"
#include "sim/report_util.hpp"

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

const char* kWorkload = "workloads/test/tiny_cnn.json";
const std::vector<const char*> kDesigns = {
    "arch_configs/baseline_fp32_16x16.json", "arch_configs/baseline_int8_16x16.json",
    "arch_configs/kcnn_m2_16x16.json", "arch_configs/kq_k256_16x16.json",
    "arch_configs/kq_rr_k64_16x16.json"};

int lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

std::vector<std::string> compare_args(const std::string& out, const std::string& mode,
                                      const std::vector<const char*>& designs = kDesigns) {
  std::vector<std::string> a{"compare", "--workload", kqtest::source_path(kWorkload), "--baseline",
                             kqtest::source_path(designs[0])};
  for (size_t i = 1; i < designs.size(); ++i)
    a.insert(a.end(), {"--arch", kqtest::source_path(designs[i])});
  a.insert(a.end(), {"--mode", mode, "--out", out, "--no-plots", "-q"});
  return a;
}

json read_json(const std::string& path) {
  return json::parse(kqtest::read_text(path));
}

double d(const json& j) {
  return j.get<double>();
}

}  // namespace

TEST_CASE("compare states each design's own run and the ratios against the baseline's",
          "[compare]") {
  for (const char* mode : {"fast", "analytic"}) {
    INFO("mode " << mode);
    const std::string out = kqtest::make_temp_dir("compare") + "/out";
    const auto r = kqtest::run_kqsim(compare_args(out, mode));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const json c = read_json(out + "/compare.json");
    REQUIRE(c["designs"].size() == kDesigns.size());
    CHECK(c["baseline"] == "baseline_fp32_16x16");
    // Independent runs of every design, exactly as a user would start them.
    std::vector<json> runs;
    for (const char* a : kDesigns)
      runs.push_back(kqtest::run_report({"--arch", kqtest::source_path(a), "--workload",
                                         kqtest::source_path(kWorkload), "--mode", mode}));
    const json& base = runs[0]["totals"];
    for (size_t i = 0; i < kDesigns.size(); ++i) {
      const json& e = c["designs"][i];
      const json& t = runs[i]["totals"];
      INFO("design " << e["name"]);
      CHECK(e["name"] == runs[i]["design"]["name"]);
      // The run compare kept is the same report, byte for byte in content.
      CHECK(read_json(out + "/" + e["report"].get<std::string>()) == runs[i]);
      for (const char* k : {"cycles", "multiplications", "additions", "dram_bytes"})
        CHECK(e["totals"][k] == t[k]);
      CHECK(d(e["totals"]["energy_pj"]) == d(t["energy_pj"]));
      CHECK(d(e["totals"]["area_um2"]) == d(t["area_um2"]));
      CHECK(e["totals"]["energy_breakdown_pj"] == t["energy_breakdown_pj"]);
      CHECK(e["totals"]["area_breakdown_um2"] == t["area_breakdown_um2"]);
      CHECK(e["totals"]["bits_per_weight"] == t["bits_per_weight"]);
      const json& v = e["vs_baseline"];
      CHECK(d(v["multiplication_reduction_x"]) ==
            Approx(d(base["multiplications"]) / d(t["multiplications"])).epsilon(1e-12));
      CHECK(d(v["energy_reduction_x"]) ==
            Approx(d(base["energy_pj"]) / d(t["energy_pj"])).epsilon(1e-12));
      CHECK(d(v["area_ratio"]) == Approx(d(t["area_um2"]) / d(base["area_um2"])).epsilon(1e-12));
      CHECK(d(v["dram_reduction_x"]) ==
            Approx(d(base["dram_bytes"]) / d(t["dram_bytes"])).epsilon(1e-12));
      CHECK(d(v["speedup_x"]) == Approx(d(base["latency_us"]) / d(t["latency_us"])).epsilon(1e-12));
      REQUIRE(e["layers"].size() == runs[i]["layers"].size());
      for (size_t l = 0; l < e["layers"].size(); ++l) {
        const json& el = e["layers"][l];
        const json& rl = runs[i]["layers"][l];
        const json& bl = runs[0]["layers"][l];
        CHECK(el["name"] == rl["name"]);
        CHECK(el["cycles"] == rl["cycles"]);
        CHECK(el["multiplications"] == rl["multiplications"]);
        CHECK(d(el["energy_pj"]) == d(rl["energy_pj"]));
        if (d(rl["multiplications"]) > 0)
          CHECK(d(el["vs_baseline"]["multiplication_reduction_x"]) ==
                Approx(d(bl["multiplications"]) / d(rl["multiplications"])).epsilon(1e-12));
        else
          CHECK(el["vs_baseline"]["multiplication_reduction_x"].is_null());
        if (std::string(mode) == "fast") CHECK(el["output_sqnr_db"] == rl["output_sqnr_db"]);
      }
    }
    // The baseline against itself: every ratio is one.
    CHECK(d(c["designs"][0]["vs_baseline"]["energy_reduction_x"]) == 1.0);
    // A KCNN design saves multiplications on this network; the quantized designs store fewer
    // bits per weight than fp32.
    CHECK(d(c["designs"][2]["vs_baseline"]["multiplication_reduction_x"]) > 2.0);
    for (size_t i = 1; i < kDesigns.size(); ++i)
      CHECK(d(c["designs"][i]["totals"]["bits_per_weight"]) < 32.0);
    // CSV: a total row and one row per layer for each design.
    const std::string csv = kqtest::read_text(out + "/compare.csv");
    CHECK(lines(csv) == 1 + static_cast<int>(kDesigns.size() * (1 + runs[0]["layers"].size())));
    const std::string md = kqtest::read_text(out + "/compare.md");
    CHECK(md.find("| multiplications |") != std::string::npos);
    CHECK(md.find("× fewer") != std::string::npos);
  }
}

TEST_CASE("every design of a comparison runs on the same tensors", "[compare]") {
  const std::string out = kqtest::make_temp_dir("tensors") + "/out";
  REQUIRE(kqtest::run_kqsim(compare_args(out, "fast")).exit_code == 0);
  const json c = read_json(out + "/compare.json");
  const json& t = c["tensors"];
  CHECK(t["identical_across_designs"] == true);
  CHECK(t["designs_with_tensors"].size() == kDesigns.size());
  for (const auto& e : c["designs"]) {
    const json r = read_json(out + "/" + e["report"].get<std::string>());
    INFO("design " << e["name"]);
    // The baseline's outputs and every design's reference outputs come from these tensors:
    // the golden fp32 network each run computed is the same, bit for bit.
    CHECK(r["tensors"]["input_fnv1a64"] == t["input_fnv1a64"]);
    CHECK(r["tensors"]["weights_fnv1a64"] == t["weights_fnv1a64"]);
    CHECK(r["tensors"]["golden_output_fnv1a64"] == t["golden_output_fnv1a64"]);
  }
  // The digests see the tensors: another seed gives other ones, and runs that did not share
  // tensors are refused as a comparison.
  const json other = kqtest::run_report({"--arch", kqtest::source_path(kDesigns[1]), "--workload",
                                         kqtest::source_path(kWorkload), "--seed", "2"});
  CHECK(other["tensors"]["weights_fnv1a64"] != t["weights_fnv1a64"]);
  CHECK(other["tensors"]["golden_output_fnv1a64"] != t["golden_output_fnv1a64"]);
  std::vector<kq::CompareRun> runs(2);
  runs[0].report = read_json(out + "/" + c["designs"][0]["report"].get<std::string>());
  runs[0].report_path = "a/report.json";
  runs[1].report = other;
  runs[1].report["seed"] = runs[0].report["seed"];  // only the tensors differ now
  runs[1].report_path = "b/report.json";
  CHECK_THROWS_WITH(kq::compare_to_json(runs),
                    Catch::Contains("b/report.json") && Catch::Contains("same tensors"));
  runs[1] = runs[0];
  runs[1].report["workload"]["macs"] = 1;
  CHECK_THROWS_WITH(kq::compare_to_json(runs), Catch::Contains("another workload"));
}

TEST_CASE("compare is deterministic across reruns and --jobs", "[compare]") {
  std::vector<std::string> outs;
  for (const char* jobs : {"1", "3", "1"}) {
    const std::string out = kqtest::make_temp_dir("cmpdet") + "/out";
    auto a = compare_args(out, "fast");
    a.insert(a.end(), {"--jobs", jobs});
    REQUIRE(kqtest::run_kqsim(a).exit_code == 0);
    std::string all;
    for (const char* f : {"compare.json", "compare.csv", "compare.md", "index.html"})
      all += kqtest::read_text(out + "/" + f);
    outs.push_back(all);
  }
  CHECK(outs[0] == outs[1]);
  CHECK(outs[0] == outs[2]);
}

TEST_CASE("kqsim lists compare, and compare --help its options", "[compare]") {
  CHECK(kqtest::run_kqsim({"--help"}).out.find("compare") != std::string::npos);
  const auto r = kqtest::run_kqsim({"compare", "--help"});
  REQUIRE(r.exit_code == 0);
  for (const char* opt :
       {"--workload", "--baseline", "--arch", "--out", "--mode", "--jobs", "--weights", "--input",
        "--seed", "--no-plots", "--model", "--inputs", "--labels", "--threads"})
    CHECK(r.out.find(opt) != std::string::npos);
}

TEST_CASE("bad compare inputs: one line, exit 2, no output", "[compare]") {
  const std::string dir = kqtest::make_temp_dir("cmpbad");
  kqtest::ArchKnobs tiny;
  tiny.buffer_bytes = 64;  // no fold of tiny_cnn fits: the run of this design fails
  const std::string small = kqtest::write_arch(dir, "too_small", tiny);
  const std::string out = dir + "/out";
  const std::string base = kqtest::source_path(kDesigns[0]);
  const std::string wl = kqtest::source_path(kWorkload);
  struct Case {
    std::vector<std::string> args;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {{"compare", "--workload", wl, "--baseline", base, "--arch", dir + "/missing.json"},
       "missing.json"},
      {{"compare", "--workload", wl, "--baseline", base, "--arch", base}, "/name"},
      {{"compare", "--workload", wl, "--baseline", base}, "--arch"},
      {{"compare", "--workload", wl, "--baseline", base, "--arch", base, "--mode", "warp"},
       "--mode"},
      {{"compare", "--workload", dir + "/nope.json", "--baseline", base, "--arch", small},
       "nope.json"},
      // Fails inside the design's own run: its one line comes through unchanged.
      {{"compare", "--workload", wl, "--baseline", base, "--arch", small}, "capacity_bytes"},
  };
  for (const Case& c : cases) {
    auto a = c.args;
    a.insert(a.end(), {"--out", out, "--no-plots"});
    const auto r = kqtest::run_kqsim(a);
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(lines(r.err) == 1);
    CHECK(r.err.find(c.expect) != std::string::npos);
    CHECK_FALSE(fs::exists(out));
  }
  // Nothing half-written next to the target either.
  for (const auto& entry : fs::directory_iterator(dir))
    CHECK(entry.path().filename().string().rfind(".out", 0) != 0);
}
