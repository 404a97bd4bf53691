#include "models/config/tech_table.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "models/common/input_error.hpp"

namespace {

const std::string kGeneric = std::string(KQSIM_SOURCE_DIR) + "/arch_configs/tech/generic_45nm.json";
const std::string kUser =
    std::string(KQSIM_SOURCE_DIR) + "/arch_configs/tech/example_user_table.json";

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

// Loads a modified copy of the generic table and returns the InputError it raises.
kq::InputError load_error(const nlohmann::json& j, uint32_t node_nm = 45) {
  try {
    kq::tech_table_from_text(j.dump(), "bad_tech.json", node_nm);
  } catch (const kq::InputError& e) {
    return e;
  }
  FAIL("expected an InputError");
  return kq::InputError("", "", "");
}

kq::BufferSpec buffer(uint64_t capacity_bytes, uint32_t word_bits, uint32_t banks = 1) {
  kq::BufferSpec b;
  b.capacity_bytes = capacity_bytes;
  b.word_bits = word_bits;
  b.banks = banks;
  return b;
}

}  // namespace

TEST_CASE("generic 45 nm table holds the published entries with citations", "[unit]") {
  const kq::TechTable t = kq::load_tech_table(kGeneric, 45);
  REQUIRE(t.table_node_nm == 45);
  REQUIRE(t.node_nm == 45);
  REQUIRE(t.vdd_v == 0.9);
  REQUIRE(t.area_factor == 1.0);
  REQUIRE(t.energy_factor == 1.0);
  // Horowitz ISSCC 2014 rows.
  REQUIRE(t.multiplier(kq::NumFormat::fp32).energy_pj == 3.7);
  REQUIRE(t.adder(kq::NumFormat::fp32).energy_pj == 0.9);
  REQUIRE(t.multiplier(kq::NumFormat::fp16).energy_pj == 1.1);
  REQUIRE(t.adder(kq::NumFormat::fp16).energy_pj == 0.4);
  REQUIRE(t.multiplier(kq::NumFormat::fp32).area_um2 == 7700);
  // bf16 is derived from fp16.
  REQUIRE(t.multiplier(kq::NumFormat::bf16).energy_pj ==
          t.multiplier(kq::NumFormat::fp16).energy_pj);
  REQUIRE(t.multiplier(kq::NumFormat::bf16).source.find("fp16") != std::string::npos);
  // Fixed-point entries are the QKeras fit evaluated at 8/16/32 bits.
  REQUIRE(t.adder(kq::NumFormat::int8).energy_pj == 0.025);
  REQUIRE(t.multiplier(kq::NumFormat::int8).energy_pj == Approx(0.200).margin(5e-4));
  REQUIRE(t.multiplier(kq::NumFormat::int32).energy_pj == Approx(3.100).margin(5e-4));
  for (kq::NumFormat f : kq::kAllFormats) {
    REQUIRE(!t.multiplier(f).source.empty());
    REQUIRE(!t.adder(f).source.empty());
  }
  REQUIRE(t.multiplier(kq::NumFormat::fp32).source.find("[unverified]") != std::string::npos);
  REQUIRE(!t.comparator.source.empty());
  REQUIRE(!t.register_bit.source.empty());
  REQUIRE(t.sram_points.size() == 7);
  for (const kq::SramPoint& p : t.sram_points) REQUIRE(!p.source.empty());
  REQUIRE(!t.fixed_buffers);
}

TEST_CASE("fixed-point fit reproduces the Horowitz/QKeras values", "[unit]") {
  const kq::TechTable t = kq::load_tech_table(kGeneric, 45);
  REQUIRE(t.fixed_point_mult_energy_pj(8, 8) == Approx(0.200).margin(5e-4));
  REQUIRE(t.fixed_point_mult_energy_pj(32, 32) == Approx(3.100).margin(5e-4));
  REQUIRE(t.fixed_point_mult_energy_pj(16, 16) == Approx(0.783).margin(5e-4));
  REQUIRE(t.fixed_point_add_energy_pj(8) == Approx(0.025));
  REQUIRE(t.fixed_point_add_energy_pj(32) == Approx(0.100));
  // Equal widths: the entries are the fit evaluated there.
  REQUIRE(t.fixed_point_mult_energy_pj(8, 8) ==
          Approx(t.multiplier(kq::NumFormat::int8).energy_pj).epsilon(1e-12));
  // Widths without an entry, and mixed widths (b² → a·b, b → (a+b)/2).
  REQUIRE(t.fixed_point_mult_energy_pj(6, 6) == Approx(0.002995 * 36 + 0.001042 * 6));
  REQUIRE(t.fixed_point_mult_energy_pj(4, 8) == Approx(0.002995 * 32 + 0.001042 * 6));
  REQUIRE(t.fixed_point_mult_energy_pj(4, 8) == t.fixed_point_mult_energy_pj(8, 4));
}

TEST_CASE("SRAM model is exact at the data points", "[unit]") {
  const kq::TechTable t = kq::load_tech_table(kGeneric, 45);
  struct Row {
    uint64_t cap;
    double read, write, area, leak;
  };
  // energy_reference.md §4 (CACTI-7 45 nm, 32-bit access).
  const Row rows[] = {{128, 0.68, 0.93, 1500, 250},      {512, 1.06, 2.34, 7600, 1030},
                      {1024, 1.13, 3.30, 8800, 1790},    {2048, 1.90, 3.64, 15100, 3230},
                      {4096, 3.43, 4.31, 30100, 7300},   {8192, 6.39, 5.56, 57500, 13700},
                      {16384, 9.98, 8.42, 109000, 27100}};
  for (const Row& r : rows) {
    const kq::SramCost c = t.sram_bank_cost(static_cast<double>(r.cap), 32);
    REQUIRE(c.read_pj == r.read);
    REQUIRE(c.write_pj == r.write);
    REQUIRE(c.area_um2 == r.area);
    REQUIRE(c.leakage_uw == r.leak);
    const kq::SramCost b = t.buffer_cost(kq::BufferId::ifmap, buffer(r.cap, 32));
    REQUIRE(b.read_pj == r.read);
    REQUIRE(b.area_um2 == r.area);
  }
}

TEST_CASE("SRAM model interpolates linearly in log2(capacity) and monotonically", "[unit]") {
  const kq::TechTable t = kq::load_tech_table(kGeneric, 45);
  // Half-way between 1 KB and 2 KB in log2 is 1024·√2 bytes: the plain average of the points.
  const kq::SramCost mid = t.sram_bank_cost(1024 * std::sqrt(2.0), 32);
  REQUIRE(mid.read_pj == Approx((1.13 + 1.90) / 2));
  REQUIRE(mid.write_pj == Approx((3.30 + 3.64) / 2));
  REQUIRE(mid.area_um2 == Approx((8800 + 15100) / 2.0));
  REQUIRE(mid.leakage_uw == Approx((1790 + 3230) / 2.0));
  // A quarter of the way from 8 KB to 16 KB.
  const kq::SramCost q = t.sram_bank_cost(8192 * std::pow(2.0, 0.25), 32);
  REQUIRE(q.read_pj == Approx(6.39 + 0.25 * (9.98 - 6.39)));

  kq::SramCost prev = t.sram_bank_cost(64, 32);
  for (double cap = 72; cap <= 65536; cap *= 1.09) {
    const kq::SramCost c = t.sram_bank_cost(cap, 32);
    REQUIRE(c.read_pj >= prev.read_pj);
    REQUIRE(c.write_pj >= prev.write_pj);
    REQUIRE(c.area_um2 >= prev.area_um2);
    REQUIRE(c.leakage_uw >= prev.leakage_uw);
    prev = c;
  }
}

TEST_CASE("SRAM model extrapolates along the end segments in log-log", "[unit]") {
  const kq::TechTable t = kq::load_tech_table(kGeneric, 45);
  // Past 16 KB: the 8→16 KB segment is a power law v ∝ c^s; one more doubling multiplies by
  // the same ratio again.
  const kq::SramCost big = t.sram_bank_cost(32768, 32);
  REQUIRE(big.read_pj == Approx(9.98 * 9.98 / 6.39));
  REQUIRE(big.area_um2 == Approx(109000.0 * 109000.0 / 57500.0));
  REQUIRE(big.leakage_uw == Approx(27100.0 * 27100.0 / 13700.0));
  // Below 128 B along the 128→512 B segment (a factor 4 in capacity): half a doubling down
  // from 128 is a quarter of that segment's log-ratio.
  const kq::SramCost small = t.sram_bank_cost(64, 32);
  REQUIRE(small.read_pj == Approx(0.68 / std::sqrt(1.06 / 0.68)));
  REQUIRE(small.area_um2 == Approx(1500 / std::sqrt(7600.0 / 1500.0)));
}

TEST_CASE("SRAM energy scales with word width, banks multiply area and leakage", "[unit]") {
  const kq::TechTable t = kq::load_tech_table(kGeneric, 45);
  const kq::SramCost w64 = t.buffer_cost(kq::BufferId::weight, buffer(8192, 64));
  REQUIRE(w64.read_pj == Approx(2 * 6.39));
  REQUIRE(w64.write_pj == Approx(2 * 5.56));
  REQUIRE(w64.area_um2 == 57500);  // area independent of word width
  const kq::SramCost w16 = t.buffer_cost(kq::BufferId::weight, buffer(8192, 16));
  REQUIRE(w16.read_pj == Approx(6.39 / 2));
  // 16 KB in 2 banks = 2 × an 8 KB bank; an access touches one bank.
  const kq::SramCost banked = t.buffer_cost(kq::BufferId::ofmap, buffer(16384, 32, 2));
  REQUIRE(banked.read_pj == 6.39);
  REQUIRE(banked.write_pj == 5.56);
  REQUIRE(banked.area_um2 == 2 * 57500);
  REQUIRE(banked.leakage_uw == 2 * 13700);
  // No buffer, no cost.
  const kq::SramCost none = t.buffer_cost(kq::BufferId::ofmap, buffer(0, 32));
  REQUIRE(none.read_pj == 0);
  REQUIRE(none.area_um2 == 0);
}

TEST_CASE("node scaling applies the Stillmaker & Baas factors", "[unit]") {
  const kq::TechTable base = kq::load_tech_table(kGeneric, 45);
  struct Node {
    uint32_t nm;
    double area, energy;
  };
  // energy_reference.md §5.
  for (const Node n : {Node{28, 0.38, 0.51}, Node{16, 0.19, 0.17}, Node{7, 0.059, 0.094}}) {
    CAPTURE(n.nm);
    const kq::TechTable t = kq::load_tech_table(kGeneric, n.nm);
    REQUIRE(t.node_nm == n.nm);
    REQUIRE(t.table_node_nm == 45);
    REQUIRE(t.area_factor == n.area);
    REQUIRE(t.energy_factor == n.energy);
    REQUIRE(t.multiplier(kq::NumFormat::fp32).energy_pj == Approx(3.7 * n.energy));
    REQUIRE(t.multiplier(kq::NumFormat::fp32).area_um2 == Approx(7700 * n.area));
    REQUIRE(t.adder(kq::NumFormat::int8).energy_pj == Approx(0.025 * n.energy));
    REQUIRE(t.comparator.leakage_uw == Approx(base.comparator.leakage_uw * n.energy));
    REQUIRE(t.register_bit.read_pj == Approx(base.register_bit.read_pj * n.energy));
    REQUIRE(t.register_bit.area_um2 == Approx(base.register_bit.area_um2 * n.area));
    const kq::SramCost c = t.sram_bank_cost(8192, 32);
    REQUIRE(c.read_pj == Approx(6.39 * n.energy));
    REQUIRE(c.write_pj == Approx(5.56 * n.energy));
    REQUIRE(c.area_um2 == Approx(57500 * n.area));
    REQUIRE(c.leakage_uw == Approx(13700 * n.energy));  // leakage follows the energy factor
    REQUIRE(t.fixed_point_mult_energy_pj(8, 8) ==
            Approx(base.fixed_point_mult_energy_pj(8, 8) * n.energy));
  }
  for (uint32_t nm : {40u, 32u, 22u}) REQUIRE_NOTHROW(kq::load_tech_table(kGeneric, nm));
}

TEST_CASE("user table with fixed buffer entries is used as is", "[unit]") {
  const kq::TechTable t = kq::load_tech_table(kUser, 45);
  REQUIRE(t.fixed_buffers);
  REQUIRE(t.sram_points.empty());
  // The entries, whatever the buffer's size, word width or banks.
  const kq::SramCost i = t.buffer_cost(kq::BufferId::ifmap, buffer(1000, 8, 4));
  REQUIRE(i.read_pj == 6.39);
  REQUIRE(i.write_pj == 5.56);
  REQUIRE(i.area_um2 == 57500);
  REQUIRE(i.leakage_uw == 13700);
  REQUIRE(t.buffer_cost(kq::BufferId::weight, buffer(1, 64)).read_pj == 9.98);
  REQUIRE(t.buffer_cost(kq::BufferId::ofmap, buffer(1, 64)).write_pj == 4.31);
  REQUIRE_THROWS_AS(t.sram_bank_cost(1024, 32), std::logic_error);
  // No /scaling: only its own node.
  try {
    kq::load_tech_table(kUser, 28);
    FAIL("expected an InputError");
  } catch (const kq::InputError& e) {
    REQUIRE(e.location() == "/scaling");
    REQUIRE(std::string(e.what()).find("28 nm") != std::string::npos);
  }
}

TEST_CASE("tech table errors name the file and the JSON pointer", "[unit]") {
  const nlohmann::json good = read_json(kGeneric);
  REQUIRE_NOTHROW(kq::tech_table_from_text(good.dump(), "good.json", 45));

  SECTION("unknown key") {
    nlohmann::json j = good;
    j["entries"]["mult_fp32"]["energy_pJ"] = 1.0;
    const kq::InputError e = load_error(j);
    REQUIRE(e.file() == "bad_tech.json");
    REQUIRE(e.location() == "/entries/mult_fp32/energy_pJ");
    REQUIRE(std::string(e.what()).find("unknown key") != std::string::npos);
  }
  SECTION("unknown top-level key") {
    nlohmann::json j = good;
    j["dram_pj_per_bit"] = 20;
    REQUIRE(load_error(j).location() == "/dram_pj_per_bit");
  }
  SECTION("missing key") {
    nlohmann::json j = good;
    j["entries"]["add_int8"].erase("area_um2");
    const kq::InputError e = load_error(j);
    REQUIRE(e.location() == "/entries/add_int8/area_um2");
    REQUIRE(std::string(e.what()).find("missing") != std::string::npos);
  }
  SECTION("missing entry") {
    nlohmann::json j = good;
    j["entries"].erase("comparator");
    REQUIRE(load_error(j).location() == "/entries/comparator");
  }
  SECTION("missing source") {
    nlohmann::json j = good;
    j["sram"]["points"][3].erase("source");
    REQUIRE(load_error(j).location() == "/sram/points/3/source");
    j["sram"]["points"][3]["source"] = "";
    REQUIRE(load_error(j).location() == "/sram/points/3/source");
  }
  SECTION("negative energy") {
    nlohmann::json j = good;
    j["entries"]["mult_fp32"]["energy_pj"] = -3.7;
    const kq::InputError e = load_error(j);
    REQUIRE(e.location() == "/entries/mult_fp32/energy_pj");
    REQUIRE(std::string(e.what()).find("/entries/mult_fp32/energy_pj") != std::string::npos);
  }
  SECTION("NaN string") {
    nlohmann::json j = good;
    j["sram"]["points"][2]["read_pj"] = "NaN";
    REQUIRE(load_error(j).location() == "/sram/points/2/read_pj");
  }
  SECTION("unsupported node") {
    const kq::InputError e = load_error(good, 10);
    REQUIRE(e.location() == "/scaling/factors");
    REQUIRE(std::string(e.what()).find("10 nm") != std::string::npos);
  }
  SECTION("non-increasing SRAM capacities") {
    nlohmann::json j = good;
    j["sram"]["points"][4]["capacity_bytes"] = 2048;
    REQUIRE(load_error(j).location() == "/sram/points/4/capacity_bytes");
  }
  SECTION("both SRAM modes, or neither") {
    nlohmann::json j = good;
    j["buffers"] = read_json(kUser)["buffers"];
    REQUIRE(load_error(j).location() == "/buffers");
    j.erase("buffers");
    j.erase("sram");
    REQUIRE(load_error(j).location() == "/sram");
  }
  SECTION("zero scaling factor and a non-unit own-node factor") {
    nlohmann::json j = good;
    j["scaling"]["factors"][3]["energy"] = 0;
    REQUIRE(load_error(j).location() == "/scaling/factors/3/energy");
    j = good;
    j["scaling"]["factors"][0]["area"] = 0.5;
    REQUIRE(load_error(j).location() == "/scaling/factors/0/area");
  }
  SECTION("missing file") {
    REQUIRE_THROWS_AS(kq::load_tech_table("/nonexistent/tech.json", 45), kq::InputError);
  }
}
