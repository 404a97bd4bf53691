// Determinism: the same inputs and seed give byte-identical report.json (and the files
// derived from it) across reruns, for every shipped design (every datapath) in every mode,
// and under stress with the same stress seed.
#include <catch2/catch.hpp>
#include <filesystem>

#include "sim/process.hpp"

namespace {

std::string run_files(const std::vector<std::string>& args, const std::string& out) {
  std::vector<std::string> a = args;
  a.insert(a.end(), {"--out", out, "-q"});
  const auto r = kqtest::run_kqsim(a);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return kqtest::read_text(out + "/report.json") + "\n--\n" +
         kqtest::read_text(out + "/layers.csv") + "\n--\n" + kqtest::read_text(out + "/summary.md");
}

}  // namespace

TEST_CASE("reruns give byte-identical reports for every datapath and mode", "[determinism]") {
  const std::string dir = kqtest::make_temp_dir("determinism");
  std::vector<std::string> archs;
  for (const auto& e : std::filesystem::directory_iterator(kqtest::source_path("arch_configs")))
    if (e.path().extension() == ".json") archs.push_back(e.path().string());
  std::sort(archs.begin(), archs.end());
  REQUIRE(archs.size() >= 9);  // fp32, fp16, bf16, int8, two KCNN, three KQ (both datapaths)
  int n = 0;
  for (const auto& arch : archs)
    for (const char* mode : {"cycle", "fast", "analytic"}) {
      INFO(arch << " in " << mode << " mode");
      const std::vector<std::string> args = {"run",
                                             "--arch",
                                             arch,
                                             "--workload",
                                             kqtest::source_path("workloads/test/tiny_cnn.json"),
                                             "--mode",
                                             mode,
                                             "--seed",
                                             "9"};
      const std::string a = run_files(args, dir + "/a" + std::to_string(n));
      const std::string b = run_files(args, dir + "/b" + std::to_string(n));
      ++n;
      CHECK(a == b);
      // Values were computed (and hashed) wherever the mode computes them.
      CHECK((a.find("output_fnv1a64") != std::string::npos) == (std::string(mode) != "analytic"));
    }
}

TEST_CASE("stressed reruns with the same stress seed are byte-identical", "[determinism]") {
  const std::string dir = kqtest::make_temp_dir("determinism_stress");
  for (const char* arch :
       {"arch_configs/baseline_int8_16x16.json", "arch_configs/kq_rr_k64_16x16.json"})
    for (const char* mode : {"cycle", "fast"}) {
      INFO(arch << " in " << mode << " mode");
      const std::vector<std::string> args = {"run",
                                             "--arch",
                                             kqtest::source_path(arch),
                                             "--workload",
                                             kqtest::source_path("workloads/test/tiny_cnn.json"),
                                             "--mode",
                                             mode,
                                             "--dram-latency-jitter",
                                             "60",
                                             "--dram-bandwidth-jitter",
                                             "50",
                                             "--backpressure",
                                             "5",
                                             "--stress-seed",
                                             "4"};
      CHECK(run_files(args, dir + "/a") == run_files(args, dir + "/b"));
    }
}
