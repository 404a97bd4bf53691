#include "models/sweep/sweep_spec.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <filesystem>
#include <set>

#include "models/common/input_error.hpp"
#include "models/config/json_reader.hpp"
#include "models/sweep/sweep_metrics.hpp"
#include "models/workload/workload.hpp"

namespace kq {
namespace {

using nlohmann::json;

/// Column names results.csv uses besides the axes.
const std::set<std::string>& reserved_columns() {
  static const std::set<std::string> names = [] {
    std::set<std::string> s{"point", "workload", "status", "feasible", "violations", "reason"};
    for (const char* m : kSweepMetrics) s.insert(m);
    return s;
  }();
  return names;
}

bool valid_axis_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

std::string resolve_path(const std::string& spec_file, const std::string& p) {
  namespace fs = std::filesystem;
  fs::path path(p);
  if (path.is_relative()) path = fs::path(spec_file).parent_path() / path;
  return path.lexically_normal().string();
}

/// A pointer field, checked against the base design.
JsonPointer base_pointer(const json& v, const SweepSpec& spec, const std::string& where) {
  if (!v.is_string())
    throw InputError(spec.file, where,
                     fmt::format("expected a JSON pointer string, got {}", v.type_name()));
  JsonPointer p = parse_json_pointer(v.get<std::string>(), spec.file, where);
  if (!resolve(spec.base, p))
    throw InputError(spec.file, where,
                     fmt::format("\"{}\" does not exist in the base design {} (a sweep changes "
                                 "values the base sets: add the key to the base first)",
                                 p.text, spec.base_path));
  return p;
}

bool is_integer(const json& v) {
  return v.is_number_integer() || v.is_number_unsigned();
}

/// An integer as a JSON value the strict readers accept: unsigned when non-negative.
json integer_value(int64_t v) {
  return v >= 0 ? json(static_cast<uint64_t>(v)) : json(v);
}

std::vector<json> range_values(ObjReader r) {
  const json& from = r.raw("from");
  const json& to = r.raw("to");
  const bool stepped = r.optional("step"), geometric = r.optional("factor");
  if (stepped == geometric) r.fail("", "expected exactly one of \"step\" and \"factor\"");
  const json& by = r.raw(stepped ? "step" : "factor");
  r.finish();
  for (const auto& [key, v] : {std::pair<const char*, const json*>{"from", &from},
                               {"to", &to},
                               {stepped ? "step" : "factor", &by}})
    if (!v->is_number() || !std::isfinite(v->get<double>()))
      r.fail(key, fmt::format("expected a number, got {}", v->dump()));
  const bool integers = is_integer(from) && is_integer(to) && is_integer(by);
  constexpr double kMaxMagnitude = 0x1p62;  // keeps integer ranges clear of int64 overflow
  for (const auto& [key, v] : {std::pair<const char*, const json*>{"from", &from},
                               {"to", &to},
                               {stepped ? "step" : "factor", &by}})
    if (std::fabs(v->get<double>()) > kMaxMagnitude)
      r.fail(key, fmt::format("expected a magnitude below 2^62, got {}", v->dump()));
  std::vector<json> out;
  auto too_many = [&] {
    r.fail("", fmt::format("the range has more than {} values", kMaxAxisValues));
  };
  if (integers) {
    // int64 arithmetic; every design field is far inside it.
    const int64_t a = from.get<int64_t>(), b = to.get<int64_t>(), s = by.get<int64_t>();
    if (b < a) r.fail("to", fmt::format("expected a value >= from ({}), got {}", a, b));
    if (stepped) {
      if (s < 1) r.fail("step", fmt::format("expected an integer >= 1, got {}", s));
      if (static_cast<uint64_t>((b - a) / s) >= kMaxAxisValues) too_many();
      for (int64_t v = a; v <= b; v += s) out.push_back(integer_value(v));
    } else {
      if (a < 1) r.fail("from", "a geometric range must start at a positive value");
      if (s < 2) r.fail("factor", fmt::format("expected an integer >= 2, got {}", s));
      for (int64_t v = a; v <= b; v *= s) {
        out.push_back(integer_value(v));
        if (v > b / s) break;  // the next value is past `to` (and might overflow)
      }
    }
    return out;
  }
  const double a = from.get<double>(), b = to.get<double>(), s = by.get<double>();
  if (b < a) r.fail("to", fmt::format("expected a value >= from ({}), got {}", a, b));
  if (stepped) {
    if (!(s > 0)) r.fail("step", fmt::format("expected a positive step, got {}", s));
    // Values from + i·step (no accumulated rounding); `to` is included up to rounding.
    const double n = std::floor((b - a) / s * (1 + 1e-12)) + 1;
    if (n > static_cast<double>(kMaxAxisValues)) too_many();
    for (uint64_t i = 0; i < static_cast<uint64_t>(n); ++i)
      out.push_back(json(a + static_cast<double>(i) * s));
  } else {
    if (!(a > 0)) r.fail("from", "a geometric range must start at a positive value");
    if (!(s > 1)) r.fail("factor", fmt::format("expected a factor > 1, got {}", s));
    for (double v = a; v <= b * (1 + 1e-12); v *= s) {
      if (out.size() == kMaxAxisValues) too_many();
      out.push_back(json(v));
    }
  }
  return out;
}

SweepAxis read_axis(ObjReader a, const SweepSpec& spec) {
  SweepAxis axis;
  axis.name = a.get_string("name");
  if (!valid_axis_name(axis.name))
    a.fail("name",
           fmt::format("expected 1 to 64 characters from A-Z a-z 0-9 _, got \"{}\"", axis.name));
  if (reserved_columns().count(axis.name))
    a.fail("name", fmt::format("\"{}\" is a column of results.csv already", axis.name));
  const bool one = a.optional("pointer"), many = a.optional("pointers");
  if (one == many) a.fail("", "expected exactly one of \"pointer\" and \"pointers\"");
  if (one) {
    axis.pointers.push_back(base_pointer(a.raw("pointer"), spec, a.pointer("pointer")));
  } else {
    const json& list = a.raw("pointers");
    if (!list.is_array() || list.empty() || list.size() > 16)
      a.fail("pointers", "expected an array of 1 to 16 JSON pointers");
    for (size_t i = 0; i < list.size(); ++i)
      axis.pointers.push_back(
          base_pointer(list[i], spec, a.pointer("pointers") + "/" + std::to_string(i)));
  }
  const bool listed = a.optional("values"), ranged = a.optional("range");
  if (listed == ranged) a.fail("", "expected exactly one of \"values\" and \"range\"");
  if (listed) {
    const json& v = a.raw("values");
    if (!v.is_array() || v.empty() || v.size() > kMaxAxisValues)
      a.fail("values", fmt::format("expected an array of 1 to {} values", kMaxAxisValues));
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i].is_null())
        throw InputError(spec.file, a.pointer("values") + "/" + std::to_string(i),
                         "expected a value, got null");
      axis.values.push_back(v[i]);
    }
  } else {
    axis.values = range_values(a.object("range"));
  }
  a.finish();
  std::set<std::string> seen;
  for (size_t i = 0; i < axis.values.size(); ++i)
    if (!seen.insert(axis.values[i].dump()).second)
      a.fail(listed ? "values" : "range",
             fmt::format("value {} appears twice (each design would be evaluated twice)",
                         axis.values[i].dump()));
  return axis;
}

DerivedField read_derived(ObjReader d, const SweepSpec& spec) {
  DerivedField f;
  f.target = base_pointer(d.raw("pointer"), spec, d.pointer("pointer"));
  const json& list = d.raw("product_of");
  if (!list.is_array() || list.empty() || list.size() > 8)
    d.fail("product_of", "expected an array of 1 to 8 JSON pointers");
  for (size_t i = 0; i < list.size(); ++i)
    f.factors.push_back(
        base_pointer(list[i], spec, d.pointer("product_of") + "/" + std::to_string(i)));
  f.scale = d.get_u64_or("scale", 1, 1, uint64_t{1} << 32);
  d.finish();
  return f;
}

SweepConstraint read_constraint(const std::string& metric, ObjReader c, const SweepSpec& spec) {
  SweepConstraint k;
  k.metric = metric;
  if (!is_sweep_metric(metric)) {
    std::string known;
    for (const char* m : kSweepMetrics) known += (known.empty() ? "" : ", ") + std::string(m);
    throw InputError(spec.file, c.pointer(),
                     fmt::format("unknown metric \"{}\" (expected one of: {})", metric, known));
  }
  if (c.optional("min")) k.min = c.get_double("min", -1e300, 1e300);
  if (c.optional("max")) k.max = c.get_double("max", -1e300, 1e300);
  c.finish();
  if (!k.min && !k.max) c.fail("", "expected \"min\", \"max\" or both");
  if (k.min && k.max && *k.min > *k.max)
    c.fail("max", fmt::format("expected a value >= min ({}), got {}", *k.min, *k.max));
  return k;
}

SweepSpec parse(const json& j, const std::string& file) {
  SweepSpec spec;
  spec.file = file;
  ObjReader r(j, file, "");
  spec.name = r.get_string("name");
  if (!valid_workload_name(spec.name))
    r.fail("name", fmt::format("expected 1 to 128 characters from A-Z a-z 0-9 _ . + - (not "
                               "starting with a dot), got \"{}\"",
                               spec.name));
  r.get_string_or("description", "");
  spec.base_path = resolve_path(file, r.get_string("base"));
  auto must_exist = [&](const std::string& path, const std::string& where) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
      throw InputError(file, where, fmt::format("no such file: {}", path));
  };
  must_exist(spec.base_path, "/base");
  spec.base = parse_json_file(spec.base_path);  // its own errors name its own file
  if (!spec.base.is_object())
    throw InputError(spec.base_path, "/", "expected an architecture object");

  const json& wl = r.raw("workloads");
  if (!wl.is_array() || wl.empty() || wl.size() > 64)
    r.fail("workloads", "expected an array of 1 to 64 workloads");
  for (size_t i = 0; i < wl.size(); ++i) {
    const std::string where = r.pointer("workloads") + "/" + std::to_string(i);
    SweepWorkload w;
    if (wl[i].is_string()) {
      w.path = resolve_path(file, wl[i].get<std::string>());
    } else {
      ObjReader o(wl[i], file, where);
      w.path = resolve_path(file, o.get_string("path"));
      if (o.optional("weights")) w.weights = resolve_path(file, o.get_string("weights"));
      o.finish();
    }
    w.pointer = wl[i].is_string() ? where : where + "/path";
    must_exist(w.path, w.pointer);
    if (!w.weights.empty()) must_exist(w.weights, where + "/weights");
    spec.workloads.push_back(w);
  }
  spec.seed = r.get_u64_or("seed", 1, 0, UINT64_MAX);
  spec.fit_quantizers = r.get_bool_or("fit_quantizers", true);
  if (r.optional("sampling")) {
    ObjReader s = r.object("sampling");
    const std::string mode = s.get_enum("mode", {"grid", "random"});
    if (mode == "random") {
      spec.sampling = SweepSampling::random;
      spec.random_points = s.get_u64("points", 1, kMaxSweepPoints);
      spec.random_seed = s.get_u64_or("seed", 1, 0, UINT64_MAX);
    }
    s.finish();
  }
  std::set<std::string> names, written;
  for (ObjReader& a : r.object_array("axes", 1, 32)) {
    const std::string where = a.pointer();
    SweepAxis axis = read_axis(a, spec);
    if (!names.insert(axis.name).second)
      throw InputError(file, where + "/name", fmt::format("axis \"{}\" appears twice", axis.name));
    for (const JsonPointer& p : axis.pointers)
      if (!written.insert(p.text).second)
        throw InputError(file, where, fmt::format("\"{}\" is already set by another axis", p.text));
    spec.axes.push_back(std::move(axis));
  }
  if (r.optional("derived"))
    for (ObjReader& d : r.object_array("derived", 0, 32)) {
      const std::string where = d.pointer();
      DerivedField f = read_derived(d, spec);
      if (!written.insert(f.target.text).second)
        throw InputError(file, where + "/pointer",
                         fmt::format("\"{}\" is already set by an axis or another derived field",
                                     f.target.text));
      spec.derived.push_back(std::move(f));
    }
  if (r.optional("constraints")) {
    const json& c = r.raw("constraints");
    if (!c.is_object()) r.fail("constraints", "expected an object of metric -> {min, max}");
    for (auto it = c.begin(); it != c.end(); ++it)
      spec.constraints.push_back(read_constraint(
          it.key(), ObjReader(it.value(), file, r.pointer("constraints") + "/" + it.key()), spec));
  }
  r.finish();
  if (spec.sampling == SweepSampling::grid && grid_size(spec) == 0)
    r.fail("axes", fmt::format("the grid has more than {} points: use fewer values or "
                               "\"sampling\": {{\"mode\": \"random\", ...}}",
                               kMaxSweepPoints));
  return spec;
}

}  // namespace

uint64_t grid_size(const SweepSpec& spec) {
  uint64_t n = 1;
  for (const SweepAxis& a : spec.axes) {
    if (n > kMaxSweepPoints / a.values.size()) return 0;
    n *= a.values.size();
  }
  return n;
}

SweepSpec sweep_spec_from_text(const std::string& text, const std::string& file_name) {
  return parse(parse_json_text(text, file_name), file_name);
}

SweepSpec load_sweep_spec(const std::string& path) {
  return parse(parse_json_file(path), path);
}

}  // namespace kq
