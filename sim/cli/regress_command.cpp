#include "sim/cli/regress_command.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "models/common/input_error.hpp"
#include "models/common/input_file.hpp"
#include "models/config/json_reader.hpp"
#include "models/regress/golden.hpp"
#include "models/regress/metric_diff.hpp"
#include "models/regress/regress_suite.hpp"
#include "sim/cli/child_process.hpp"
#include "sim/cli/exit_codes.hpp"

namespace kq {
namespace {

namespace po = boost::program_options;
namespace fs = std::filesystem;

/// A scratch folder for the cases' reports, removed however the command ends.
struct ScratchDir {
  std::string path;
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/kqsim_regress_XXXXXX";
    if (!mkdtemp(templ.data())) throw std::runtime_error("cannot create a temporary directory");
    path = templ;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

/// Replaces `path` atomically (a crash mid-update leaves the old golden intact).
void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp-" + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    out.close();
    if (!out) throw InputError(path, "", "cannot write the golden");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw InputError(path, "", "cannot write the golden: " + ec.message());
  }
}

std::string first_line(const std::string& s) {
  const std::string line = s.substr(0, s.find('\n'));
  return line.empty() ? std::string("(no message)") : line;
}

}  // namespace

int regress_command(int argc, char* argv[]) {
  po::options_description opts("kqsim regress options");
  std::string suite_dir;
  unsigned jobs = 0;
  opts.add_options()("help,h", "show this help")(
      "suite", po::value(&suite_dir)->default_value("tests/golden"),
      "suite folder: suite.json and one golden <case>.json per case")(
      "update", "rewrite every golden from the current models (prints what changed)")(
      "jobs,j", po::value(&jobs)->default_value(0),
      "cases run side by side (0: the machine's cores, at most 8)");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: kqsim regress [--suite DIR] [--update] [--jobs N]\n\n"
                   "Re-runs every case of the suite and compares each counter and cycle count\n"
                   "exactly, and energy, area and quality figures within the suite's relative\n"
                   "tolerance, against the stored goldens. Exit code 0: nothing moved; 1: some\n"
                   "metric changed or a case could not run; 2: bad suite or options.\n\n"
                << opts;
      return kExitOk;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "kqsim regress: %s (see kqsim regress --help)\n",
                 one_line(e.what()).c_str());
    return kExitBadInput;
  }
  const bool update = vm.count("update") > 0;
  if (jobs == 0) jobs = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  try {
    const RegressSuite suite = load_regress_suite(suite_dir);
    ScratchDir scratch;
    const std::string self = self_executable();
    std::vector<std::vector<std::string>> commands;
    for (const RegressCase& c : suite.cases) {
      std::vector<std::string> cmd = {self};
      for (auto& a : c.run_args(suite.dir)) cmd.push_back(std::move(a));
      cmd.insert(cmd.end(), {"--out", scratch.path + "/" + c.name, "-q"});
      commands.push_back(std::move(cmd));
    }
    std::printf("regress: %zu cases in %s (counters exact; floats within %g relative)\n",
                suite.cases.size(), suite.dir.c_str(), suite.rel_tol);
    std::fflush(stdout);
    const std::vector<ChildResult> results = run_children(commands, jobs);

    std::vector<MetricChange> changes;
    std::vector<std::string> failures;
    size_t changed_cases = 0;
    for (size_t i = 0; i < suite.cases.size(); ++i) {
      const RegressCase& c = suite.cases[i];
      if (results[i].exit_code != 0) {
        failures.push_back(fmt::format("{}: kqsim run exited with code {}: {}", c.name,
                                       results[i].exit_code, first_line(results[i].stderr_text)));
        continue;
      }
      const std::string report_path = scratch.path + "/" + c.name + "/report.json";
      const GoldenTable now = golden_from_report(parse_json_file(report_path));
      const std::string golden_path = suite.golden_path(c);
      std::vector<MetricChange> mine;
      std::error_code ec;
      if (fs::exists(golden_path, ec)) {
        try {
          const GoldenFile g = golden_from_text(
              read_input_file(golden_path, kMaxJsonFileBytes, "a golden file"), golden_path);
          if (g.case_spec != c.spec())
            mine.push_back({c.name, "(case)", "(definition)", g.case_spec.dump(), c.spec().dump()});
          auto d = diff_tables(c.name, g.table, now, suite.rel_tol);
          mine.insert(mine.end(), d.begin(), d.end());
        } catch (const InputError& e) {
          if (!update) {
            failures.push_back(fmt::format("{}: unreadable golden: {}", c.name, e.what()));
            continue;
          }
          mine.push_back({c.name, "(case)", "(golden)", "unreadable", "rewritten"});
        }
      } else if (update) {
        mine.push_back({c.name, "(case)", "(golden)", nullptr, "new"});
      } else {
        failures.push_back(
            fmt::format("{}: no golden {} (run kqsim regress --update)", c.name, golden_path));
        continue;
      }
      if (!mine.empty()) ++changed_cases;
      changes.insert(changes.end(), mine.begin(), mine.end());
      if (update) write_file_atomically(golden_path, golden_to_text({c.spec(), now}));
    }
    if (!changes.empty()) std::printf("\n%s\n", format_changes(changes).c_str());
    for (const auto& f : failures) std::printf("FAILED %s\n", one_line(f).c_str());
    const size_t metric_changes = static_cast<size_t>(std::count_if(
        changes.begin(), changes.end(), [](const MetricChange& m) { return m.metric[0] != '('; }));
    if (update)
      std::printf(
          "regress --update: %zu goldens rewritten, %zu of them changed (%zu metrics); "
          "%zu cases failed to run\n",
          suite.cases.size() - failures.size(), changed_cases, metric_changes, failures.size());
    else
      std::printf("regress: %zu of %zu cases changed (%zu metrics); %zu failed to run%s\n",
                  changed_cases, suite.cases.size(), metric_changes, failures.size(),
                  changes.empty() && failures.empty() ? ": all goldens match" : "");
    if (!failures.empty()) return kExitChanged;
    return update || changes.empty() ? kExitOk : kExitChanged;
  } catch (const InputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: internal error (please report): %s\n", one_line(e.what()).c_str());
    return kExitInternal;
  }
}

}  // namespace kq
