// Outputs of the SystemC model against the golden reference, end to end through a network
// with every layer type, for each numeric format of the baseline.
#include <catch2/catch.hpp>

#include "sim/process.hpp"
#include "sim/report_util.hpp"

TEST_CASE("every layer matches the golden reference in every format", "[sim]") {
  for (const char* arch : {"baseline_fp32_16x16", "baseline_fp16_16x16", "baseline_bf16_16x16",
                           "baseline_int8_16x16"}) {
    for (const char* mode : {"cycle", "fast"}) {
      INFO(arch << " " << mode);
      const auto r = kqtest::run_report(
          {"--arch", kqtest::source_path(std::string("arch_configs/") + arch + ".json"),
           "--workload", kqtest::source_path("workloads/test/tiny_cnn.json"), "--mode", mode,
           "--seed", "11"});
      REQUIRE(r["values_computed"] == true);
      const bool integer = std::string(arch).find("int8") != std::string::npos;
      for (const auto& l : r["layers"]) {
        INFO(l["name"]);
        const auto& c = l["reference_check"];
        CHECK(c["violations"] == 0);
        CHECK(c["compared"].get<uint64_t>() > 0);
        const std::string type = l["type"];
        if (type == "conv2d" || type == "fc") {
          // Integer datapaths are bit-exact; float ones within the rounding bound.
          CHECK(c["kind"] == (integer ? "exact" : "bound"));
          if (integer) CHECK(c["max_abs_error"] == 0.0);
        }
        if (type == "relu" || type == "maxpool") CHECK(c["kind"] == "exact");
      }
      // Quality against the fp32 golden network: what each format costs in accuracy.
      const double sqnr = r["layers"].back()["output_sqnr_db"];
      if (integer)
        CHECK((sqnr > 15.0 && sqnr < 50.0));
      else if (std::string(arch).find("fp32") != std::string::npos)
        CHECK(sqnr > 110.0);
      else
        CHECK((sqnr > 25.0 && sqnr < 90.0));
    }
  }
}

TEST_CASE("the int8 design multiplies int8 exactly once per MAC", "[sim]") {
  const auto r =
      kqtest::run_report({"--arch", kqtest::source_path("arch_configs/baseline_int8_16x16.json"),
                          "--workload", kqtest::source_path("workloads/test/tiny_cnn.json")});
  CHECK(r["totals"]["multiplications_by_format"]["int8"] == r["workload"]["macs"]);
  CHECK(r["totals"]["additions_by_format"]["int32"] == r["workload"]["macs"]);
}

TEST_CASE("KCNN outputs match the reference on the quantized weights for every plane option",
          "[sim]") {
  const std::string dir = kqtest::make_temp_dir("kcnn_numerics");
  const nlohmann::json variants[] = {
      {{"planes", 2}},
      {{"planes", 3}, {"window_sum_sharing", true}, {"scale_format", "fp16"}},
      {{"planes", 2}, {"alphabet", "zero_one"}, {"offset", "per_kernel"}, {"zero_skip", true}},
      {{"planes", 2}, {"granularity", "filter3d"}},
      {{"planes", 2},
       {"granularity", "filter3d"},
       {"alphabet", "zero_one"},
       {"offset", "per_kernel"}},
      {{"planes", 4}, {"policy_1x1", "bitplanes"}},
      {{"planes", 3}, {"scale_format", "fixed"}, {"fixed_bits", 12}},
  };
  int i = 0;
  for (const auto& v : variants) {
    for (const char* fmt : {"fp32", "fp16", "int8"}) {
      const bool fixed = v.contains("scale_format") && v["scale_format"] == "fixed";
      if ((std::string(fmt) == "int8") != fixed) continue;  // integer activations need fixed scales
      kqtest::ArchKnobs k;
      k.kcnn = v;
      k.format = fmt;
      k.multipliers = 8;
      k.adders = 16 * 9;
      const std::string arch = kqtest::write_arch(dir, "k" + std::to_string(i++), k);
      for (const char* mode : {"cycle", "fast"}) {
        INFO(v.dump() << " " << fmt << " " << mode);
        const auto r = kqtest::run_report({"--arch", arch, "--workload",
                                           kqtest::source_path("workloads/test/tiny_cnn.json"),
                                           "--mode", mode});
        for (const auto& l : r["layers"]) {
          INFO(l["name"]);
          CHECK(l["reference_check"]["violations"] == 0);
          if (fixed && l["type"] == "conv2d") CHECK(l["reference_check"]["kind"] == "exact");
        }
        // Two or more planes keep a useful signal: the KCNN network tracks the fp32 one.
        CHECK(r["layers"].back()["output_sqnr_db"].get<double>() > 3.0);
      }
    }
  }
}

TEST_CASE("KQ outputs match the reference on the decoded weights", "[sim]") {
  const std::string dir = kqtest::make_temp_dir("kq_numerics");
  const std::pair<nlohmann::json, const char*> variants[] = {
      {{{"codewords", 16}}, "int8"},
      {{{"codewords", 32}, {"codebook_bits", 5}}, "fp16"},
      {{{"codewords", 8}, {"codebook_quant", "lut"}}, "fp32"},
      {{{"codewords", 4}, {"datapath", "response_reuse"}, {"gather_adders", 7}}, "int8"},
      {{{"codewords", 8}, {"datapath", "response_reuse"}}, "fp16"},
      {{{"codewords", 8}, {"datapath", "response_reuse"}, {"codebook_quant", "lut"}}, "fp32"},
  };
  int i = 0;
  for (const auto& [v, fmt] : variants) {
    kqtest::ArchKnobs k;
    k.kq = v;
    k.format = fmt;
    const std::string arch = kqtest::write_arch(dir, "q" + std::to_string(i++), k);
    for (const char* mode : {"cycle", "fast"}) {
      INFO(v.dump() << " " << fmt << " " << mode);
      const auto r =
          kqtest::run_report({"--arch", arch, "--workload",
                              kqtest::source_path("workloads/test/tiny_cnn.json"), "--mode", mode});
      for (const auto& l : r["layers"]) {
        INFO(l["name"]);
        CHECK(l["reference_check"]["violations"] == 0);
        if (std::string(fmt) == "int8" && l["type"] == "conv2d")
          CHECK(l["reference_check"]["kind"] == "exact");
        if (l["type"] == "conv2d") CHECK(l["quantization"]["scheme"] == "kq");
      }
    }
  }
}
