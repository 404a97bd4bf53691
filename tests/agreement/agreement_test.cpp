// The agreement suite: the SystemC model in cycle mode (every clock edge), in fast mode
// (event to event) and the closed-form analytic model must give identical cycles and
// counters, layer by layer, over a matrix of small designs, dataflows, formats, memory
// systems and layer shapes. DRAM timing in kqsim is not data-dependent, so no tolerance is
// allowed anywhere.
#include <catch2/catch.hpp>

#include "sim/process.hpp"
#include "sim/report_util.hpp"

using kqtest::ArchKnobs;

namespace {

struct Case {
  ArchKnobs knobs;
  std::string workload;
};

std::vector<Case> matrix() {
  std::vector<Case> cases;
  const char* dataflows[] = {"ws", "os", "is"};
  const char* formats[] = {"fp32", "int8", "fp16"};
  const char* workloads[] = {"workloads/test/tiny_cnn.json", "workloads/test/strided_conv.json",
                             "workloads/test/conv1x1.json", "workloads/test/fc_only.json"};
  int i = 0;
  for (const char* df : dataflows)
    for (const char* fmt : formats) {
      ArchKnobs k;
      k.dataflow = df;
      k.format = fmt;
      // Vary the rest deterministically so the matrix touches every combination class:
      // non-square arrays, slow and fast DRAM, single buffering, port-limited buffers.
      k.rows = (i % 3 == 0) ? 4 : (i % 3 == 1) ? 8 : 5;
      k.cols = (i % 2 == 0) ? 4 : 3;
      k.dram_bytes_per_cycle = (i % 2 == 0) ? 4 : 32;
      k.dram_latency = (i % 4) * 15;
      k.double_buffered = i % 5 != 2;
      k.word_bits = (i % 3 == 2) ? 32 : 0;
      k.banks = (i % 3 == 2) ? 1 : 2;
      // Small buffers: inputs not resident, ws partial sums split into chunks of P.
      if (i % 3 == 1) k.buffer_bytes = 8192;
      cases.push_back({k, "workloads/test/tiny_cnn.json"});
      cases.push_back({k, workloads[1 + i % 3]});
      ++i;
    }
  // kcnn_bitplane designs: every plane option, multiplier-bound and adder-bound arrays,
  // integer activations with fixed-point scales.
  const nlohmann::json kcnn_options[] = {
      {{"planes", 2}},
      {{"planes", 3}, {"window_sum_sharing", true}, {"scale_format", "fp16"}},
      {{"planes", 2}, {"alphabet", "zero_one"}, {"offset", "per_kernel"}, {"zero_skip", true}},
      {{"planes", 2}, {"granularity", "filter3d"}},
      {{"planes", 4}, {"policy_1x1", "bitplanes"}},
      {{"planes", 2}, {"policy_1x1", "filter3d"}, {"alphabet", "zero_one"}},
      {{"planes", 3}, {"scale_format", "fixed"}, {"fixed_bits", 12}},
  };
  int j = 0;
  for (const auto& opts : kcnn_options) {
    ArchKnobs k;
    k.kcnn = opts;
    k.rows = j % 2 ? 4 : 3;
    k.cols = j % 3 ? 4 : 5;
    k.multipliers = j % 2 ? 3 : 64;                            // multiplier-bound or not
    k.adders = j % 3 ? k.rows * k.cols * 9 : k.rows * k.cols;  // one tree per PE, or shared
    k.format = (opts.contains("scale_format") && opts["scale_format"] == "fixed") ? "int8" : "fp32";
    k.dram_bytes_per_cycle = j % 2 ? 4 : 32;
    k.dram_latency = j * 7;
    k.double_buffered = j != 2;
    if (j == 4) k.buffer_bytes = 8192;
    cases.push_back({k, "workloads/test/tiny_cnn.json"});
    cases.push_back({k, workloads[1 + j % 3]});
    ++j;
  }
  // kq_codebook designs: decode path with integer, fp16 and LUT codebooks.
  const std::pair<nlohmann::json, const char*> kq_options[] = {
      {{{"codewords", 16}}, "int8"},
      {{{"codewords", 64}, {"codebook_bits", 4}}, "fp16"},
      {{{"codewords", 8}, {"codebook_quant", "lut"}}, "fp32"},
      {{{"codewords", 4}, {"datapath", "response_reuse"}, {"gather_adders", 5}}, "int8"},
      {{{"codewords", 8}, {"datapath", "response_reuse"}}, "fp16"},
  };
  int q = 0;
  for (const auto& [opts, fmt] : kq_options) {
    ArchKnobs k;
    k.kq = opts;
    k.format = fmt;
    k.rows = q == 1 ? 5 : 4;
    k.cols = q == 2 ? 3 : 4;
    k.dram_bytes_per_cycle = q == 0 ? 4 : 16;
    k.dram_latency = 10 * q;
    if (q == 1) k.buffer_bytes = 8192;
    cases.push_back({k, "workloads/test/tiny_cnn.json"});
    cases.push_back({k, workloads[1 + q % 3]});
    ++q;
  }
  return cases;
}

}  // namespace

TEST_CASE("cycle, fast and analytic models agree exactly on every counter", "[agreement]") {
  const std::string dir = kqtest::make_temp_dir("agreement");
  int n = 0;
  for (const Case& c : matrix()) {
    const std::string arch = kqtest::write_arch(dir, "a" + std::to_string(n++), c.knobs);
    const std::string wl = kqtest::source_path(c.workload);
    INFO("arch " << kqtest::read_text(arch) << "\nworkload " << c.workload);
    const auto cyc = kqtest::run_report({"--arch", arch, "--workload", wl, "--mode", "cycle"});
    const auto fast = kqtest::run_report({"--arch", arch, "--workload", wl, "--mode", "fast"});
    const auto ana = kqtest::run_report({"--arch", arch, "--workload", wl, "--mode", "analytic"});
    REQUIRE(cyc["layers"].size() == ana["layers"].size());
    for (size_t l = 0; l < cyc["layers"].size(); ++l) {
      INFO("layer " << cyc["layers"][l]["name"]);
      CHECK(kqtest::counters_of(cyc["layers"][l]) == kqtest::counters_of(ana["layers"][l]));
      // Fast mode is the same simulation with time skipped: the whole layer entry, values and
      // reference checks included, is identical.
      CHECK(cyc["layers"][l] == fast["layers"][l]);
    }
    CHECK(cyc["totals"] == fast["totals"]);
    CHECK(kqtest::counters_of(cyc["totals"]) == kqtest::counters_of(ana["totals"]));
  }
}

TEST_CASE("unit cycles add up to the layer's cycles in every mode", "[agreement]") {
  const std::string dir = kqtest::make_temp_dir("units");
  ArchKnobs k;
  k.dram_bytes_per_cycle = 2;  // DRAM-bound: stalls and idle cycles are both present
  const std::string arch = kqtest::write_arch(dir, "slow_dram", k);
  for (const char* mode : {"cycle", "fast", "analytic"}) {
    const auto r =
        kqtest::run_report({"--arch", arch, "--workload",
                            kqtest::source_path("workloads/test/tiny_cnn.json"), "--mode", mode});
    uint64_t stall = 0;
    for (const auto& l : r["layers"]) {
      const uint64_t cycles = l["cycles"];
      for (const char* u : {"array", "multiplier_array", "dram", "vector_unit"}) {
        const auto& uc = l["unit_cycles"][u];
        CHECK(uc["busy"].get<uint64_t>() + uc["stall"].get<uint64_t>() +
                  uc["idle"].get<uint64_t>() ==
              cycles);
      }
      stall += l["unit_cycles"]["array"]["stall"].get<uint64_t>();
    }
    CHECK(stall > 0);  // the slow DRAM must show up as array stalls
  }
}
