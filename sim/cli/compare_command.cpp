#include "sim/cli/compare_command.hpp"

#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include "models/accuracy/labelled_data.hpp"
#include "models/common/core_share.hpp"
#include "models/common/input_error.hpp"
#include "models/config/arch_config.hpp"
#include "models/config/tech_table.hpp"
#include "models/onnx/onnx_model.hpp"
#include "models/report/compare_report.hpp"
#include "models/report/output_dir.hpp"
#include "models/workload/workload.hpp"
#include "sim/cli/child_process.hpp"
#include "sim/cli/progress.hpp"

namespace kq {
namespace {

namespace po = boost::program_options;
namespace fs = std::filesystem;

/// The figures scripts/plot_compare.py draws, in page order (file stems under plots/).
const std::vector<std::pair<std::string, std::string>> kFigures = {
    {"multiplications_per_layer", "Multiplications per layer"},
    {"energy_breakdown", "Energy per design by component"},
    {"area_breakdown", "Area per design by component"},
    {"cycles_per_layer", "Cycles per layer"},
    {"energy_vs_sqnr", "Energy against output SQNR"},
    {"bits_per_weight", "Stored bits per weight"},
};
/// Drawn only when the comparison measured accuracy (--inputs/--labels).
const std::pair<std::string, std::string> kAccuracyFigure = {"energy_vs_top1",
                                                             "Energy against top-1 accuracy"};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

std::string first_line(const std::string& s) {
  const size_t end = s.find('\n');
  return end == std::string::npos ? s : s.substr(0, end);
}

std::string last_line(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  const size_t start = s.rfind('\n');
  return start == std::string::npos ? s : s.substr(start + 1);
}

/// A design's folder under runs/: its name, kept to characters safe in any file system.
std::string folder_name(const std::string& name) {
  std::string out;
  for (char c : name)
    out +=
        (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  return out.empty() ? "design" : out;
}

}  // namespace

int compare_command(int argc, char* argv[]) {
  po::options_description opts("kqsim compare options");
  std::string workload_path, baseline_path, out_dir, mode_name, weights_path, input_path;
  std::string model_path, inputs_path, labels_path;
  std::vector<std::string> arch_paths;
  uint64_t seed = 1;
  unsigned jobs = 0, threads = 0;
  opts.add_options()("help,h", "show this help")(
      "workload", po::value(&workload_path),
      "workload (workloads/*.json, or a SCALE-Sim topology .csv)")(
      "model", po::value(&model_path),
      "instead of --workload: a trained network as .onnx (its graph and weights, the same for "
      "every design)")(
      "inputs", po::value(&inputs_path),
      "labelled samples .npy [N,C,H,W]: top-1/top-5 accuracy of the float network and every "
      "design (needs --labels)")("labels", po::value(&labels_path),
                                 "class labels .npy [N] (integers) for --inputs")(
      "threads", po::value(&threads)->default_value(0),
      "accuracy worker threads per design's run (0: the cores shared among the --jobs runs at "
      "once; results do not depend on it)")(
      "baseline", po::value(&baseline_path)->required(),
      "the design every ratio refers to (e.g. arch_configs/baseline_fp32_16x16.json)")(
      "arch", po::value(&arch_paths)->required(), "a design to compare; repeat for several")(
      "out", po::value(&out_dir)->default_value("reports/compare"), "output directory (replaced)")(
      "mode", po::value(&mode_name)->default_value("fast"),
      "cycle | fast | analytic, for every design")(
      "weights", po::value(&weights_path), ".npz weights used by every design (see kqsim run)")(
      "input", po::value(&input_path), "input tensor .npy used by every design")(
      "seed", po::value(&seed)->default_value(1), "seed of the synthetic weights and input")(
      "jobs,j", po::value(&jobs)->default_value(0),
      "designs simulated at once, each in its own process (0: one per core)")(
      "no-check", "skip the comparison of each design with the golden reference")(
      "no-plots", "do not draw the figures (no matplotlib needed; the page has tables only)")(
      "quiet,q", "print nothing on success");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: kqsim compare (--workload W.json | --model M.onnx) --baseline B.json "
                   "--arch A.json "
                   "[--arch A2.json ...] [options]\n\n"
                   "Runs the workload with the same tensors on the baseline and every design "
                   "(one kqsim run each) and writes\ncompare.json, compare.csv, compare.md, "
                   "plots/ and index.html into --out, plus each run under runs/.\n\n"
                << opts;
      return 0;
    }
    po::notify(vm);
    // As in kqsim run: an .onnx given as the workload is the model.
    if (model_path.empty() && is_onnx_path(workload_path)) std::swap(model_path, workload_path);
    if (workload_path.empty() == model_path.empty())
      throw po::error("give exactly one of --workload and --model");
    if (inputs_path.empty() != labels_path.empty())
      throw po::error("--inputs and --labels go together");
  } catch (const po::error& e) {
    std::fprintf(stderr, "kqsim compare: %s (see kqsim compare --help)\n",
                 one_line(e.what()).c_str());
    return 2;
  }
  if (mode_name != "cycle" && mode_name != "fast" && mode_name != "analytic") {
    std::fprintf(stderr, "kqsim compare: --mode: expected cycle, fast or analytic, got \"%s\"\n",
                 mode_name.c_str());
    return 2;
  }
  std::vector<std::string> all_archs{baseline_path};
  all_archs.insert(all_archs.end(), arch_paths.begin(), arch_paths.end());
  std::vector<std::string> names;
  try {
    // Every input is validated before anything runs: a typo in the last design must not cost
    // the simulation of the others. The model and the labelled samples are read here too, so
    // a bad graph or a label out of range is one line, not one failure per child.
    const Workload w = model_path.empty() ? load_workload(workload_path)
                                          : load_onnx_model(model_path, seed).workload;
    if (!inputs_path.empty()) {
      if (w.independent_layers)
        throw InputError(workload_path, "",
                         "--inputs need a connected network; this topology is a list of "
                         "independent layers (timing and counts only)");
      load_labelled_data(inputs_path, labels_path, w);
    }
    std::set<std::string> seen;
    for (const std::string& path : all_archs) {
      const ArchConfig arch = load_arch_config(path);
      load_tech_table(arch.tech_file, arch.tech_node_nm);
      if (!seen.insert(arch.name).second)
        throw InputError(path, "/name",
                         "design name \"" + arch.name +
                             "\" is used by another design of this comparison; names label "
                             "the results, give each design its own");
      names.push_back(arch.name);
    }
    for (const std::string& f : {weights_path, input_path, inputs_path, labels_path})
      if (!f.empty() && !fs::is_regular_file(f)) throw InputError(f, "", "cannot open file");
  } catch (const InputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }

  try {
    StagedOutputDir out(out_dir);
    const std::string self = self_executable();
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    if (jobs == 0) jobs = cores;
    // Children run at once share the cores rather than each taking all of them (the accuracy
    // figures do not depend on the thread count).
    if (threads == 0) threads = threads_per_run(cores, jobs, all_archs.size());
    std::vector<std::vector<std::string>> commands;
    std::vector<std::string> run_dirs;
    for (size_t i = 0; i < all_archs.size(); ++i) {
      run_dirs.push_back("runs/" + folder_name(names[i]));
      std::vector<std::string> cmd{self,
                                   "run",
                                   "--arch",
                                   all_archs[i],
                                   model_path.empty() ? "--workload" : "--model",
                                   model_path.empty() ? workload_path : model_path,
                                   "--mode",
                                   mode_name,
                                   "--seed",
                                   std::to_string(seed),
                                   "--out",
                                   out.path() + "/" + run_dirs.back(),
                                   "--quiet"};
      if (!weights_path.empty()) cmd.insert(cmd.end(), {"--weights", weights_path});
      if (!inputs_path.empty())
        cmd.insert(cmd.end(), {"--inputs", inputs_path, "--labels", labels_path, "--threads",
                               std::to_string(threads)});
      if (!input_path.empty()) cmd.insert(cmd.end(), {"--input", input_path});
      if (vm.count("no-check")) cmd.push_back("--no-check");
      commands.push_back(cmd);
    }
    ProgressBar bar("designs");
    const std::vector<ChildResult> results =
        run_children(commands, jobs, [&](size_t done) { bar.update(done, commands.size()); });
    for (size_t i = 0; i < results.size(); ++i) {
      const ChildResult& r = results[i];
      if (r.exit_code == 0) continue;
      // A child's input error is already the one line the user needs (it names the file).
      if (r.exit_code == 2) {
        std::fprintf(stderr, "%s\n", first_line(r.stderr_text).c_str());
        return 2;
      }
      std::fprintf(stderr, "kqsim compare: the run of %s failed (exit %d): %s\n",
                   all_archs[i].c_str(), r.exit_code, last_line(r.stderr_text).c_str());
      return 1;
    }

    std::vector<CompareRun> runs;
    for (size_t i = 0; i < all_archs.size(); ++i) {
      CompareRun run;
      run.arch_path = all_archs[i];
      run.report_path = run_dirs[i] + "/report.json";
      run.report = nlohmann::ordered_json::parse(read_file(out.path() + "/" + run.report_path));
      runs.push_back(std::move(run));
    }
    const nlohmann::ordered_json c = compare_to_json(runs);
    out.write("compare.json", c.dump(2) + "\n");
    out.write("compare.csv", compare_csv(c));

    std::vector<PageFigure> figures;
    if (!vm.count("no-plots")) {
      // Python draws from compare.json only; it computes no figure of its own.
      const std::string scripts = env_or("KQSIM_SCRIPTS_DIR", KQSIM_SCRIPTS_DIR);
      const std::vector<std::string> plot{env_or("KQSIM_PYTHON", "/usr/bin/python3"),
                                          scripts + "/plot_compare.py",
                                          "--in",
                                          out.path() + "/compare.json",
                                          "--out",
                                          out.path() + "/plots"};
      const ChildResult pr = run_children({plot}, 1).front();
      if (pr.exit_code != 0) {
        std::fprintf(stderr,
                     "kqsim compare: drawing the figures failed (exit %d): %s (--no-plots skips "
                     "them)\n",
                     pr.exit_code, last_line(pr.stderr_text).c_str());
        return 1;
      }
      std::vector<std::pair<std::string, std::string>> drawn = kFigures;
      if (c.contains("accuracy")) drawn.push_back(kAccuracyFigure);
      for (const auto& [stem, title] : drawn)
        figures.push_back({title, stem, read_file(out.path() + "/plots/" + stem + ".png")});
    }
    out.write("compare.md", compare_markdown(c, figures));
    out.write("index.html", compare_html(c, figures));
    out.commit();
    if (!vm.count("quiet"))
      std::cout << compare_console(c) << "comparison: " << out_dir << "/compare.md, " << out_dir
                << "/index.html\n";
    return 0;
  } catch (const InputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kqsim compare: %s\n", e.what());
    return 1;
  }
}

}  // namespace kq
