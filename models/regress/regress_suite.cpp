#include "models/regress/regress_suite.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <set>

#include "models/config/json_reader.hpp"
#include "models/workload/workload.hpp"

namespace kq {

nlohmann::json RegressCase::spec() const {
  nlohmann::json j = {
      {"name", name}, {"arch", arch}, {"workload", workload}, {"mode", mode}, {"seed", seed}};
  if (stress.enabled())
    j["stress"] = {{"seed", stress.seed},
                   {"dram_latency_jitter_cycles", stress.dram_latency_jitter_cycles},
                   {"dram_bandwidth_jitter_pct", stress.dram_bandwidth_jitter_pct},
                   {"backpressure_max_cycles", stress.backpressure_max_cycles}};
  return j;
}

std::vector<std::string> RegressCase::run_args(const std::string& dir) const {
  namespace fs = std::filesystem;
  auto path = [&](const std::string& p) {
    return fs::path(p).is_absolute() ? p : (fs::path(dir) / p).lexically_normal().string();
  };
  std::vector<std::string> a = {"run",    "--arch", path(arch), "--workload",        path(workload),
                                "--mode", mode,     "--seed",   std::to_string(seed)};
  if (stress.enabled()) {
    a.insert(a.end(), {"--stress-seed", std::to_string(stress.seed), "--dram-latency-jitter",
                       std::to_string(stress.dram_latency_jitter_cycles), "--dram-bandwidth-jitter",
                       std::to_string(stress.dram_bandwidth_jitter_pct), "--backpressure",
                       std::to_string(stress.backpressure_max_cycles)});
  }
  return a;
}

RegressSuite load_regress_suite(const std::string& dir) {
  const std::string file = dir + "/suite.json";
  const nlohmann::json doc = parse_json_file(file);
  ObjReader r(doc, file, "");
  RegressSuite s;
  s.dir = dir;
  r.get_string_or("description", "");
  s.rel_tol = r.get_double("rel_tol", 0.0, 1.0);
  std::set<std::string> names;
  for (ObjReader& c : r.object_array("cases", 1, 10000)) {
    RegressCase k;
    k.name = c.get_string("name");
    // The name is a file name in the suite folder.
    if (!valid_workload_name(k.name))
      c.fail("name",
             "expected 1 to 128 characters from A-Z a-z 0-9 _ . + -, not starting with "
             "a dot (it names the golden file)");
    if (k.name == "suite") c.fail("name", "\"suite\" is the suite file itself");
    if (!names.insert(k.name).second) c.fail("name", fmt::format("duplicate case \"{}\"", k.name));
    k.arch = c.get_string("arch");
    k.workload = c.get_string("workload");
    k.mode = c.get_enum("mode", {"cycle", "fast", "analytic"});
    k.seed = c.get_u64_or("seed", 1, 0, UINT64_MAX);
    if (c.has("stress")) {
      ObjReader st = c.object("stress");
      k.stress.seed = st.get_u64_or("seed", 1, 0, UINT64_MAX);
      k.stress.dram_latency_jitter_cycles =
          st.get_u64_or("dram_latency_jitter_cycles", 0, 0, kMaxStressCycles);
      k.stress.dram_bandwidth_jitter_pct = static_cast<uint32_t>(
          st.get_u64_or("dram_bandwidth_jitter_pct", 0, 0, kMaxBandwidthJitterPct));
      k.stress.backpressure_max_cycles =
          st.get_u64_or("backpressure_max_cycles", 0, 0, kMaxStressCycles);
      st.finish();
      if (k.stress.enabled() && k.mode == "analytic")
        c.fail("stress", "stress needs mode cycle or fast: the analytic model has no jitter");
    }
    c.finish();
    s.cases.push_back(std::move(k));
  }
  r.finish();
  return s;
}

}  // namespace kq
