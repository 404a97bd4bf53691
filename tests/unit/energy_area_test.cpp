#include <catch2/catch.hpp>
#include <string>

#include "models/config/tech_table.hpp"
#include "models/cost/area_model.hpp"
#include "models/cost/energy_model.hpp"

namespace {

const std::string kGeneric = std::string(KQSIM_SOURCE_DIR) + "/arch_configs/tech/generic_45nm.json";
const std::string kUser =
    std::string(KQSIM_SOURCE_DIR) + "/arch_configs/tech/example_user_table.json";

// A 4×4 fp32 array at 500 MHz; built by hand because the arch loader is not part of this test.
kq::ArchConfig small_arch() {
  kq::ArchConfig a;
  a.name = "test_4x4";
  a.clock_mhz = 500;
  a.activation_format = kq::NumFormat::fp32;
  a.weight_format = kq::NumFormat::fp32;
  a.accumulator_format = kq::NumFormat::fp32;
  a.array.rows = 4;
  a.array.cols = 4;
  a.array.multipliers = 16;
  a.array.multiplier_format = kq::NumFormat::fp32;
  a.array.adders = 16;
  a.array.adder_format = kq::NumFormat::fp32;
  a.vector.lanes = 4;
  a.dram.energy_pj_per_bit = 20;
  a.buffers[0].capacity_bytes = 8192;  // ifmap: a data point, 32-bit words
  a.buffers[0].word_bits = 32;
  a.buffers[1].capacity_bytes = 16384;  // weight: 2 banks of 8 KB, 64-bit words
  a.buffers[1].word_bits = 64;
  a.buffers[1].banks = 2;
  a.buffers[2].capacity_bytes = 2048;  // ofmap: a data point, 16-bit words
  a.buffers[2].word_bits = 16;
  return a;
}

kq::ActionCounts small_counts() {
  kq::ActionCounts c;
  c.cycles = 1000;
  c.multiplications[static_cast<int>(kq::NumFormat::fp32)] = 100;
  c.multiplications[static_cast<int>(kq::NumFormat::int8)] = 10;
  c.additions[static_cast<int>(kq::NumFormat::fp32)] = 90;
  c.additions[static_cast<int>(kq::NumFormat::int32)] = 5;
  c.comparisons = 7;
  c.register_read_bits = 320;
  c.register_write_bits = 160;
  c.buffers[0].read_words = 40;
  c.buffers[0].write_words = 20;
  c.buffers[1].read_words = 30;
  c.buffers[1].write_words = 10;
  c.buffers[2].read_words = 12;
  c.buffers[2].write_words = 16;
  c.dram_read_bytes = 256;
  c.dram_write_bytes = 64;
  return c;
}

double component(const std::vector<kq::CostItem>& items, const std::string& name) {
  for (const kq::CostItem& i : items)
    if (i.component == name) return i.value;
  FAIL("no component " << name);
  return 0;
}

}  // namespace

TEST_CASE("energy components come in the fixed order", "[unit]") {
  const kq::TechTable t = kq::load_tech_table(kGeneric, 45);
  const kq::EnergyBreakdown e = kq::compute_energy(kq::ActionCounts{}, small_arch(), t);
  const kq::AreaBreakdown a = kq::compute_area(small_arch(), t);
  const std::vector<std::string> order = {"multipliers",  "adders",       "comparators",
                                          "registers",    "buffer_ifmap", "buffer_weight",
                                          "buffer_ofmap", "buffer_scale", "buffer_codebook",
                                          "dram",         "leakage"};
  REQUIRE(e.components.size() == order.size());
  REQUIRE(a.components.size() == order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    REQUIRE(e.components[i].component == order[i]);
    REQUIRE(a.components[i].component == order[i]);
    REQUIRE(e.components[i].value == 0);  // no actions, no cycles
  }
  REQUIRE(e.total_pj == 0);
  REQUIRE(component(a.components, "dram") == 0);
  REQUIRE(component(a.components, "leakage") == 0);
}

TEST_CASE("energy is the hand-computed sum of counts × entries", "[unit]") {
  const kq::TechTable t = kq::load_tech_table(kGeneric, 45);
  const kq::EnergyBreakdown e = kq::compute_energy(small_counts(), small_arch(), t);
  // generic_45nm.json entries.
  const double mult = 100 * 3.7 + 10 * 0.200016;
  const double add = 90 * 0.9 + 5 * 0.1;
  const double cmp = 7 * 0.03335;
  const double reg = 320 * 0.01035 + 160 * 0.01035;
  const double ifmap = 40 * 6.39 + 20 * 5.56;               // 8 KB point, 32-bit
  const double weight = 30 * (2 * 6.39) + 10 * (2 * 5.56);  // 8 KB banks, 64-bit words
  const double ofmap = 12 * (1.90 / 2) + 16 * (3.64 / 2);   // 2 KB point, 16-bit words
  const double dram = (256 + 64) * 8 * 20.0;
  // Leakage: 4 lanes × comparator + SRAM macros (ifmap 8 KB, weight 2 × 8 KB, ofmap 2 KB);
  // multipliers, adders and registers publish none. 1000 cycles at 500 MHz = 2 µs.
  const double leak_uw = 4 * 0.02875 + 13700 + 2 * 13700 + 3230;
  const double leak = leak_uw * 2.0;  // µW × µs = pJ
  REQUIRE(component(e.components, "multipliers") == Approx(mult));
  REQUIRE(component(e.components, "adders") == Approx(add));
  REQUIRE(component(e.components, "comparators") == Approx(cmp));
  REQUIRE(component(e.components, "registers") == Approx(reg));
  REQUIRE(component(e.components, "buffer_ifmap") == Approx(ifmap));
  REQUIRE(component(e.components, "buffer_weight") == Approx(weight));
  REQUIRE(component(e.components, "buffer_ofmap") == Approx(ofmap));
  REQUIRE(component(e.components, "dram") == Approx(dram));
  REQUIRE(component(e.components, "leakage") == Approx(leak));
  REQUIRE(kq::leakage_power_uw(small_arch(), t) == Approx(leak_uw));
  REQUIRE(e.dynamic_pj == Approx(mult + add + cmp + reg + ifmap + weight + ofmap + dram));
  REQUIRE(e.leakage_pj == Approx(leak));
  REQUIRE(e.total_pj == Approx(e.dynamic_pj + leak));
}

TEST_CASE("leakage energy is leakage power × runtime", "[unit]") {
  const kq::TechTable t = kq::load_tech_table(kGeneric, 45);
  kq::ArchConfig arch = small_arch();
  kq::ActionCounts c;
  c.cycles = 123456;
  for (double mhz : {100.0, 500.0, 1000.0}) {
    arch.clock_mhz = mhz;
    const kq::EnergyBreakdown e = kq::compute_energy(c, arch, t);
    const double runtime_s = static_cast<double>(c.cycles) / (mhz * 1e6);
    const double power_w = kq::leakage_power_uw(arch, t) * 1e-6;
    REQUIRE(e.leakage_pj == Approx(power_w * runtime_s * 1e12));
    REQUIRE(e.dynamic_pj == 0);
    REQUIRE(e.total_pj == e.leakage_pj);
  }
  // Twice the cycles, twice the leakage energy.
  kq::ActionCounts c2 = c;
  c2.cycles *= 2;
  REQUIRE(kq::compute_energy(c2, arch, t).leakage_pj ==
          Approx(2 * kq::compute_energy(c, arch, t).leakage_pj));
}

TEST_CASE("node scaling carries through to energy and area", "[unit]") {
  const kq::TechTable t45 = kq::load_tech_table(kGeneric, 45);
  const kq::TechTable t28 = kq::load_tech_table(kGeneric, 28);
  const kq::EnergyBreakdown e45 = kq::compute_energy(small_counts(), small_arch(), t45);
  const kq::EnergyBreakdown e28 = kq::compute_energy(small_counts(), small_arch(), t28);
  for (size_t i = 0; i < e45.components.size(); ++i) {
    CAPTURE(e45.components[i].component);
    // DRAM energy belongs to the arch config, not the logic node.
    const double f = e45.components[i].component == "dram" ? 1.0 : 0.51;
    REQUIRE(e28.components[i].value == Approx(e45.components[i].value * f));
  }
  const kq::AreaBreakdown a45 = kq::compute_area(small_arch(), t45);
  const kq::AreaBreakdown a28 = kq::compute_area(small_arch(), t28);
  REQUIRE(a28.total_um2 == Approx(a45.total_um2 * 0.38));
}

TEST_CASE("area is the hand-computed sum of instances × entries", "[unit]") {
  const kq::TechTable t = kq::load_tech_table(kGeneric, 45);
  const kq::AreaBreakdown a = kq::compute_area(small_arch(), t);
  const double mult = 16 * 7700.0;
  const double add = 16 * 4184.0 + 4 * 4184.0;  // array adders + one fp32 adder per lane
  const double cmp = 4 * 89.87;
  const double reg = 4 * 4 * (32 + 32 + 32) * 7.57;
  const double ifmap = 57500, weight = 2 * 57500.0, ofmap = 15100;
  REQUIRE(component(a.components, "multipliers") == Approx(mult));
  REQUIRE(component(a.components, "adders") == Approx(add));
  REQUIRE(component(a.components, "comparators") == Approx(cmp));
  REQUIRE(component(a.components, "registers") == Approx(reg));
  REQUIRE(component(a.components, "buffer_ifmap") == Approx(ifmap));
  REQUIRE(component(a.components, "buffer_weight") == Approx(weight));
  REQUIRE(component(a.components, "buffer_ofmap") == Approx(ofmap));
  REQUIRE(a.total_um2 == Approx(mult + add + cmp + reg + ifmap + weight + ofmap));
}

TEST_CASE("user table energy equals Σ counts × its entries exactly", "[unit]") {
  const kq::TechTable t = kq::load_tech_table(kUser, 45);
  const kq::ActionCounts c = small_counts();
  const kq::EnergyBreakdown e = kq::compute_energy(c, small_arch(), t);
  // Numbers of example_user_table.json; each component is a handful of products, summed in
  // the same order as the model so the comparison can be exact.
  const double mult = 100 * 3.7 + 10 * 0.200016;
  const double add = 90 * 0.9 + 5 * 0.1;
  const double cmp = 7 * 0.03335;
  const double reg = 320 * 0.01035 + 160 * 0.01035;
  const double ifmap = 40 * 6.39 + 20 * 5.56;
  const double weight = 30 * 9.98 + 10 * 8.42;  // the entry, whatever the word width or banks
  const double ofmap = 12 * 3.43 + 16 * 4.31;
  const double dram = 320 * 8 * 20.0;
  const double leak = (4 * 0.02875 + 13700 + 27100 + 7300) * 1000 / 500.0;
  REQUIRE(component(e.components, "multipliers") == mult);
  REQUIRE(component(e.components, "adders") == add);
  REQUIRE(component(e.components, "comparators") == cmp);
  REQUIRE(component(e.components, "registers") == reg);
  REQUIRE(component(e.components, "buffer_ifmap") == ifmap);
  REQUIRE(component(e.components, "buffer_weight") == weight);
  REQUIRE(component(e.components, "buffer_ofmap") == ofmap);
  REQUIRE(component(e.components, "dram") == dram);
  REQUIRE(component(e.components, "leakage") == leak);
  const double dynamic = mult + add + cmp + reg + ifmap + weight + ofmap + dram;
  REQUIRE(e.dynamic_pj == dynamic);
  REQUIRE(e.total_pj == dynamic + leak);

  const kq::AreaBreakdown a = kq::compute_area(small_arch(), t);
  REQUIRE(component(a.components, "buffer_ifmap") == 57500);
  REQUIRE(component(a.components, "buffer_weight") == 109000);
  REQUIRE(component(a.components, "buffer_ofmap") == 30100);
}
