// Whole shipped networks through the simulated accelerator.
#include <catch2/catch.hpp>

#include "models/workload/npy.hpp"
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

TEST_CASE("pre-quantized KCNN planes from --weights are simulated as they are", "[network]") {
  // single_conv: 16 → 16 channels, 3×3. Planes [N, C, M, kh, kw] all +1 except one bit, and
  // known scales: the run must use exactly these (imported: no weight SQNR) and still check.
  const std::string dir = kqtest::make_temp_dir("kcnn_import");
  kq::Tensor planes, alpha;
  planes.shape = {16, 16, 2, 3, 3};
  planes.data.assign(16 * 16 * 2 * 9, 1.0f);
  planes.data[5] = 0.0f;
  alpha.shape = {16, 16, 2};
  for (size_t i = 0; i < 16 * 16 * 2; ++i) alpha.data.push_back(i % 2 ? 0.25f : 0.5f);
  kq::write_npz(dir + "/w.npz", {{"conv.kcnn_planes", planes}, {"conv.kcnn_alpha", alpha}});
  const auto r =
      kqtest::run_report({"--arch", kqtest::source_path("arch_configs/kcnn_m2_16x16.json"),
                          "--workload", kqtest::source_path("workloads/test/single_conv.json"),
                          "--weights", dir + "/w.npz", "--mode", "cycle"});
  const auto& l = r["layers"][0];
  CHECK(l["quantization"]["mode"] == "kernel2d");
  CHECK(l["quantization"]["weight_sqnr_db"].is_null());
  CHECK(l["reference_check"]["violations"] == 0);
  // The synthetic float weights are unrelated to these planes: the layer is far from them.
  CHECK(l["layer_output_sqnr_db"].get<double>() < 3.0);
}

TEST_CASE("ResNet-18 runs end to end through a KQ codebook design with every output checked",
          "[network]") {
  const auto r =
      kqtest::run_report({"--arch", kqtest::source_path("arch_configs/kq_k512_16x16.json"),
                          "--workload", kqtest::source_path("workloads/resnet18.json")});
  for (const auto& l : r["layers"]) {
    INFO(l["name"]);
    CHECK(l["reference_check"]["violations"] == 0);
  }
  // methods.md §3.3: ResNet-18, all conv layers, 9-bit indices (K = 512, capped), 6-bit
  // codebook, 32-bit side info: 1.168 bits per parameter.
  CHECK(r["totals"]["bits_per_weight"].get<double>() == Approx(1.168).margin(5e-4));
  // Compressed weights: far less DRAM traffic than the fp32 array of the same size.
  CHECK(r["totals"]["dram_bytes"].get<uint64_t>() * 3 <
        r["totals"]["baseline_fp32"]["dram_bytes"].get<uint64_t>());
}

TEST_CASE("ResNet-18 runs end to end through a KQ response-reuse design", "[network]") {
  // K = 64 codewords: fewer than most layers' filters, where reusing responses pays.
  const auto r =
      kqtest::run_report({"--arch", kqtest::source_path("arch_configs/kq_rr_k64_16x16.json"),
                          "--workload", kqtest::source_path("workloads/resnet18.json")});
  for (const auto& l : r["layers"]) {
    INFO(l["name"]);
    CHECK(l["reference_check"]["violations"] == 0);
  }
  CHECK(r["totals"]["baseline_fp32"]["multiplication_reduction_x"].get<double>() > 1.5);
}
