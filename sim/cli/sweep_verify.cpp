#include "sim/cli/sweep_verify.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "models/common/input_error.hpp"
#include "sim/cli/sweep_session.hpp"

extern char** environ;

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

struct Child {
  pid_t pid = -1;
  size_t design = 0;
  fs::path report_dir, log;
};

Child spawn(const std::vector<std::string>& args, const fs::path& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  Child c;
  const int rc = posix_spawn(&c.pid, "/proc/self/exe", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) c.pid = -1;
  return c;
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

  std::vector<Child> running;
  auto reap_one = [&] {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    for (size_t i = 0; i < running.size(); ++i) {
      if (running[i].pid != pid) continue;
      VerifiedDesign& d = designs[running[i].design];
      std::string error;
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        d.ran = read_report(running[i].report_dir, d, error);
      } else {
        std::istringstream log(read_text(running[i].log));
        std::getline(log, error);
        if (error.empty())
          error = WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                                    : "killed by signal " + std::to_string(WTERMSIG(status));
      }
      d.error = error;
      running.erase(running.begin() + static_cast<ptrdiff_t>(i));
      return;
    }
  };
  for (size_t i = 0; i < designs.size(); ++i) {
    VerifiedDesign& d = designs[i];
    const std::string id = "p" + std::to_string(d.point) + "_" + d.workload;
    const fs::path report_dir = dir / id;
    std::string error;
    if (fs::exists(report_dir / "report.json") && read_report(report_dir, d, error)) {
      d.ran = true;  // a resumed sweep: this design was verified before
      continue;
    }
    const fs::path arch = dir / ("p" + std::to_string(d.point) + ".json");
    write_design(s, d.point, arch);
    const SweepWorkload& w = s.spec().workloads[wl_index.at(d.workload)];
    std::vector<std::string> args = {"kqsim",
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
    while (running.size() >= std::max(1u, jobs)) reap_one();
    Child c = spawn(args, dir / (id + ".log"));
    if (c.pid < 0) {
      d.error = "cannot start kqsim run";
      continue;
    }
    c.design = i;
    c.report_dir = report_dir;
    c.log = dir / (id + ".log");
    running.push_back(c);
  }
  while (!running.empty()) reap_one();
}

}  // namespace kq
