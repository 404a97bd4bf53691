// Sweep specs: what a valid spec means (values, ranges, tied pointers, derived fields,
// sampling) and that bad specs are refused with the file and JSON pointer of the problem.
#include "models/sweep/sweep_spec.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "models/common/input_error.hpp"
#include "models/config/arch_config.hpp"
#include "models/sweep/design_space.hpp"

namespace {

using nlohmann::json;

const std::string kRoot = KQSIM_SOURCE_DIR;

/// A spec in the source tree's folder, so relative paths resolve as in a shipped spec.
json base_spec() {
  return {
      {"name", "unit"},
      {"base", "arch_configs/baseline_fp32_16x16.json"},
      {"workloads", {"workloads/test/tiny_cnn.json"}},
      {"axes",
       {{{"name", "array"}, {"pointers", {"/array/rows", "/array/cols"}}, {"values", {4, 8}}},
        {{"name", "bw"},
         {"pointer", "/dram/bandwidth_bytes_per_cycle"},
         {"range", {{"from", 4}, {"to", 16}, {"factor", 2}}}}}},
      {"derived",
       {{{"pointer", "/array/multipliers/count"}, {"product_of", {"/array/rows", "/array/cols"}}},
        {{"pointer", "/array/adders/count"}, {"product_of", {"/array/rows", "/array/cols"}}}}}};
}

kq::SweepSpec parse(const json& j) {
  return kq::sweep_spec_from_text(j.dump(), kRoot + "/spec.json");
}

/// The InputError location a spec is refused at (fails the test if it is accepted).
std::string refused_at(const json& j) {
  try {
    parse(j);
  } catch (const kq::InputError& e) {
    return e.location();
  }
  FAIL("spec accepted: " << j.dump());
  return "";
}

}  // namespace

TEST_CASE("sweep spec: values, ranges and paths", "[unit][sweep]") {
  const kq::SweepSpec s = parse(base_spec());
  CHECK(s.name == "unit");
  CHECK(s.base_path == kRoot + "/arch_configs/baseline_fp32_16x16.json");
  REQUIRE(s.workloads.size() == 1);
  CHECK(s.workloads[0].path == kRoot + "/workloads/test/tiny_cnn.json");
  REQUIRE(s.axes.size() == 2);
  CHECK(s.axes[0].pointers.size() == 2);
  CHECK(s.axes[1].values == std::vector<json>{4u, 8u, 16u});
  CHECK(s.axes[1].values[0].is_number_unsigned());  // what the strict arch reader accepts
  CHECK(kq::grid_size(s) == 6);
  CHECK(s.fit_quantizers);
  CHECK(s.seed == 1);

  json j = base_spec();
  j["axes"][1]["range"] = {{"from", 10}, {"to", 31}, {"step", 7}};
  CHECK(parse(j).axes[1].values == std::vector<json>{10u, 17u, 24u, 31u});
  j["axes"][1]["range"] = {{"from", 0.5}, {"to", 1.0}, {"step", 0.25}};
  CHECK(parse(j).axes[1].values == std::vector<json>{0.5, 0.75, 1.0});
  j["axes"][1]["range"] = {{"from", 1.5}, {"to", 12.0}, {"factor", 2}};
  CHECK(parse(j).axes[1].values == std::vector<json>{1.5, 3.0, 6.0, 12.0});
}

TEST_CASE("sweep spec: every malformed part is refused at its JSON pointer", "[unit][sweep]") {
  auto with = [](const std::function<void(json&)>& edit) {
    json j = base_spec();
    edit(j);
    return j;
  };
  CHECK(refused_at(with([](json& j) { j["axis"] = json::array(); })) == "/axis");
  CHECK(refused_at(with([](json& j) { j.erase("axes"); })) == "/axes");
  CHECK(refused_at(with([](json& j) { j["axes"] = json::array(); })) == "/axes");
  CHECK(refused_at(with([](json& j) { j["seed"] = "one"; })) == "/seed");
  CHECK(refused_at(with([](json& j) { j["name"] = "a b"; })) == "/name");
  CHECK(refused_at(with([](json& j) { j["axes"][0]["valeus"] = {1}; })) == "/axes/0/valeus");
  CHECK(refused_at(with([](json& j) { j["axes"][0]["pointers"][1] = "array/cols"; })) ==
        "/axes/0/pointers/1");
  CHECK(refused_at(with([](json& j) { j["axes"][1]["pointer"] = "/dram/bandwith"; })) ==
        "/axes/1/pointer");
  CHECK(refused_at(with([](json& j) { j["axes"][1]["pointer"] = "/dram/~2"; })) ==
        "/axes/1/pointer");
  CHECK(refused_at(with([](json& j) { j["axes"][0]["pointer"] = "/array/rows"; })) == "/axes/0");
  CHECK(refused_at(with([](json& j) { j["axes"][0]["values"] = json::array(); })) ==
        "/axes/0/values");
  CHECK(refused_at(with([](json& j) { j["axes"][0]["values"] = {4, 4}; })) == "/axes/0/values");
  CHECK(refused_at(with([](json& j) { j["axes"][1]["name"] = "array"; })) == "/axes/1/name");
  CHECK(refused_at(with([](json& j) { j["axes"][1]["name"] = "energy_mj"; })) == "/axes/1/name");
  CHECK(refused_at(with([](json& j) { j["axes"][1]["pointer"] = "/array/rows"; })) == "/axes/1");
  CHECK(refused_at(with([](json& j) {
          j["axes"][1]["range"] = {{"from", 4}, {"to", 16}, {"step", 0}};
        })) == "/axes/1/range/step");
  CHECK(refused_at(with([](json& j) {
          j["axes"][1]["range"] = {{"from", 16}, {"to", 4}, {"step", 2}};
        })) == "/axes/1/range/to");
  CHECK(refused_at(with([](json& j) {
          j["axes"][1]["range"] = {{"from", 4}, {"to", 16}, {"step", 2}, {"factor", 2}};
        })) == "/axes/1/range");
  CHECK(refused_at(with([](json& j) {
          j["axes"][1]["range"] = {{"from", 1}, {"to", 2000000}, {"step", 1}};
        })) == "/axes/1/range");
  CHECK(refused_at(with([](json& j) {
          j["constraints"] = {{"speed", {{"max", 1}}}};
        })) == "/constraints/speed");
  CHECK(refused_at(with([](json& j) {
          j["constraints"] = {{"area_mm2", {{"min", 5}, {"max", 1}}}};
        })) == "/constraints/area_mm2/max");
  CHECK(refused_at(with([](json& j) {
          j["constraints"] = {{"area_mm2", json::object()}};
        })) == "/constraints/area_mm2");
  CHECK(refused_at(with([](json& j) { j["sampling"] = {{"mode", "sobol"}}; })) == "/sampling/mode");
  CHECK(refused_at(with([](json& j) {
          j["sampling"] = {{"mode", "random"}, {"points", 0}};
        })) == "/sampling/points");
  CHECK(refused_at(with([](json& j) { j["derived"][0]["pointer"] = "/array/rows"; })) ==
        "/derived/0/pointer");
  CHECK(refused_at(with([](json& j) { j["derived"][1]["product_of"] = json::array(); })) ==
        "/derived/1/product_of");
  CHECK(refused_at(with([](json& j) {
          json a = j["axes"][1];
          a["values"] = json::array();
          for (int i = 0; i < 5000; ++i) a["values"].push_back(i + 1);
          a.erase("range");
          for (int k = 0; k < 4; ++k) {
            a["name"] = "axis" + std::to_string(k);
            a["pointer"] = std::string("/buffers/") +
                           (k == 0   ? "ifmap"
                            : k == 1 ? "weight"
                            : k == 2 ? "ofmap"
                                     : "ifmap") +
                           (k == 3 ? "/banks" : "/capacity_bytes");
            j["axes"].push_back(a);
          }
        })) == "/axes");  // a grid beyond kMaxSweepPoints: sample it instead
  // A missing base design or workload is the spec's error, at the key naming it.
  CHECK(refused_at(with([](json& j) { j["base"] = "arch_configs/nope.json"; })) == "/base");
  CHECK(refused_at(with([](json& j) { j["workloads"][0] = "workloads/nope.json"; })) ==
        "/workloads/0");
}

TEST_CASE("design space: grid order, patched designs and derived fields", "[unit][sweep]") {
  const kq::SweepSpec s = parse(base_spec());
  const kq::DesignSpace space(s);
  REQUIRE(space.points() == 6);
  std::vector<uint32_t> c;
  space.coordinates(0, c);
  CHECK(c == std::vector<uint32_t>{0, 0});
  space.coordinates(4, c);  // the last axis varies fastest
  CHECK(c == std::vector<uint32_t>{1, 1});
  const json d = space.design(4);
  CHECK(d["array"]["rows"] == 8);
  CHECK(d["array"]["cols"] == 8);
  CHECK(d["dram"]["bandwidth_bytes_per_cycle"] == 8);
  CHECK(d["array"]["multipliers"]["count"] == 64);
  CHECK(d["array"]["adders"]["count"] == 64);
  // The patched design is a valid architecture for the strict reader.
  const kq::ArchConfig a = kq::arch_config_from_json(d, s.base_path);
  CHECK(a.array.rows == 8);
  CHECK(a.array.multipliers == 64);
  CHECK(a.dram.bandwidth_bytes_per_cycle == 8);
}

TEST_CASE("design space: seeded random samples are distinct, sorted and reproducible",
          "[unit][sweep]") {
  json j = base_spec();
  j["axes"][0]["values"] = json::array();
  for (int i = 1; i <= 30; ++i) j["axes"][0]["values"].push_back(i);
  j["axes"][1]["range"] = {{"from", 1}, {"to", 40}, {"step", 1}};  // 1200-point grid
  j["sampling"] = {{"mode", "random"}, {"points", 100}, {"seed", 9}};
  const kq::SweepSpec s = parse(j);
  const kq::DesignSpace a(s), b(s);
  REQUIRE(a.points() == 100);
  std::set<std::vector<uint32_t>> seen;
  std::vector<uint32_t> prev, c, d;
  for (uint64_t p = 0; p < a.points(); ++p) {
    a.coordinates(p, c);
    b.coordinates(p, d);
    CHECK(c == d);
    CHECK(seen.insert(c).second);
    if (p) CHECK(prev < c);
    prev = c;
  }
  j["sampling"]["seed"] = 10;
  const kq::SweepSpec s2 = parse(j);
  const kq::DesignSpace other(s2);
  bool differs = false;
  for (uint64_t p = 0; p < 100 && !differs; ++p) {
    a.coordinates(p, c);
    other.coordinates(p, d);
    differs = c != d;
  }
  CHECK(differs);
  // Asking for more points than the grid has gives the grid.
  j["sampling"]["points"] = 5000;
  const kq::SweepSpec s3 = parse(j);
  CHECK(kq::DesignSpace(s3).points() == 1200);
}

TEST_CASE("design space: a derived factor that is not an integer makes the point invalid",
          "[unit][sweep]") {
  json j = base_spec();
  j["axes"][0]["values"] = {4, "wide"};
  const kq::SweepSpec s = parse(j);
  const kq::DesignSpace space(s);
  CHECK_NOTHROW(space.design(0));
  try {
    space.design(3);
    FAIL("accepted");
  } catch (const kq::InputError& e) {
    CHECK(e.location() == "/derived/0");
  }
}
