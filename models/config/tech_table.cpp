#include "models/config/tech_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "models/common/input_error.hpp"
#include "models/config/json_reader.hpp"

namespace kq {
namespace {

// Upper bound for any energy/area/leakage (1 mJ, 1000 mm², 1 kW): far above any real unit, low
// enough that sums of counts × values stay finite.
constexpr double kMaxValue = 1e9;

std::string read_source(ObjReader& r) {
  std::string s = r.get_string("source");
  if (s.empty()) r.fail("source", "expected a non-empty citation of where the numbers come from");
  return s;
}

OpEntry read_op_entry(ObjReader r) {
  OpEntry e;
  e.energy_pj = r.get_double("energy_pj", 0, kMaxValue);
  e.area_um2 = r.get_double("area_um2", 0, kMaxValue);
  e.leakage_uw = r.get_double("leakage_uw", 0, kMaxValue);
  e.source = read_source(r);
  r.finish();
  return e;
}

AccessEntry read_access_entry(ObjReader r) {
  AccessEntry e;
  e.read_pj = r.get_double("read_pj", 0, kMaxValue);
  e.write_pj = r.get_double("write_pj", 0, kMaxValue);
  e.area_um2 = r.get_double("area_um2", 0, kMaxValue);
  e.leakage_uw = r.get_double("leakage_uw", 0, kMaxValue);
  e.source = read_source(r);
  r.finish();
  return e;
}

// Scaling factors and voltages must be strictly positive; get_double only knows closed ranges.
double get_positive(ObjReader& r, const std::string& key, double max) {
  const double v = r.get_double(key, 0, max);
  if (v <= 0) r.fail(key, fmt::format("expected a number in (0, {}], got {}", max, v));
  return v;
}

std::vector<SramPoint> read_sram_points(ObjReader& sram) {
  std::vector<SramPoint> points;
  // Two points are the minimum that defines a segment to interpolate or extrapolate along.
  for (ObjReader& p : sram.object_array("points", 2, 1000)) {
    SramPoint s;
    s.capacity_bytes = p.get_u64("capacity_bytes", 1, uint64_t{1} << 50);
    if (!points.empty() && s.capacity_bytes <= points.back().capacity_bytes)
      p.fail("capacity_bytes", fmt::format("capacities must strictly increase; {} follows {}",
                                           s.capacity_bytes, points.back().capacity_bytes));
    s.word_bits = static_cast<uint32_t>(p.get_u64("word_bits", 1, 65536));
    s.read_pj = p.get_double("read_pj", 0, kMaxValue);
    s.write_pj = p.get_double("write_pj", 0, kMaxValue);
    s.area_um2 = p.get_double("area_um2", 0, kMaxValue);
    s.leakage_uw = p.get_double("leakage_uw", 0, kMaxValue);
    s.source = read_source(p);
    p.finish();
    points.push_back(std::move(s));
  }
  return points;
}

std::vector<NodeScaling> read_scaling(ObjReader& scaling, uint32_t table_node_nm) {
  std::vector<NodeScaling> out;
  for (ObjReader& f : scaling.object_array("factors", 1, 1000)) {
    NodeScaling n;
    n.node_nm = static_cast<uint32_t>(f.get_u64("node_nm", 1, 100000));
    for (const NodeScaling& prev : out)
      if (prev.node_nm == n.node_nm)
        f.fail("node_nm", fmt::format("{} nm is listed twice", n.node_nm));
    n.area_factor = get_positive(f, "area", 1000);
    n.energy_factor = get_positive(f, "energy", 1000);
    // The table's own node is the reference: any other factor there would mean the numbers
    // in the file are not for the node the file says.
    if (n.node_nm == table_node_nm && n.area_factor != 1.0)
      f.fail("area", fmt::format("the table's own node ({} nm) must have factor 1", n.node_nm));
    if (n.node_nm == table_node_nm && n.energy_factor != 1.0)
      f.fail("energy", fmt::format("the table's own node ({} nm) must have factor 1", n.node_nm));
    f.finish();
    out.push_back(n);
  }
  return out;
}

void scale_op(OpEntry& e, double area_factor, double energy_factor) {
  e.energy_pj *= energy_factor;
  e.area_um2 *= area_factor;
  e.leakage_uw *= energy_factor;
}

void scale_access(AccessEntry& e, double area_factor, double energy_factor) {
  e.read_pj *= energy_factor;
  e.write_pj *= energy_factor;
  e.area_um2 *= area_factor;
  e.leakage_uw *= energy_factor;
}

// Beyond the characterised range: continue the end segment as a power law (a straight line in
// log-log), which is how SRAM energy and area grow with capacity. A zero at either end of the
// segment has no logarithm; then hold the end value.
double extrapolate_log_log(double c, double c0, double v0, double c1, double v1, double c_end,
                           double v_end) {
  if (v0 <= 0 || v1 <= 0) return v_end;
  const double slope = std::log(v1 / v0) / std::log(c1 / c0);
  return v_end * std::pow(c / c_end, slope);
}

TechTable tech_table_from_json(const nlohmann::json& j, const std::string& file_name,
                               uint32_t node_nm) {
  ObjReader root(j, file_name, "");
  TechTable t;
  t.file = file_name;
  t.name = root.get_string("name");
  root.get_string_or("description", "");
  t.table_node_nm = static_cast<uint32_t>(root.get_u64("node_nm", 1, 100000));
  t.vdd_v = get_positive(root, "vdd_v", 10);

  {
    ObjReader entries = root.object("entries");
    for (NumFormat f : kAllFormats) {
      const int i = static_cast<int>(f);
      t.multipliers[i] = read_op_entry(entries.object(multiplier_entry_name(f)));
      t.adders[i] = read_op_entry(entries.object(adder_entry_name(f)));
    }
    t.comparator = read_op_entry(entries.object("comparator"));
    t.register_bit = read_access_entry(entries.object("register_bit"));
    entries.finish();
  }

  if (root.has("fixed_point_fit")) {
    ObjReader fit = root.object("fixed_point_fit");
    FixedPointFit f;
    f.add_pj_per_bit = fit.get_double("add_pj_per_bit", 0, kMaxValue);
    f.mult_pj_per_bit_sq = fit.get_double("mult_pj_per_bit_sq", 0, kMaxValue);
    f.mult_pj_per_bit = fit.get_double("mult_pj_per_bit", 0, kMaxValue);
    f.source = read_source(fit);
    fit.finish();
    t.fixed_point_fit = f;
  }

  const bool has_sram = root.has("sram"), has_buffers = root.has("buffers");
  if (has_sram && has_buffers)
    root.fail("buffers",
              "give either /sram (interpolation points) or /buffers (fixed entries), "
              "not both");
  if (has_sram) {
    ObjReader sram = root.object("sram");
    t.sram_source = read_source(sram);
    t.sram_points = read_sram_points(sram);
    sram.finish();
  } else if (has_buffers) {
    ObjReader buffers = root.object("buffers");
    std::array<std::optional<AccessEntry>, kNumBuffers> fixed;
    for (int b = 0; b < kNumBuffers; ++b) {
      const auto id = static_cast<BufferId>(b);
      const std::string name(to_string(id));
      // scale and codebook SRAMs exist only in KCNN / KQ designs: optional here, required
      // when an architecture has one (buffer_cost says so).
      const bool optional = id == BufferId::scale || id == BufferId::codebook;
      if (!optional || buffers.has(name)) fixed[b] = read_access_entry(buffers.object(name));
    }
    buffers.finish();
    t.fixed_buffers = fixed;
  } else {
    root.fail("sram",
              "missing required key: give /sram (interpolation points) or /buffers "
              "(fixed per-buffer entries)");
  }

  std::string factors_pointer = root.pointer("scaling");
  if (root.has("scaling")) {
    ObjReader scaling = root.object("scaling");
    t.scaling_source = read_source(scaling);
    t.scaling = read_scaling(scaling, t.table_node_nm);
    factors_pointer = scaling.pointer("factors");
    scaling.finish();
  }
  root.finish();

  // Pick the factors for the requested node. The table's own node needs no entry.
  t.node_nm = node_nm;
  if (node_nm != t.table_node_nm) {
    auto it = std::find_if(t.scaling.begin(), t.scaling.end(),
                           [&](const NodeScaling& n) { return n.node_nm == node_nm; });
    if (it == t.scaling.end()) {
      std::string listed = std::to_string(t.table_node_nm);
      for (const NodeScaling& n : t.scaling)
        if (n.node_nm != t.table_node_nm) listed += ", " + std::to_string(n.node_nm);
      throw InputError(file_name, factors_pointer,
                       fmt::format("no scaling factors for {} nm (this table supports: {} nm)",
                                   node_nm, listed));
    }
    t.area_factor = it->area_factor;
    t.energy_factor = it->energy_factor;
  }

  const double af = t.area_factor, ef = t.energy_factor;
  for (int i = 0; i < kNumFormats; ++i) {
    scale_op(t.multipliers[i], af, ef);
    scale_op(t.adders[i], af, ef);
  }
  scale_op(t.comparator, af, ef);
  scale_access(t.register_bit, af, ef);
  if (t.fixed_point_fit) {
    t.fixed_point_fit->add_pj_per_bit *= ef;
    t.fixed_point_fit->mult_pj_per_bit_sq *= ef;
    t.fixed_point_fit->mult_pj_per_bit *= ef;
  }
  for (SramPoint& p : t.sram_points) {
    p.read_pj *= ef;
    p.write_pj *= ef;
    p.area_um2 *= af;
    p.leakage_uw *= ef;
  }
  if (t.fixed_buffers)
    for (auto& e : *t.fixed_buffers)
      if (e) scale_access(*e, af, ef);
  return t;
}

}  // namespace

std::string multiplier_entry_name(NumFormat f) {
  return "mult_" + std::string(to_string(f));
}
std::string adder_entry_name(NumFormat f) {
  return "add_" + std::string(to_string(f));
}

TechTable tech_table_from_text(const std::string& text, const std::string& file_name,
                               uint32_t node_nm) {
  return tech_table_from_json(parse_json_text(text, file_name), file_name, node_nm);
}

TechTable load_tech_table(const std::string& path, uint32_t node_nm) {
  return tech_table_from_json(parse_json_file(path), path, node_nm);
}

SramCost TechTable::sram_bank_cost(double capacity_bytes, uint32_t word_bits) const {
  if (sram_points.size() < 2)
    throw std::logic_error("sram_bank_cost: table " + file + " has no SRAM interpolation points");
  SramCost out;
  if (capacity_bytes <= 0 || word_bits == 0) return out;

  // Energies are interpolated per bit of access width, so points of any word width combine;
  // access energy then scales linearly with the buffer's word width.
  struct Values {
    double read_per_bit, write_per_bit, area, leakage;
  };
  auto values = [](const SramPoint& p) {
    return Values{p.read_pj / p.word_bits, p.write_pj / p.word_bits, p.area_um2, p.leakage_uw};
  };
  auto finish = [&](const Values& v) {
    return SramCost{v.read_per_bit * word_bits, v.write_per_bit * word_bits, v.area, v.leakage};
  };

  // Exactly on a data point: return its numbers untouched.
  for (const SramPoint& p : sram_points)
    if (static_cast<double>(p.capacity_bytes) == capacity_bytes) return finish(values(p));

  const size_t n = sram_points.size();
  const double c_first = static_cast<double>(sram_points.front().capacity_bytes);
  const double c_last = static_cast<double>(sram_points.back().capacity_bytes);
  if (capacity_bytes < c_first || capacity_bytes > c_last) {
    const bool below = capacity_bytes < c_first;
    const SramPoint& a = below ? sram_points[0] : sram_points[n - 2];
    const SramPoint& b = below ? sram_points[1] : sram_points[n - 1];
    const SramPoint& end = below ? a : b;
    const Values va = values(a), vb = values(b), ve = values(end);
    const double ca = static_cast<double>(a.capacity_bytes);
    const double cb = static_cast<double>(b.capacity_bytes);
    const double ce = static_cast<double>(end.capacity_bytes);
    auto x = [&](double Values::*m) {
      return extrapolate_log_log(capacity_bytes, ca, va.*m, cb, vb.*m, ce, ve.*m);
    };
    return finish(Values{x(&Values::read_per_bit), x(&Values::write_per_bit), x(&Values::area),
                         x(&Values::leakage)});
  }

  // Inside the range: piecewise linear in log2(capacity).
  size_t hi = 1;
  while (static_cast<double>(sram_points[hi].capacity_bytes) < capacity_bytes) ++hi;
  const SramPoint& a = sram_points[hi - 1];
  const SramPoint& b = sram_points[hi];
  const double la = std::log2(static_cast<double>(a.capacity_bytes));
  const double lb = std::log2(static_cast<double>(b.capacity_bytes));
  const double t = (std::log2(capacity_bytes) - la) / (lb - la);
  const Values va = values(a), vb = values(b);
  auto lerp = [&](double Values::*m) { return va.*m + (vb.*m - va.*m) * t; };
  return finish(Values{lerp(&Values::read_per_bit), lerp(&Values::write_per_bit),
                       lerp(&Values::area), lerp(&Values::leakage)});
}

SramCost TechTable::buffer_cost(BufferId id, const BufferSpec& spec) const {
  if (spec.capacity_bytes == 0) return {};
  if (fixed_buffers) {
    const auto& entry = (*fixed_buffers)[static_cast<int>(id)];
    if (!entry)
      throw InputError(file, "/buffers/" + std::string(to_string(id)),
                       "missing: the architecture has this buffer, so the table must price it");
    const AccessEntry& e = *entry;
    return SramCost{e.read_pj, e.write_pj, e.area_um2, e.leakage_uw};
  }
  // Banking: a macro of B banks is B independent single-bank macros of capacity/B. An access
  // touches one bank (word_bits is the bank's word), so it costs one small bank's access
  // energy, while area and leakage are paid B times. Port counts are not priced: the CACTI
  // points are for one read and one write port.
  const uint32_t banks = std::max<uint32_t>(spec.banks, 1);
  SramCost bank = sram_bank_cost(static_cast<double>(spec.capacity_bytes) / banks, spec.word_bits);
  bank.area_um2 *= banks;
  bank.leakage_uw *= banks;
  return bank;
}

double TechTable::fixed_point_add_energy_pj(uint32_t bits) const {
  if (!fixed_point_fit)
    throw InputError(file, "/fixed_point_fit", "missing: needed to price fixed-point widths");
  return fixed_point_fit->add_pj_per_bit * bits;
}

double TechTable::fixed_point_mult_energy_pj(uint32_t bits_a, uint32_t bits_b) const {
  if (!fixed_point_fit)
    throw InputError(file, "/fixed_point_fit", "missing: needed to price fixed-point widths");
  const double a = bits_a, b = bits_b;
  return fixed_point_fit->mult_pj_per_bit_sq * a * b +
         fixed_point_fit->mult_pj_per_bit * (a + b) / 2;
}

}  // namespace kq
