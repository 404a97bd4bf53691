#include "sim/cli/sweep_verify.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "models/common/input_error.hpp"
#include "sim/cli/child_process.hpp"
#include "sim/cli/sweep_session.hpp"

namespace kq {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The design file a child reads: the point's patched design, its technology table made
/// absolute (the file moves to another folder) and its name saying which point it is.
void write_design(SweepSession& s, uint64_t point, const fs::path& path) {
  nlohmann::json doc = s.space().design(point);
  if (doc.contains("tech") && doc["tech"].is_object() && doc["tech"].contains("table") &&
      doc["tech"]["table"].is_string()) {
    fs::path t(doc["tech"]["table"].get<std::string>());
    if (t.is_relative()) t = fs::path(s.spec().base_path).parent_path() / t;
    doc["tech"]["table"] = fs::absolute(t).lexically_normal().string();
  }
  if (doc.contains("name") && doc["name"].is_string())
    doc["name"] = doc["name"].get<std::string>() + "_p" + std::to_string(point);
  const fs::path tmp = path.string() + ".tmp";
  std::ofstream(tmp) << doc.dump(2) << "\n";
  fs::rename(tmp, path);
}

/// The cycle model's totals from a child's report.json.
bool read_report(const fs::path& dir, VerifiedDesign& d, std::string& error) {
  try {
    const nlohmann::json r = nlohmann::json::parse(read_text(dir / "report.json"));
    const nlohmann::json& t = r.at("totals");
    d.cycle_cycles = t.at("cycles").get<uint64_t>();
    d.cycle_energy_mj = t.at("energy_pj").get<double>() * 1e-9;
    d.cycle_dram_bytes = t.at("dram_bytes").get<uint64_t>();
    return true;
  } catch (const std::exception& e) {
    error = std::string("unreadable report: ") + e.what();
    return false;
  }
}

}  // namespace

void verify_designs(std::vector<VerifiedDesign>& designs, SweepSession& s,
                    const std::string& out_dir, unsigned jobs) {
  const fs::path dir = fs::path(out_dir) / "verify";
  fs::create_directories(dir);
  std::map<std::string, size_t> wl_index;
  const std::vector<std::string> names = s.workload_names();
  for (size_t i = 0; i < names.size(); ++i) wl_index[names[i]] = i;
  const std::string exe = self_executable();
  std::vector<std::vector<std::string>> commands;
  std::vector<size_t> design_of;
  for (size_t i = 0; i < designs.size(); ++i) {
    VerifiedDesign& d = designs[i];
    const fs::path report_dir = dir / ("p" + std::to_string(d.point) + "_" + d.workload);
    std::string error;
    if (fs::exists(report_dir / "report.json") && read_report(report_dir, d, error)) {
      d.ran = true;  // a resumed sweep: this design was verified before
      continue;
    }
    const fs::path arch = dir / ("p" + std::to_string(d.point) + ".json");
    write_design(s, d.point, arch);
    const SweepWorkload& w = s.spec().workloads[wl_index.at(d.workload)];
    std::vector<std::string> args = {exe,
                                     "run",
                                     "--arch",
                                     arch.string(),
                                     "--workload",
                                     w.path,
                                     "--mode",
                                     "cycle",
                                     "--no-values",
                                     "--seed",
                                     std::to_string(s.spec().seed),
                                     "--out",
                                     report_dir.string(),
                                     "-q"};
    if (!w.weights.empty()) {
      args.push_back("--weights");
      args.push_back(w.weights);
    }
    commands.push_back(std::move(args));
    design_of.push_back(i);
  }
  const std::vector<ChildResult> results = run_children(commands, jobs);
  for (size_t c = 0; c < results.size(); ++c) {
    VerifiedDesign& d = designs[design_of[c]];
    const fs::path report_dir = dir / ("p" + std::to_string(d.point) + "_" + d.workload);
    if (results[c].exit_code == 0) {
      d.ran = read_report(report_dir, d, d.error);
    } else {
      std::istringstream err(results[c].stderr_text);
      std::getline(err, d.error);
      if (d.error.empty()) d.error = "exit code " + std::to_string(results[c].exit_code);
    }
  }
}

}  // namespace kq
