// Parity with SCALE-Sim v2 (docs/MODEL.md §SCALE-Sim parity): with ideal memory the array's
// compute cycles per layer equal SCALE-Sim's fold model. The expected figures are computed
// here from SCALE-Sim's equations, independently of kqsim's Schedule.
#include <catch2/catch.hpp>
#include <fstream>

#include "sim/process.hpp"
#include "sim/report_util.hpp"

namespace {

uint64_t ceil_div(uint64_t a, uint64_t b) {
  return (a + b - 1) / b;
}

struct ConvRow {
  uint64_t h, w, r, s, c, m, stride;
};

/// SCALE-Sim v2: E = ceil((H − R)/s) + 1; P = E·F, K = R·S·C, N = M; folds over the
/// stationary operand plane; per fold 2·Ar + Ac + T − 2 (ws, is) or Ar + Ac + T − 2 (os);
/// total = folds · per_fold − 1.
uint64_t scalesim_cycles(const ConvRow& l, uint64_t ar, uint64_t ac, const std::string& df) {
  const uint64_t e = ceil_div(l.h - l.r, l.stride) + 1, f = ceil_div(l.w - l.s, l.stride) + 1;
  const uint64_t p = e * f, k = l.r * l.s * l.c, n = l.m;
  uint64_t sr = k, sc = n, t = p;
  if (df == "os") sr = p, sc = n, t = k;
  if (df == "is") sr = k, sc = p, t = n;
  const uint64_t folds = ceil_div(sr, ar) * ceil_div(sc, ac);
  const uint64_t per_fold = df == "os" ? ar + ac + t - 2 : 2 * ar + ac + t - 2;
  return folds * per_fold - 1;
}

std::string write_topology(const std::string& dir, const std::vector<ConvRow>& rows) {
  const std::string path = dir + "/topology.csv";
  std::ofstream out(path);
  out << "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num "
         "Filter, Strides,\n";
  int i = 0;
  for (const auto& r : rows)
    out << "L" << i++ << ", " << r.h << ", " << r.w << ", " << r.r << ", " << r.s << ", " << r.c
        << ", " << r.m << ", " << r.stride << ",\n";
  return path;
}

}  // namespace

TEST_CASE("SCALE-Sim's worked example: 56x56 3x3 64->64 on a 32x32 array", "[scalesim]") {
  const std::string dir = kqtest::make_temp_dir("scalesim_example");
  const std::string topo = write_topology(dir, {{56, 56, 3, 3, 64, 64, 1}});
  kqtest::ArchKnobs k;
  k.rows = k.cols = 32;
  k.ideal_dram = true;
  k.buffer_bytes = 64ull << 20;
  for (const auto& [df, expected] :
       {std::pair<std::string, uint64_t>{"ws", 108359}, {"os", 117391}}) {
    k.dataflow = df;
    const auto r = kqtest::run_report(
        {"--arch", kqtest::write_arch(dir, "a_" + df, k), "--workload", topo, "--mode", "cycle"});
    const auto& l = r["layers"][0];
    CHECK(l["scalesim_cycles"].get<uint64_t>() == expected);
    // kqsim counts cycles; SCALE-Sim reports the index of the last one (count − 1).
    CHECK(l["cycles"].get<uint64_t>() == expected + 1);
    CHECK(l["unit_cycles"]["array"]["busy"].get<uint64_t>() == expected + 1);
    CHECK(l["unit_cycles"]["array"]["stall"].get<uint64_t>() == 0);
  }
}

TEST_CASE("array compute cycles equal SCALE-Sim's over layer lists, arrays and dataflows",
          "[scalesim]") {
  const std::string dir = kqtest::make_temp_dir("scalesim_parity");
  // Our own layer list: strided, 1x1, 7x7, odd sizes whose ceil rounding differs from floor,
  // rectangular filters and fewer channels than array rows.
  const std::vector<ConvRow> rows = {
      {230, 230, 7, 7, 3, 64, 2},  {58, 58, 3, 3, 64, 64, 1},   {56, 56, 1, 1, 64, 128, 2},
      {30, 30, 3, 3, 128, 128, 1}, {15, 15, 3, 3, 256, 256, 2}, {9, 9, 3, 3, 512, 512, 1},
      {7, 7, 1, 1, 512, 1000, 1},  {33, 17, 5, 3, 20, 7, 3},    {12, 40, 1, 9, 3, 33, 1}};
  const std::string topo = write_topology(dir, rows);
  for (const auto& [ar, ac] : {std::pair<int, int>{8, 8}, {16, 16}, {32, 32}, {16, 8}, {8, 24}}) {
    for (const char* df : {"ws", "os", "is"}) {
      kqtest::ArchKnobs k;
      k.rows = ar, k.cols = ac, k.dataflow = df, k.ideal_dram = true;
      k.buffer_bytes = 256ull << 20;
      const std::string arch =
          kqtest::write_arch(dir, std::to_string(ar) + "x" + std::to_string(ac) + df, k);
      const auto r = kqtest::run_report({"--arch", arch, "--workload", topo, "--mode", "fast"});
      REQUIRE(r["layers"].size() == rows.size());
      for (size_t i = 0; i < rows.size(); ++i) {
        INFO(ar << "x" << ac << " " << df << " layer " << i);
        const uint64_t expected = scalesim_cycles(rows[i], ar, ac, df);
        CHECK(r["layers"][i]["scalesim_cycles"].get<uint64_t>() == expected);
        CHECK(r["layers"][i]["unit_cycles"]["array"]["busy"].get<uint64_t>() == expected + 1);
        CHECK(r["layers"][i]["cycles"].get<uint64_t>() == expected + 1);
      }
    }
  }
}
