#include <catch2/catch.hpp>
#include <filesystem>

#include "sim/process.hpp"
#include "sim/report_util.hpp"

namespace {
int lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}
const std::vector<std::string> kTiny = {
    "run", "--arch", kqtest::source_path("arch_configs/baseline_fp32_16x16.json"), "--workload",
    kqtest::source_path("workloads/test/tiny_cnn.json")};
}  // namespace

TEST_CASE("kqsim --help lists the subcommands and run --help its options", "[cli]") {
  auto r = kqtest::run_kqsim({"--help"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("run") != std::string::npos);
  r = kqtest::run_kqsim({"run", "--help"});
  REQUIRE(r.exit_code == 0);
  for (const char* opt :
       {"--arch", "--workload", "--out", "--mode", "--weights", "--seed", "--vcd"})
    CHECK(r.out.find(opt) != std::string::npos);
  CHECK(r.err.empty());  // no SystemC banner
}

TEST_CASE("bad command lines exit 2 with one line on stderr", "[cli]") {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"frobnicate"},
           {"run"},
           {"run", "--arch"},
           {"run", "--bogus", "1"},
           {"run", "--arch", "a.json", "--workload", "w.json", "--mode", "warp"}}) {
    const auto r = kqtest::run_kqsim(args);
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(lines(r.err) == 1);
  }
}

TEST_CASE("same inputs and seed give byte-identical reports; another seed does not", "[cli]") {
  std::vector<std::string> outs;
  for (const char* seed : {"5", "5", "6"}) {
    const std::string dir = kqtest::make_temp_dir("det") + "/out";
    auto args = kTiny;
    args.insert(args.end(), {"--seed", seed, "--out", dir, "-q"});
    REQUIRE(kqtest::run_kqsim(args).exit_code == 0);
    outs.push_back(kqtest::read_text(dir + "/report.json") +
                   kqtest::read_text(dir + "/layers.csv") + kqtest::read_text(dir + "/summary.md"));
  }
  CHECK(outs[0] == outs[1]);
  CHECK(outs[0] != outs[2]);  // the seed reaches the synthetic tensors (SQNR changes)
}

TEST_CASE("--vcd writes the handshakes and busy signals", "[cli]") {
  for (const char* mode : {"cycle", "fast"}) {
    const std::string dir = kqtest::make_temp_dir("vcd");
    auto args = kTiny;
    args.insert(args.end(),
                {"--mode", mode, "--vcd", dir + "/wave.vcd", "--out", dir + "/out", "-q"});
    REQUIRE(kqtest::run_kqsim(args).exit_code == 0);
    const std::string vcd = kqtest::read_text(dir + "/wave.vcd");
    for (const char* sig :
         {"array_busy", "dram_busy", "load_issue", "compute_start", "store_issue", "layer"})
      CHECK(vcd.find(sig) != std::string::npos);
    CHECK(vcd.find("#") != std::string::npos);  // time stamps: values actually changed
  }
}

TEST_CASE("a failed run leaves an existing report untouched and writes nothing new", "[cli]") {
  const std::string dir = kqtest::make_temp_dir("atomic") + "/out";
  auto good = kTiny;
  good.insert(good.end(), {"--out", dir, "-q"});
  REQUIRE(kqtest::run_kqsim(good).exit_code == 0);
  const std::string before = kqtest::read_text(dir + "/report.json");
  const auto r = kqtest::run_kqsim({"run", "--arch",
                                    kqtest::source_path("arch_configs/baseline_fp32_16x16.json"),
                                    "--workload", "/nonexistent.json", "--out", dir});
  CHECK(r.exit_code == 2);
  CHECK(kqtest::read_text(dir + "/report.json") == before);
  for (const auto& e :
       std::filesystem::directory_iterator(std::filesystem::path(dir).parent_path()))
    CHECK(e.path().filename().string().find(".tmp-") == std::string::npos);
}
