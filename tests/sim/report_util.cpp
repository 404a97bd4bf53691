#include "sim/report_util.hpp"

#include <catch2/catch.hpp>
#include <fstream>

#include "sim/process.hpp"

namespace kqtest {

nlohmann::json run_report(const std::vector<std::string>& args) {
  const std::string out = make_temp_dir("report") + "/out";
  std::vector<std::string> a{"run"};
  a.insert(a.end(), args.begin(), args.end());
  a.push_back("--out");
  a.push_back(out);
  a.push_back("-q");
  const ProcessResult r = run_kqsim(a);
  INFO("kqsim stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(read_text(out + "/report.json"));
}

std::string write_arch(const std::string& dir, const std::string& name, const ArchKnobs& k) {
  const bool integer = k.format == "int8";
  const bool kcnn = !k.kcnn.is_null();
  const bool kq = !k.kq.is_null();
  const std::string acc = integer ? "int32" : "fp32";
  const int act_bits = k.format == "fp32" ? 32 : k.format == "int8" ? 8 : 16;
  const int wide = std::max(k.rows, k.cols) * 32;  // one full row/column of fp32/int32 per cycle
  const int wb = k.word_bits ? k.word_bits : wide;
  auto buffer = [&](int element_bits) {
    int w = wb;
    while (w % element_bits) ++w;
    return nlohmann::json{{"capacity_bytes", k.buffer_bytes},
                          {"word_bits", w},
                          {"banks", k.banks},
                          {"read_ports", 1},
                          {"write_ports", 1},
                          {"double_buffered", k.double_buffered}};
  };
  nlohmann::json j = {
      {"name", name},
      {"datapath", kcnn ? "kcnn_bitplane"
                   : kq ? "kq_codebook"
                        : "mac_array"},
      {"clock_mhz", 400},
      {"formats", {{"activation", k.format}, {"weight", k.format}, {"accumulator", acc}}},
      {"array",
       {{"rows", k.rows},
        {"cols", k.cols},
        {"dataflow", k.dataflow},
        {"multipliers",
         {{"count", kcnn ? k.multipliers : k.rows * k.cols},
          {"format", kcnn && integer ? "int32" : k.format}}},
        {"adders", {{"count", kcnn ? k.adders : k.rows * k.cols}, {"format", acc}}}}},
      {"vector_unit", {{"lanes", 4}}},
      {"dram",
       {{"ideal", k.ideal_dram},
        {"bandwidth_bytes_per_cycle", k.dram_bytes_per_cycle},
        {"latency_cycles", k.dram_latency},
        {"energy_pj_per_bit", 20.3125},
        {"energy_source", "test value"}}},
      {"buffers",
       {{"ifmap", buffer(act_bits)},
        {"weight", buffer(act_bits)},
        {"ofmap", buffer(integer ? 32 : 32)}}},
      {"tech",
       {{"table", std::string(KQSIM_SOURCE_DIR) + "/arch_configs/tech/generic_45nm.json"},
        {"node_nm", 45}}}};
  if (kcnn) {
    j["kcnn"] = k.kcnn;
    j["buffers"]["scale"] = buffer(8);
  }
  if (kq) {
    j["kq"] = k.kq;
    j["buffers"]["codebook"] = buffer(8);
  }
  const std::string path = dir + "/" + name + ".json";
  std::ofstream(path) << j.dump(2);
  return path;
}

nlohmann::json counters_of(const nlohmann::json& e) {
  nlohmann::json c;
  for (const char* k :
       {"cycles", "multiplications", "additions", "comparisons", "multiplications_by_format",
        "additions_by_format", "dram_read_bytes", "dram_write_bytes", "buffer_accesses",
        "register_read_bits", "register_write_bits", "unit_cycles"})
    c[k] = e.at(k);
  return c;
}

}  // namespace kqtest
