#include "sim/cli/run_command.hpp"

#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <utility>

#include "models/common/input_error.hpp"
#include "models/config/arch_config.hpp"
#include "models/config/stress_config.hpp"
#include "models/config/tech_table.hpp"
#include "models/cost/analytic_model.hpp"
#include "models/mapping/count_headroom.hpp"
#include "models/mapping/schedule.hpp"
#include "models/onnx/onnx_model.hpp"
#include "models/quant/quantized_network.hpp"
#include "models/report/output_dir.hpp"
#include "models/report/run_report.hpp"
#include "models/workload/network_params.hpp"
#include "sim/cli/accuracy_run.hpp"
#include "sim/cli/exit_codes.hpp"
#include "sim/cli/progress.hpp"
#include "sim/modules/accelerator.hpp"
#include "sim/modules/test_fault.hpp"
#include "sim/modules/watchdog.hpp"

namespace kq {
namespace {

namespace po = boost::program_options;

/// Checks the stress options and fills `s`; returns the watchdog limit (0: default).
uint64_t read_stress(StressConfig& s, int64_t latency_jitter, int64_t bandwidth_jitter,
                     int64_t backpressure, int64_t watchdog, const std::string& mode) {
  auto in_range = [](const char* option, int64_t v, uint64_t max, const char* unit) {
    if (v < 0 || static_cast<uint64_t>(v) > max)
      throw InputError("kqsim run", option,
                       fmt::format("expected {} in [0, {}], got {}", unit, max, v));
    return static_cast<uint64_t>(v);
  };
  s.dram_latency_jitter_cycles =
      in_range("--dram-latency-jitter", latency_jitter, kMaxStressCycles, "cycles");
  s.dram_bandwidth_jitter_pct = static_cast<uint32_t>(in_range(
      "--dram-bandwidth-jitter", bandwidth_jitter, kMaxBandwidthJitterPct, "a percentage"));
  s.backpressure_max_cycles = in_range("--backpressure", backpressure, kMaxStressCycles, "cycles");
  if (s.enabled() && mode == "analytic")
    throw InputError("kqsim run", "--mode",
                     "stress options need --mode cycle or fast: the analytic model has no jitter");
  return in_range("--watchdog-cycles", watchdog, UINT64_MAX >> 1, "cycles");
}

/// A limit shorter than the quiet stretches of a correct run (a DRAM latency with its jitter
/// after a back-pressure hold) would stop healthy simulations.
void check_watchdog(uint64_t limit, const ArchConfig& arch, const StressConfig& s) {
  const uint64_t quiet =
      arch.dram.latency_cycles + s.dram_latency_jitter_cycles + s.backpressure_max_cycles + 2;
  if (limit && limit <= quiet)
    throw InputError("kqsim run", "--watchdog-cycles",
                     fmt::format("expected more than {} cycles (DRAM latency + jitter + "
                                 "back-pressure + 2: a healthy run can be that quiet), got {}",
                                 quiet, limit));
}

/// SystemC reports an unwritable trace file as an error of its own, after the simulation
/// has been elaborated; check it first so it is one line and exit code 2 like any bad path.
void check_writable_vcd(const std::string& path) {
  std::string file = path;
  if (file.size() <= 4 || file.substr(file.size() - 4) != ".vcd") file += ".vcd";
  std::error_code ec;
  const bool existed = std::filesystem::exists(file, ec);
  const bool ok = static_cast<bool>(std::ofstream(file, std::ios::app));
  if (!existed) std::filesystem::remove(file, ec);
  if (!ok) throw InputError(file, "--vcd", "cannot open for writing");
}

}  // namespace

int run_command(int argc, char* argv[]) {
  po::options_description opts("kqsim run options");
  std::string arch_path, workload_path, out_dir, mode_name, weights_path, input_path, vcd_path;
  std::string model_path, inputs_path, labels_path;
  unsigned threads = 0;
  uint64_t seed = 1;
  opts.add_options()("help,h", "show this help")("arch", po::value(&arch_path)->required(),
                                                 "architecture config (arch_configs/*.json)")(
      "workload", po::value(&workload_path),
      "workload (workloads/*.json, or a SCALE-Sim topology .csv)")(
      "model", po::value(&model_path),
      "instead of --workload: a trained network as .onnx (its graph and weights)")(
      "inputs", po::value(&inputs_path),
      "labelled samples .npy [N,C,H,W]: top-1/top-5 accuracy of the float network and the "
      "design (needs --labels)")("labels", po::value(&labels_path),
                                 "class labels .npy [N] (integers) for --inputs")(
      "threads", po::value(&threads)->default_value(0),
      "worker threads for --inputs (0: all cores; results do not depend on it)")(
      "check-samples", "check every value of every --inputs sample against the golden reference")(
      "out", po::value(&out_dir)->default_value("reports/run"), "output directory (replaced)")(
      "mode", po::value(&mode_name)->default_value("fast"),
      "cycle (every clock edge) | fast (event to event, same results) | analytic (closed form, "
      "no values)")("weights", po::value(&weights_path),
                    ".npz of \"<layer>.weight\"/\"<layer>.bias\" arrays (others stay synthetic)")(
      "input", po::value(&input_path), "input tensor .npy, [C,H,W] or [1,C,H,W]")(
      "seed", po::value(&seed)->default_value(1), "seed of the synthetic weights and input")(
      "vcd", po::value(&vcd_path), "write a waveform of handshakes and busy signals (cycle/fast)")(
      "no-check", "skip the comparison with the golden reference")(
      "no-values", "cycle/fast: timing and counts only, no output values")(
      "quiet,q", "print nothing on success");
  StressConfig stress;
  // Signed, so "-3" is reported as negative rather than wrapped to 2^64 − 3 by the parser.
  int64_t latency_jitter = 0, bandwidth_jitter = 0, backpressure = 0, watchdog = 0;
  po::options_description stress_opts(
      "stress (cycle/fast; off by default; timing only, values and counts unchanged)");
  stress_opts.add_options()("stress-seed", po::value(&stress.seed)->default_value(1),
                            "seed of the stress draws")(
      "dram-latency-jitter", po::value(&latency_jitter)->default_value(0),
      "each DRAM request waits up to this many extra cycles")(
      "dram-bandwidth-jitter", po::value(&bandwidth_jitter)->default_value(0),
      "each DRAM transfer runs up to this many percent slower (0-90)")(
      "backpressure", po::value(&backpressure)->default_value(0),
      "each compute job is held up to this many cycles by its output buffer")(
      "watchdog-cycles", po::value(&watchdog)->default_value(0),
      "cycle mode: stop with exit code 3 after this many cycles without progress (0: "
      "4 x (DRAM latency + jitter + back-pressure) + 10000)");
  opts.add(stress_opts);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: kqsim run --arch A.json (--workload W.json | --model M.onnx) "
                   "[options]\n\n"
                << opts;
      return 0;
    }
    po::notify(vm);
    // An .onnx given as the workload is a model (its graph and its weights).
    if (model_path.empty() && is_onnx_path(workload_path)) std::swap(model_path, workload_path);
    if (workload_path.empty() == model_path.empty())
      throw po::error("give exactly one of --workload and --model");
    if (inputs_path.empty() != labels_path.empty())
      throw po::error("--inputs and --labels go together");
  } catch (const po::error& e) {
    std::fprintf(stderr, "kqsim run: %s (see kqsim run --help)\n", one_line(e.what()).c_str());
    return kExitBadInput;
  }
  if (mode_name != "cycle" && mode_name != "fast" && mode_name != "analytic") {
    std::fprintf(stderr, "kqsim run: --mode: expected cycle, fast or analytic, got \"%s\"\n",
                 mode_name.c_str());
    return kExitBadInput;
  }
  const char* fault_env = std::getenv(kTestFaultVariable);
  const std::optional<TestFault> fault = parse_test_fault(fault_env ? fault_env : "");
  if (!fault) {
    std::fprintf(stderr,
                 "kqsim run: %s: expected array_extra_cycle, stuck_dram or stuck_array, got "
                 "\"%s\"\n",
                 kTestFaultVariable, one_line(fault_env).c_str());
    return kExitBadInput;
  }
  uint64_t watchdog_cycles = 0;
  try {
    watchdog_cycles =
        read_stress(stress, latency_jitter, bandwidth_jitter, backpressure, watchdog, mode_name);
    check_output_target(out_dir);  // a refused --out costs nothing
    const ArchConfig arch = load_arch_config(arch_path);
    const TechTable tech = load_tech_table(arch.tech_file, arch.tech_node_nm);
    // A trained ONNX network brings its weights; a workload file only its shapes.
    std::optional<OnnxModel> onnx;
    if (!model_path.empty()) onnx = load_onnx_model(model_path, seed);
    const Workload w = onnx ? onnx->workload : load_workload(workload_path);  // .json or .csv

    RunReport rep;
    rep.mode = mode_name;
    rep.seed = seed;
    rep.workload = &w;
    rep.arch = &arch;
    rep.tech = &tech;
    rep.inputs = {{"arch", arch_path},
                  {"tech", arch.tech_file},
                  onnx ? InputFile{"model", model_path} : InputFile{"workload", workload_path}};
    if (!weights_path.empty()) rep.inputs.push_back({"weights", weights_path});
    if (!input_path.empty()) rep.inputs.push_back({"input", input_path});
    if (!inputs_path.empty()) {
      rep.inputs.push_back({"inputs", inputs_path});
      rep.inputs.push_back({"labels", labels_path});
    }

    // Map the layers with the design's own options before any tensor is made or quantized,
    // so a buffer too small for one fold is reported at once, not after minutes of k-means.
    // (KCNN sharing or zero-skipping counts from the planes, and imported KQ codebooks set
    // their own K: those are checked after quantization, below.)
    const bool counts_need_planes =
        arch.kcnn && (arch.kcnn->window_sum_sharing || arch.kcnn->zero_skip);
    if (!counts_need_planes && !(arch.kq && !weights_path.empty()))
      for (const Layer& l : w.layers) Schedule(l, arch);

    // Imported SCALE-Sim layer lists read independent inputs of their own shapes: no values.
    const bool connected = !w.independent_layers;
    if (!connected && (!weights_path.empty() || !input_path.empty() || !inputs_path.empty()))
      throw InputError(workload_path, "",
                       "--weights/--input/--inputs need a connected network; this topology is a "
                       "list of independent layers (timing and counts only)");
    std::optional<LabelledData> data;
    if (!inputs_path.empty()) data = load_labelled_data(inputs_path, labels_path, w);
    // Tensors are needed for values; supplied files are validated in every mode.
    // A KCNN design quantizes the float weights offline in every mode: its counts and quality
    // figures depend on the planes.
    NetworkParams params;
    if (onnx) {
      params = std::move(onnx->params);
      load_params(w, weights_path, input_path, params);
    } else if ((mode_name != "analytic" && connected) || arch.kcnn || arch.kq || data ||
               !weights_path.empty() || !input_path.empty()) {
      params = synthetic_params(w, seed);
      load_params(w, weights_path, input_path, params);
    }
    // The simulated run's values use the first labelled sample unless --input names one.
    if (data && input_path.empty()) params.input = data->sample(0);
    QuantizedNetwork quantized;
    try {
      quantized = quantize_network(w, arch, params, weights_path);
    } catch (const std::invalid_argument& e) {
      throw InputError(weights_path.empty() ? arch_path : weights_path, arch.kq ? "/kq" : "/kcnn",
                       e.what());
    }
    rep.quantized = &quantized;
    rep.params = &params;
    // Check every layer maps onto the buffers before any simulation starts.
    for (size_t i = 0; i < w.layers.size(); ++i)
      Schedule(w.layers[i], arch, quantized.kcnn_layer(i), quantized.kq_layer(i));
    // The fp32 MAC array of the same size, for the savings a report states (closed form).
    const ArchConfig baseline_arch = fp32_mac_baseline(arch);
    // Counters are uint64 sums: refuse a design × network whose counts could wrap.
    check_count_headroom(w, arch, stress, &quantized);
    check_count_headroom(w, baseline_arch, StressConfig{});
    const NetworkCost baseline = analytic_network(w, baseline_arch);
    rep.baseline_arch = &baseline_arch;
    rep.baseline = &baseline;

    if (mode_name == "analytic") {
      rep.cost = analytic_network(w, arch, &quantized);
      rep.values_note = "analytic mode computes counts and cycles only";
    } else {
      SimOptions so;
      so.mode = mode_name == "cycle" ? SimMode::cycle : SimMode::fast;
      so.values = connected && !vm.count("no-values");
      so.check_reference = !vm.count("no-check");
      so.vcd_path = vcd_path;
      so.stress = stress;
      check_watchdog(watchdog_cycles, arch, stress);
      so.watchdog_cycles = watchdog_cycles;
      so.test_fault = *fault;
      if (!vcd_path.empty()) check_writable_vcd(vcd_path);
      ProgressBar bar("layers");
      so.on_layer_done = [&bar](size_t done, size_t total) { bar.update(done, total); };
      SimResult sr = simulate(w, arch, connected ? &params : nullptr, &quantized, so);
      rep.cost = std::move(sr.cost);
      rep.quality = std::move(sr.quality);
      rep.golden_output_fnv1a64 = sr.golden_output_fnv1a64;
      rep.output_fnv1a64 = std::move(sr.output_fnv1a64);
      rep.stress = &stress;
      if (*fault != TestFault::none) rep.test_fault = fault_env;
      if (!connected) rep.values_note = "independent layers (SCALE-Sim topology): no values";
      if (vm.count("no-values")) rep.values_note = "--no-values: timing and counts only";
    }
    if (data)
      rep.accuracy = run_accuracy(w, params, arch, tech, quantized, *data, rep.cost, threads,
                                  vm.count("check-samples") > 0);
    const auto json = report_to_json(rep);
    write_output_dir(out_dir, {{"report.json", json.dump(2) + "\n"},
                               {"layers.csv", report_layers_csv(json)},
                               {"summary.md", report_summary_md(json)}});
    if (!vm.count("quiet"))
      std::cout << report_console_table(json) << "report: " << out_dir << "/report.json\n";
    return kExitOk;
  } catch (const InputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitBadInput;
  } catch (const SimulationStuck& e) {
    std::fprintf(stderr, "error: %s\n", one_line(e.what()).c_str());
    return kExitStuck;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "error: out of memory (a smaller workload, array or --no-values?)\n");
    return kExitInternal;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: internal error (please report): %s\n", one_line(e.what()).c_str());
    return kExitInternal;
  }
}

}  // namespace kq
