// The metric tables `kqsim regress` stores and compares: what a golden keeps of a report, its
// text round trip, and which differences count as changes.
#include <catch2/catch.hpp>

#include "models/common/input_error.hpp"
#include "models/regress/golden.hpp"
#include "models/regress/metric_diff.hpp"
#include "models/regress/regress_suite.hpp"

using nlohmann::json;
using namespace kq;

namespace {

json layer(const std::string& name, uint64_t cycles, double energy, json sqnr) {
  return {{"name", name},
          {"type", "conv2d"},
          {"folds", 4},
          {"cycles", cycles},
          {"latency_us", cycles / 500.0},
          {"multiplications", 100},
          {"multiplications_by_format", {{"fp32", 100}}},
          {"narrow_multiplications", 0},
          {"unit_cycles", {{"array", {{"busy", 7}, {"stall", 0}, {"idle", cycles - 7}}}}},
          {"energy_pj", energy},
          {"energy_breakdown_pj", {{"dram", energy / 2}, {"leakage", 0.0}}},
          {"area_um2", 1000.0},
          {"baseline_fp32", {{"cycles", 1}}},
          {"output_sqnr_db", sqnr},
          {"output_fnv1a64", "00000000000000ab"}};
}

json report() {
  json totals = layer("", 30, 3.5, nullptr);
  totals.erase("name");
  totals.erase("folds");
  totals.erase("output_sqnr_db");
  totals.erase("output_fnv1a64");
  totals["area_breakdown_um2"] = {{"multipliers", 600.0}, {"dram", 0.0}};
  return {
      {"totals", totals},
      {"layers", json::array({layer("conv1", 10, 1.25, 41.5), layer("conv2", 20, 2.25, nullptr)})}};
}

}  // namespace

TEST_CASE("a golden keeps the compared metrics of every row and nothing derived", "[regress]") {
  const GoldenTable t = golden_from_report(report());
  REQUIRE(t.rows.size() == 3);
  CHECK(t.rows[0].first == "(totals)");
  CHECK(t.rows[1].first == "conv1");
  CHECK(t.value("conv1", "cycles") == json(10));
  CHECK(t.value("conv1", "unit_cycles.array.idle") == json(3));
  CHECK(t.value("conv1", "output_fnv1a64") == json("00000000000000ab"));
  CHECK(t.value("(totals)", "area_breakdown_um2.multipliers") == json(600.0));
  // Derived figures, the baseline and per-layer copies of design-wide figures are left out.
  for (const char* k : {"latency_us", "multiplications", "baseline_fp32.cycles", "name", "type"})
    CHECK_FALSE(t.value("conv1", k).has_value());
  CHECK_FALSE(t.value("conv1", "area_um2").has_value());
  CHECK_FALSE(t.value("conv1", "energy_breakdown_pj.dram").has_value());
  CHECK(t.value("(totals)", "area_um2") == json(1000.0));
  CHECK(t.value("(totals)", "energy_breakdown_pj.dram") == json(1.75));
  // Zero everywhere: dropped. Null in one layer but a number in another: kept as null.
  CHECK_FALSE(t.value("conv1", "narrow_multiplications").has_value());
  CHECK_FALSE(t.value("(totals)", "area_breakdown_um2.dram").has_value());
  CHECK(t.value("conv2", "output_sqnr_db") == json(nullptr));
}

TEST_CASE("a golden file reads back as the table it was written from", "[regress]") {
  GoldenFile g{{{"name", "c"}, {"mode", "fast"}}, golden_from_report(report())};
  const std::string text = golden_to_text(g);
  const GoldenFile back = golden_from_text(text, "c.json");
  CHECK(back.case_spec == g.case_spec);
  CHECK(diff_tables("c", g.table, back.table, 0.0).empty());
  CHECK(golden_to_text(back) == text);
  // One line per layer, floats stay floats even when integral.
  CHECK(text.find("\"conv1\": [") != std::string::npos);
  CHECK(back.table.value("(totals)", "area_um2")->is_number_float());
}

TEST_CASE("corrupt golden files are input errors naming the place", "[regress]") {
  const std::string good = golden_to_text({{{"name", "c"}}, golden_from_report(report())});
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(golden_from_text("{", "g.json"), Contains("g.json") && Contains("malformed"));
  CHECK_THROWS_WITH(golden_from_text("{\"case\": {}}", "g.json"), Contains("/totals"));
  std::string bad = good;
  bad.replace(bad.find("\"conv1\": ["), 10, "\"conv1\": [1, ");
  CHECK_THROWS_WITH(golden_from_text(bad, "g.json"), Contains("/layers/conv1"));
  CHECK_THROWS_AS(golden_from_text(good.substr(0, good.size() / 2), "g.json"), InputError);
}

TEST_CASE("counters must match exactly, floats within the tolerance", "[regress]") {
  const GoldenTable golden = golden_from_report(report());
  CHECK(diff_tables("c", golden, golden, 1e-9).empty());

  json r = report();
  r["layers"][0]["cycles"] = 11;  // one cycle more
  auto d = diff_tables("c", golden, golden_from_report(r), 1e-9);
  REQUIRE(d.size() == 1);
  CHECK(d[0].row == "conv1");
  CHECK(d[0].metric == "cycles");
  CHECK(d[0].golden == 10);
  CHECK(d[0].now == 11);
  CHECK(format_changes(d).find("+10%") != std::string::npos);

  r = report();
  r["layers"][1]["energy_pj"] = 2.25 * (1 + 1e-10);  // inside 1e-9
  CHECK(diff_tables("c", golden, golden_from_report(r), 1e-9).empty());
  r["layers"][1]["energy_pj"] = 2.25 * (1 + 1e-8);  // outside
  CHECK(diff_tables("c", golden, golden_from_report(r), 1e-9).size() == 1);

  r = report();
  r["layers"][1]["output_sqnr_db"] = 0.0;  // "identical outputs" became 0 dB
  CHECK(diff_tables("c", golden, golden_from_report(r), 1e-9).size() == 1);
  r = report();
  r["layers"][0]["output_fnv1a64"] = "00000000000000ac";  // one output bit moved
  CHECK(diff_tables("c", golden, golden_from_report(r), 1.0).size() == 1);
  r = report();
  r["layers"][0]["narrow_multiplications"] = 3;  // a counter that was 0 everywhere
  d = diff_tables("c", golden, golden_from_report(r), 1e-9);
  REQUIRE(d.size() == 1);
  CHECK(d[0].golden == 0);
  CHECK(format_changes(d).find("new") != std::string::npos);

  r = report();
  r["layers"].erase(1);
  d = diff_tables("c", golden, golden_from_report(r), 1e-9);
  CHECK(std::any_of(d.begin(), d.end(), [](const MetricChange& m) {
    return m.row == "conv2" && m.metric == "(layer)";
  }));
}

TEST_CASE("the change table lists case, row, metric, golden, now and the relative change",
          "[regress]") {
  const std::string t = format_changes(
      {{"fp32_ws_fast", "conv1", "cycles", 2070, 2077}, {"c", "(totals)", "energy_pj", 2.0, 1.0}});
  CHECK(t.find("case") == 0);
  CHECK(t.find("\u0394%") != std::string::npos);
  CHECK(t.find("fp32_ws_fast") != std::string::npos);
  CHECK(t.find("+0.3382%") != std::string::npos);
  CHECK(t.find("-50%") != std::string::npos);
}

TEST_CASE("a case turns into the kqsim run command line", "[regress]") {
  RegressCase c;
  c.name = "x";
  c.arch = "arch/a.json";
  c.workload = "/abs/w.json";
  c.mode = "cycle";
  c.seed = 3;
  auto a = c.run_args("/suite");
  CHECK(a == std::vector<std::string>{"run", "--arch", "/suite/arch/a.json", "--workload",
                                      "/abs/w.json", "--mode", "cycle", "--seed", "3"});
  c.stress.backpressure_max_cycles = 4;
  a = c.run_args("/suite");
  CHECK(std::find(a.begin(), a.end(), "--backpressure") != a.end());
  CHECK(c.spec()["stress"]["backpressure_max_cycles"] == 4);
}
