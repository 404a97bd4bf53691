#include "models/sweep/sweep_record.hpp"

#include <cmath>
#include <stdexcept>

#include "models/common/csv_field.hpp"

namespace kq {
namespace {

using ordered = nlohmann::ordered_json;

ordered number_or_null(double v) {
  return std::isfinite(v) ? ordered(v) : ordered(nullptr);
}

std::string csv_value(const ordered& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return csv_field(v.get<std::string>());
  return csv_field(v.dump());
}

}  // namespace

ordered ok_record(uint64_t point, const std::string& workload, const ordered& values,
                  const DesignMetrics& m, const std::vector<std::string>& violations) {
  ordered r;
  r["point"] = point;
  r["workload"] = workload;
  r["values"] = values;
  r["status"] = "ok";
  r["feasible"] = violations.empty();
  r["violations"] = violations;
  ordered metrics;
  metrics["cycles"] = m.cycles;
  metrics["latency_ms"] = number_or_null(m.latency_ms);
  metrics["energy_mj"] = number_or_null(m.energy_mj);
  metrics["area_mm2"] = number_or_null(m.area_mm2);
  metrics["power_mw"] = number_or_null(m.power_mw);
  metrics["edp_mj_ms"] = number_or_null(m.edp_mj_ms);
  metrics["multiplications"] = m.multiplications;
  metrics["dram_bytes"] = m.dram_bytes;
  metrics["array_utilization"] = number_or_null(m.array_utilization);
  metrics["bits_per_weight"] = number_or_null(m.bits_per_weight);
  metrics["weight_sqnr_db"] = m.weight_sqnr_db ? number_or_null(*m.weight_sqnr_db) : ordered();
  r["metrics"] = metrics;
  return r;
}

ordered invalid_record(uint64_t point, const std::string& workload, const ordered& values,
                       const std::string& reason) {
  ordered r;
  r["point"] = point;
  r["workload"] = workload;
  r["values"] = values;
  r["status"] = "invalid";
  r["reason"] = reason;
  return r;
}

std::string csv_header(const SweepSpec& spec) {
  std::string h = "point,workload";
  for (const SweepAxis& a : spec.axes) h += "," + a.name;
  h += ",status,feasible";
  for (const char* m : kSweepMetrics) h += std::string(",") + m;
  return h + ",violations,reason\n";
}

std::string csv_row(const SweepSpec& spec, const ordered& r) {
  std::string row = r.at("point").dump() + "," + csv_field(r.at("workload").get<std::string>());
  const ordered& values = r.at("values");
  for (const SweepAxis& a : spec.axes) row += "," + csv_value(values.at(a.name));
  const bool ok = r.at("status") == "ok";
  row += "," + r.at("status").get<std::string>();
  row += "," + (ok ? r.at("feasible").dump() : std::string());
  for (const char* m : kSweepMetrics) row += "," + (ok ? csv_value(r.at("metrics").at(m)) : "");
  std::string violations;
  if (ok)
    for (const auto& v : r.at("violations"))
      violations += (violations.empty() ? "" : ";") + v.get<std::string>();
  row += "," + csv_field(violations);
  row += "," + (ok ? std::string() : csv_field(r.at("reason").get<std::string>()));
  return row + "\n";
}

RecordDigest digest_of(const ordered& r, uint32_t workload) {
  RecordDigest d;
  try {
    d.point = r.at("point").get<uint64_t>();
    d.workload = workload;
    d.ok = r.at("status") == "ok";
    if (!d.ok) {
      d.reason = r.at("reason").get<std::string>();
      return d;
    }
    d.feasible = r.at("feasible").get<bool>();
    const ordered& m = r.at("metrics");
    auto num = [&m](const char* k) { return m.at(k).is_number() ? m.at(k).get<double>() : NAN; };
    d.energy_mj = num("energy_mj");
    d.latency_ms = num("latency_ms");
    d.area_mm2 = num("area_mm2");
    d.edp_mj_ms = num("edp_mj_ms");
    d.cycles = m.at("cycles").get<uint64_t>();
    d.dram_bytes = m.at("dram_bytes").get<uint64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("not a sweep record: ") + e.what());
  }
  return d;
}

}  // namespace kq
