// kqsim compare --model with --inputs/--labels: every design's accuracy in compare.json is the
// one its own `kqsim run` reports, the float reference appears once, the pages show it, and
// bad command lines are one line with exit code 2.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "models/accuracy/float_reference.hpp"
#include "models/accuracy/topk.hpp"
#include "models/onnx/onnx_model.hpp"
#include "models/workload/synthetic.hpp"
#include "onnx_builder/test_models.hpp"
#include "sim/process.hpp"
#include "sim/report_util.hpp"

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr uint64_t kSamples = 24;

const std::vector<const char*> kDesigns = {"arch_configs/baseline_fp32_16x16.json",
                                           "arch_configs/kcnn_m2_16x16.json",
                                           "arch_configs/kq_k256_16x16.json"};

int lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

struct ModelFiles {
  std::string dir, model, inputs, labels;
};

/// The small CNN with N(0, 1) images labelled by the float model, every fourth label rotated
/// to a wrong class: the float reference scores exactly 18 of 24, and the quantized designs,
/// which disagree with it on some samples, score otherwise.
ModelFiles model_files() {
  ModelFiles f;
  f.dir = kqtest::make_temp_dir("cmpacc");
  f.model = f.dir + "/small_cnn.onnx";
  f.inputs = f.dir + "/x.npy";
  f.labels = f.dir + "/y.npy";
  kqtest::small_cnn(1).save(f.model);
  const kq::OnnxModel m = kq::load_onnx_model(f.model);
  const kq::FloatReference ref(m.workload, m.params);
  kqtest::Samples s;
  s.n = kSamples;
  s.inputs.resize(kSamples * 784);
  kq::Rng r(7);
  for (float& v : s.inputs) v = static_cast<float>(r.normal());
  for (uint64_t i = 0; i < kSamples; ++i) {
    const std::vector<float> x(s.inputs.begin() + static_cast<std::ptrdiff_t>(i * 784),
                               s.inputs.begin() + static_cast<std::ptrdiff_t>((i + 1) * 784));
    const int64_t top1 = static_cast<int64_t>(kq::top1_class(ref.run(x)));
    s.labels.push_back(i % 4 == 0 ? (top1 + 1) % 10 : top1);
  }
  kqtest::save_samples(s, {1, 28, 28}, f.inputs, f.labels);
  return f;
}

std::vector<std::string> compare_args(const ModelFiles& f, const std::string& out) {
  std::vector<std::string> a{"compare", "--model", f.model, "--baseline",
                             kqtest::source_path(kDesigns[0])};
  for (size_t i = 1; i < kDesigns.size(); ++i)
    a.insert(a.end(), {"--arch", kqtest::source_path(kDesigns[i])});
  a.insert(a.end(), {"--out", out, "-q"});
  return a;
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> cells(1);
  for (char ch : line) {
    if (ch == ',')
      cells.emplace_back();
    else
      cells.back() += ch;
  }
  return cells;
}

json read_json(const std::string& path) {
  return json::parse(kqtest::read_text(path));
}

}  // namespace

TEST_CASE("compare --model --inputs --labels states each design's own accuracy", "[compare]") {
  const ModelFiles f = model_files();
  const std::string out = f.dir + "/out";
  auto args = compare_args(f, out);
  args.insert(args.end(), {"--inputs", f.inputs, "--labels", f.labels, "--threads", "2"});
  const auto r = kqtest::run_kqsim(args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json c = read_json(out + "/compare.json");
  REQUIRE(c.contains("accuracy"));
  CHECK(c["accuracy"]["samples"] == kSamples);
  CHECK(c["accuracy"]["classes"] == 10);
  CHECK(c["accuracy"]["float_reference"]["top1_correct"] == 18);
  CHECK(c["tensors"]["identical_across_designs"] == true);
  CHECK(c["tensors"]["designs_with_tensors"].size() == kDesigns.size());
  std::vector<std::string> roles;
  for (const auto& in : c["inputs"]) roles.push_back(in["role"]);
  CHECK(roles == std::vector<std::string>{"model", "inputs", "labels"});

  // Independent runs of every design, as a user would start them (other thread count too).
  std::vector<uint64_t> top1;
  for (size_t i = 0; i < kDesigns.size(); ++i) {
    const json run =
        kqtest::run_report({"--arch", kqtest::source_path(kDesigns[i]), "--model", f.model,
                            "--inputs", f.inputs, "--labels", f.labels, "--threads", "1"});
    const json& e = c["designs"][i];
    INFO("design " << e["name"]);
    json own = run["accuracy"]["designs"][0];
    CHECK(own["design"] == e["name"]);
    own.erase("design");
    CHECK(e["accuracy"] == own);
    CHECK(run["accuracy"]["float_reference"] == c["accuracy"]["float_reference"]);
    CHECK(run["tensors"]["weights_fnv1a64"] == c["tensors"]["weights_fnv1a64"]);
    // Accuracy sits next to the costs it was bought with.
    CHECK(e["accuracy"]["cost_per_sample"]["energy_pj"] == e["totals"]["energy_pj"]);
    CHECK(e["accuracy"]["cost_per_sample"]["multiplications"] == e["totals"]["multiplications"]);
    top1.push_back(e["accuracy"]["top1_correct"].get<uint64_t>());
  }
  // The fp32 baseline computes what the float reference does; the quantized designs lose some
  // samples (else this test could not tell one design's figures from another's).
  CHECK(top1[0] == 18);
  CHECK((top1[1] != 18 || top1[2] != 18));

  const std::string md = kqtest::read_text(out + "/compare.md");
  CHECK(md.find("| top-1 accuracy (%), float reference 75.00 | 75.00 (= float) |") !=
        std::string::npos);
  CHECK(md.find("top-5 accuracy (%), float reference") != std::string::npos);
  CHECK(md.find("## Accuracy on 24 labelled samples (10 classes)") != std::string::npos);
  CHECK(md.find("| float reference (fp64) | 75.00 |") != std::string::npos);
  CHECK(md.find("plots/energy_vs_top1.png") != std::string::npos);
  CHECK(fs::is_regular_file(out + "/plots/energy_vs_top1.svg"));
  CHECK(kqtest::read_text(out + "/index.html").find("id=\"energy_vs_top1\"") != std::string::npos);
  // compare.csv: the accuracy columns, filled on each design's total row only.
  const std::string csv = kqtest::read_text(out + "/compare.csv");
  const std::vector<std::string> header = split(csv.substr(0, csv.find('\n')));
  const size_t kq_total = csv.find("\nkq_k256_16x16,total,network,");
  REQUIRE(kq_total != std::string::npos);
  const std::vector<std::string> row =
      split(csv.substr(kq_total + 1, csv.find('\n', kq_total + 1) - kq_total - 1));
  REQUIRE(row.size() == header.size());
  auto cell = [&](const std::string& column) {
    const auto it = std::find(header.begin(), header.end(), column);
    REQUIRE(it != header.end());
    return row[static_cast<size_t>(it - header.begin())];
  };
  const json& kq = c["designs"][2]["accuracy"];
  CHECK(std::stod(cell("top1_accuracy")) == kq["top1_accuracy"].get<double>());
  CHECK(std::stod(cell("top5_accuracy")) == kq["top5_accuracy"].get<double>());
  CHECK(std::stod(cell("top1_drop_vs_float")) == kq["top1_drop_vs_float"].get<double>());
  CHECK(std::stod(cell("float_top1_accuracy")) == 0.75);
  const size_t first_layer = csv.find('\n', kq_total + 1) + 1;
  const std::vector<std::string> layer_row =
      split(csv.substr(first_layer, csv.find('\n', first_layer) - first_layer));
  REQUIRE(layer_row.size() == header.size());
  CHECK(layer_row.back().empty());
}

TEST_CASE("compare --model without --inputs has no accuracy rows", "[compare]") {
  const ModelFiles f = model_files();
  const std::string out = f.dir + "/out";
  auto args = compare_args(f, out);
  args.insert(args.end(), {"--mode", "analytic", "--no-plots"});
  // An .onnx given as --workload is the model, as for kqsim run.
  args[1] = "--workload";
  const auto r = kqtest::run_kqsim(args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json c = read_json(out + "/compare.json");
  CHECK_FALSE(c.contains("accuracy"));
  CHECK_FALSE(c["designs"][0].contains("accuracy"));
  CHECK(c["inputs"][0]["role"] == "model");
  CHECK(c["workload"]["name"] == "small_cnn");
  // The graph's trained weights, the same in every run.
  CHECK(c["tensors"]["designs_with_tensors"].size() == kDesigns.size());
  CHECK(kqtest::read_text(out + "/compare.md").find("accuracy") == std::string::npos);
  CHECK(kqtest::read_text(out + "/compare.csv").find("top1") == std::string::npos);
}

TEST_CASE("bad compare --model/--inputs/--labels: one line, exit 2, no output", "[compare]") {
  const ModelFiles f = model_files();
  const std::string out = f.dir + "/out";
  const std::string base = kqtest::source_path(kDesigns[0]);
  const std::string arch = kqtest::source_path(kDesigns[1]);
  const std::string wl = kqtest::source_path("workloads/test/tiny_cnn.json");
  std::ofstream(f.dir + "/broken.onnx") << "not a model\n";
  struct Case {
    std::vector<std::string> args;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {{"--model", f.model, "--inputs", f.inputs}, "--inputs and --labels go together"},
      {{"--model", f.model, "--labels", f.labels}, "--inputs and --labels go together"},
      {{"--model", f.model, "--workload", wl}, "exactly one of --workload and --model"},
      {{}, "exactly one of --workload and --model"},
      {{"--model", f.dir + "/broken.onnx"}, "broken.onnx: "},
      {{"--model", f.dir + "/missing.onnx"}, "missing.onnx"},
      {{"--model", f.model, "--inputs", f.dir + "/none.npy", "--labels", f.labels}, "none.npy"},
      // Labelled samples of another shape than the network's input.
      {{"--workload", wl, "--inputs", f.inputs, "--labels", f.labels},
       "x.npy: shape: expected [N, 3, 16, 16]"},
  };
  for (const Case& k : cases) {
    std::vector<std::string> a{"compare", "--baseline", base, "--arch", arch};
    a.insert(a.end(), k.args.begin(), k.args.end());
    a.insert(a.end(), {"--out", out, "--no-plots"});
    const auto r = kqtest::run_kqsim(a);
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(lines(r.err) == 1);
    CHECK(r.err.find(k.expect) != std::string::npos);
    CHECK_FALSE(fs::exists(out));
  }
}
