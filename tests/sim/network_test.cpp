// Whole shipped networks through the simulated accelerator.
#include <catch2/catch.hpp>

#include "sim/process.hpp"
#include "sim/report_util.hpp"

TEST_CASE("ResNet-18 runs end to end in fast mode with every output checked", "[network]") {
  const auto r =
      kqtest::run_report({"--arch", kqtest::source_path("arch_configs/baseline_int8_16x16.json"),
                          "--workload", kqtest::source_path("workloads/resnet18.json")});
  CHECK(r["workload"]["macs"] == 1814073344ull);
  CHECK(r["totals"]["multiplications_by_format"]["int8"] == 1814073344ull);
  for (const auto& l : r["layers"]) {
    INFO(l["name"]);
    CHECK(l["reference_check"]["violations"] == 0);
  }
  const double sqnr = r["layers"].back()["output_sqnr_db"];
  CHECK(sqnr > 5.0);  // int8 through 21 layers still tracks the fp32 network
}

TEST_CASE("every shipped network maps onto the shipped baselines (analytic)", "[network]") {
  for (const char* w : {"alexnet", "vgg16", "resnet18", "resnet50", "mobilenetv2"})
    for (const char* a : {"baseline_fp32_16x16", "baseline_fp16_16x16", "baseline_int8_16x16"}) {
      INFO(w << " on " << a);
      const auto r = kqtest::run_report(
          {"--arch", kqtest::source_path(std::string("arch_configs/") + a + ".json"), "--workload",
           kqtest::source_path(std::string("workloads/") + w + ".json"), "--mode", "analytic"});
      CHECK(r["totals"]["cycles"].get<uint64_t>() > 0);
      uint64_t mults = 0;
      for (const auto& l : r["layers"]) mults += l["multiplications"].get<uint64_t>();
      CHECK(mults == r["totals"]["multiplications"].get<uint64_t>());
    }
}

TEST_CASE("ResNet-18 runs end to end through a KCNN design with every output checked",
          "[network]") {
  const auto r =
      kqtest::run_report({"--arch", kqtest::source_path("arch_configs/kcnn_m2_16x16.json"),
                          "--workload", kqtest::source_path("workloads/resnet18.json")});
  for (const auto& l : r["layers"]) {
    INFO(l["name"]);
    CHECK(l["reference_check"]["violations"] == 0);
  }
  // 3×3 layers in bit planes (M = 2), the 7×7 stem too; 1×1 and fc kept in fp16.
  const auto& b = r["totals"]["baseline_fp32"];
  CHECK(b["multiplications"] == 1816557568ull);
  CHECK(b["multiplication_reduction_x"].get<double>() > 4.0);
  CHECK(r["totals"]["weight_sqnr_db"].get<double>() > 8.0);
  CHECK(r["layers"].back()["output_sqnr_db"].get<double>() > 3.0);
}
