// `kqsim regress` end to end: the shipped suite matches its goldens; a deliberate one-cycle
// change to the MAC array model (test hook KQSIM_TEST_FAULT=array_extra_cycle) makes it fail
// with a table that shows exactly what moved; and the --update workflow on a scratch suite.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sim/process.hpp"

using nlohmann::json;

namespace {

const std::string kSuite = kqtest::source_path("tests/golden");

/// The change-table line of (case, row, metric): {golden, now}, or {-1, -1} if absent.
std::pair<long long, long long> change(const std::string& out, const std::string& c,
                                       const std::string& row, const std::string& metric) {
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string a, b, m;
    long long g = -1, n = -1;
    if (f >> a >> b >> m >> g >> n && a == c && b == row && m == metric) return {g, n};
  }
  return {-1, -1};
}

std::string write_suite(const std::string& dir, const json& cases) {
  std::ofstream(dir + "/suite.json") << json{{"rel_tol", 1e-9}, {"cases", cases}}.dump(2);
  return dir;
}

json case_of(const std::string& name, const std::string& arch, const std::string& mode) {
  return {{"name", name},
          {"arch", kqtest::source_path("tests/golden/arch/" + arch + ".json")},
          {"workload", kqtest::source_path("workloads/test/tiny_cnn.json")},
          {"mode", mode}};
}

void edit_json(const std::string& path, const std::function<void(json&)>& f) {
  json j = json::parse(kqtest::read_text(path));
  f(j);
  std::ofstream(path) << j.dump(1);
}

}  // namespace

TEST_CASE("a one-cycle change to the MAC array model fails regress with a clear diff",
          "[regress]") {
  const auto r = kqtest::run_kqsim({"regress", "--suite", kSuite, "--jobs", "2"},
                                   {{"KQSIM_TEST_FAULT", "array_extra_cycle"}});
  INFO(r.out.substr(0, 4000) << r.err);
  CHECK(r.exit_code == 1);
  // The header: case, row, metric, golden, now, Δ% in that order on one line.
  const std::string header = r.out.substr(r.out.find("\ncase ") + 1);
  const std::string line = header.substr(0, header.find('\n'));
  size_t at = 0;
  for (const char* col : {"case", "row", "metric", "golden", "now", "\u0394%"}) {
    at = line.find(col, at);
    CHECK(at != std::string::npos);
  }
  // Every MAC-array job is one cycle longer: the array's busy cycles grow by exactly the
  // number of array folds, which the golden records layer by layer.
  const json g = json::parse(kqtest::read_text(kSuite + "/fp32_ws_fast.json"));
  const auto& cols = g["layer_columns"];
  const size_t folds_col =
      static_cast<size_t>(std::find(cols.begin(), cols.end(), "folds") - cols.begin());
  for (const char* l : {"conv1", "conv2", "dwconv", "fc"}) {
    INFO(l);
    const long long folds = g["layers"][l][folds_col].get<long long>();
    const auto busy = change(r.out, "fp32_ws_fast", l, "unit_cycles.array.busy");
    CHECK(busy.second - busy.first == folds);
    const auto cycles = change(r.out, "fp32_ws_fast", l, "cycles");
    CHECK(cycles.second > cycles.first);
  }
  // Vector layers and the analytic model (not the perturbed model) do not move.
  CHECK(change(r.out, "fp32_ws_fast", "relu1", "cycles").first == -1);
  CHECK(r.out.find("fp32_ws_analytic") == std::string::npos);
  CHECK(r.out.find("kq_reuse_analytic") == std::string::npos);
  CHECK(r.out.find("failed to run") != std::string::npos);
}

TEST_CASE("regress --update writes goldens that the next regress matches", "[regress]") {
  const std::string dir = kqtest::make_temp_dir("regress");
  write_suite(dir, json::array({case_of("a", "fp32_os", "fast"), case_of("b", "kq_reuse", "cycle"),
                                case_of("c", "int8_ws", "analytic")}));
  // No goldens yet.
  auto r = kqtest::run_kqsim({"regress", "--suite", dir});
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("FAILED a: no golden") != std::string::npos);

  r = kqtest::run_kqsim({"regress", "--suite", dir, "--update"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  for (const char* c : {"a", "b", "c"}) {
    CHECK(std::filesystem::exists(dir + "/" + c + ".json"));
    CHECK(std::filesystem::file_size(dir + "/" + c + ".json") < 10000);
  }
  r = kqtest::run_kqsim({"regress", "--suite", dir});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("all goldens match") != std::string::npos);

  // --update under a model change shows the same table and rewrites; then it matches again.
  r = kqtest::run_kqsim({"regress", "--suite", dir, "--update"},
                        {{"KQSIM_TEST_FAULT", "array_extra_cycle"}});
  CHECK(r.exit_code == 0);
  CHECK(change(r.out, "a", "conv1", "unit_cycles.array.busy").first > 0);
  r = kqtest::run_kqsim({"regress", "--suite", dir}, {{"KQSIM_TEST_FAULT", "array_extra_cycle"}});
  CHECK(r.exit_code == 0);
  r = kqtest::run_kqsim({"regress", "--suite", dir});
  CHECK(r.exit_code == 1);
}

TEST_CASE("regress flags edited goldens exactly and honours the float tolerance", "[regress]") {
  const std::string dir = kqtest::make_temp_dir("regress_edit");
  write_suite(dir, json::array({case_of("a", "fp32_ws", "fast")}));
  REQUIRE(kqtest::run_kqsim({"regress", "--suite", dir, "--update"}).exit_code == 0);
  const std::string golden = dir + "/a.json";
  const std::string pristine = kqtest::read_text(golden);

  edit_json(golden,
            [](json& j) { j["totals"]["cycles"] = j["totals"]["cycles"].get<long long>() - 1; });
  auto r = kqtest::run_kqsim({"regress", "--suite", dir});
  CHECK(r.exit_code == 1);
  const auto c = change(r.out, "a", "(totals)", "cycles");
  CHECK(c.second - c.first == 1);
  CHECK(r.out.find("1 of 1 cases changed (1 metrics)") != std::string::npos);

  std::ofstream(golden) << pristine;
  edit_json(golden, [](json& j) {
    j["totals"]["energy_pj"] = j["totals"]["energy_pj"].get<double>() * (1 + 1e-11);
  });
  CHECK(kqtest::run_kqsim({"regress", "--suite", dir}).exit_code == 0);
  edit_json(golden, [](json& j) {
    j["totals"]["energy_pj"] = j["totals"]["energy_pj"].get<double>() * (1 + 1e-6);
  });
  r = kqtest::run_kqsim({"regress", "--suite", dir});
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("energy_pj") != std::string::npos);

  std::ofstream(golden) << pristine;
  edit_json(golden, [](json& j) { j["case"]["mode"] = "cycle"; });
  r = kqtest::run_kqsim({"regress", "--suite", dir});
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("(definition)") != std::string::npos);

  std::ofstream(golden) << "{\"case\": ";
  r = kqtest::run_kqsim({"regress", "--suite", dir});
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("FAILED a: unreadable golden") != std::string::npos);
}

TEST_CASE("a case that cannot run fails regress; a bad suite is an input error", "[regress]") {
  const std::string dir = kqtest::make_temp_dir("regress_bad");
  json bad = case_of("a", "fp32_ws", "fast");
  bad["arch"] = dir + "/absent.json";
  write_suite(dir, json::array({bad}));
  auto r = kqtest::run_kqsim({"regress", "--suite", dir, "--update"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("FAILED a: kqsim run exited with code 2") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir + "/a.json"));

  for (const json& cases :
       {json::array(), json::array({case_of("x", "fp32_ws", "warp")}),
        json::array({case_of("../x", "fp32_ws", "fast")}),
        json::array({case_of("x", "fp32_ws", "fast"), case_of("x", "fp32_ws", "fast")})}) {
    write_suite(dir, cases);
    r = kqtest::run_kqsim({"regress", "--suite", dir});
    INFO(cases.dump() << "\n" << r.err);
    CHECK(r.exit_code == 2);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.err.find("suite.json") != std::string::npos);
  }
  r = kqtest::run_kqsim({"regress", "--suite", dir + "/nowhere"});
  CHECK(r.exit_code == 2);
}
