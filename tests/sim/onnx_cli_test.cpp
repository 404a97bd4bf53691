// kqsim inspect and kqsim run --model/--inputs/--labels on ONNX graphs built in C++, and the
// agreement of the accuracy path (the datapath driven without SystemC) with the SystemC runs.
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "models/config/arch_config.hpp"
#include "models/onnx/onnx_model.hpp"
#include "models/quant/quantized_network.hpp"
#include "models/workload/npy.hpp"
#include "onnx_builder/test_models.hpp"
#include "sim/datapath/network_state.hpp"
#include "sim/inference/functional_pass.hpp"
#include "sim/process.hpp"
#include "sim/report_util.hpp"

namespace {

int lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

std::string arch_path(const std::string& name) {
  return kqtest::source_path("arch_configs/" + name);
}

/// The quadrant classifier, 40 samples and their labels in a fresh directory; with
/// `wrong_every` > 0 every such sample's label is rotated to a wrong class.
struct QuadrantFiles {
  std::string dir, model, inputs, labels;
};
QuadrantFiles quadrant_files(int wrong_every = 0) {
  QuadrantFiles f;
  f.dir = kqtest::make_temp_dir("onnxq");
  f.model = f.dir + "/quadrants.onnx";
  f.inputs = f.dir + "/x.npy";
  f.labels = f.dir + "/y.npy";
  kqtest::quadrant_classifier().save(f.model);
  kqtest::Samples s = kqtest::quadrant_samples(40, 3);
  if (wrong_every)
    for (size_t i = 0; i < s.n; i += wrong_every) s.labels[i] = (s.labels[i] + 1) % 4;
  kqtest::save_samples(s, {1, 8, 8}, f.inputs, f.labels);
  return f;
}

}  // namespace

TEST_CASE("kqsim inspect prints the layer table derived from an ONNX graph", "[onnx]") {
  const std::string dir = kqtest::make_temp_dir("inspect");
  kqtest::all_ops_model(2).save(dir + "/all_ops.onnx");
  auto r = kqtest::run_kqsim({"inspect", dir + "/all_ops.onnx"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  for (const char* s :
       {"opset 13", "all_ops: input 3x16x16, 13 layers", "c3", "k3x3 s1x1 p2x2 d2x2",
        "Conv c1 + BatchNormalization bn1 [weight c1.weight]", "cap 6", "MatMul mm + Add mm_bias",
        "total: 142,514 MACs"})
    CHECK(r.out.find(s) != std::string::npos);
  // --json: the same layers, as data.
  r = kqtest::run_kqsim({"inspect", dir + "/all_ops.onnx", "--json"});
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["totals"]["macs"] == 142514);
  CHECK(j["layers"].size() == 13);
  CHECK(j["layers"][6]["inputs"] == nlohmann::json::array({"c3", "c4"}));
  CHECK(j["onnx"]["opset"] == 13);
  // Workload files work too.
  r = kqtest::run_kqsim({"inspect", kqtest::source_path("workloads/resnet18.json")});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("total: 1,814,073,344 MACs") != std::string::npos);
}

TEST_CASE("broken or unsupported ONNX files exit 2 with one line naming the file", "[onnx]") {
  const std::string dir = kqtest::make_temp_dir("onnxbad");
  const std::string good = kqtest::all_ops_model(2).bytes();
  auto write = [&](const std::string& name, const std::string& bytes) {
    const std::string p = dir + "/" + name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  };
  kqtest::OnnxBuilder softmax = kqtest::all_ops_model(2);
  softmax.node("Softmax", {"y"}, {"p"}, "probs");
  softmax.graph().mutable_output(0)->set_name("p");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {write("truncated.onnx", good.substr(0, good.size() / 2)), "truncated or corrupt"},
      {write("empty.onnx", ""), "empty file"},
      {write("text.onnx", "this is not a model\n"), "truncated or corrupt"},
      {write("softmax.onnx", softmax.bytes()), "node \"probs\" (Softmax): unsupported operator"},
      {dir + "/missing.onnx", "cannot open file"}};
  for (const auto& [path, expect] : cases) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"inspect", path},
          std::vector<std::string>{"run", "--arch", arch_path("baseline_fp32_16x16.json"),
                                   "--model", path, "--out", dir + "/out"}}) {
      const auto r = kqtest::run_kqsim(args);
      INFO(args[0] << " " << path << ": " << r.err);
      CHECK(r.exit_code == 2);
      CHECK(lines(r.err) == 1);
      CHECK(r.err.find(path + ": ") != std::string::npos);
      CHECK(r.err.find(expect) != std::string::npos);
    }
  }
}

TEST_CASE("run --model with --inputs/--labels reports the accuracy of float and design", "[onnx]") {
  const QuadrantFiles f = quadrant_files();
  for (const char* a : {"baseline_int8_16x16.json", "kq_k256_16x16.json", "kcnn_m2_16x16.json"}) {
    INFO(a);
    const auto j = kqtest::run_report({"--arch", arch_path(a), "--model", f.model, "--inputs",
                                       f.inputs, "--labels", f.labels, "--threads", "2"});
    const auto& acc = j["accuracy"];
    CHECK(acc["samples"] == 40);
    CHECK(acc["classes"] == 4);
    CHECK(acc["float_reference"]["top1_accuracy"] == 1.0);
    REQUIRE(acc["designs"].size() == 1);
    const auto& d = acc["designs"][0];
    CHECK(d["top1_accuracy"] == 1.0);
    CHECK(d["top1_agreement_with_float"] == 1.0);
    // Cost next to accuracy: the run's own totals per sample, times 40 for the whole set.
    CHECK(d["cost_per_sample"]["energy_pj"] == j["totals"]["energy_pj"]);
    CHECK(d["cost_per_sample"]["multiplications"] == j["totals"]["multiplications"]);
    CHECK(d["cost_all_samples"]["multiplications"] ==
          40 * j["totals"]["multiplications"].get<uint64_t>());
    CHECK(j["values_computed"] == true);
    std::vector<std::string> roles;
    for (const auto& in : j["inputs"]) roles.push_back(in["role"]);
    CHECK(roles == std::vector<std::string>{"arch", "tech", "model", "inputs", "labels"});
    CHECK(j["workload"]["name"] == "quadrants");
  }
  // An .onnx passed as --workload is taken as the model.
  const auto as_workload = kqtest::run_report({"--arch", arch_path("baseline_int8_16x16.json"),
                                               "--workload", f.model, "--mode", "analytic"});
  CHECK(as_workload["inputs"][2]["role"] == "model");
  CHECK(as_workload["workload"]["layers"] == 5);
  // Wrong labels on every fifth sample: exactly 8 of 40 misses, in analytic mode too (the
  // accuracy path does not need the SystemC values).
  const QuadrantFiles w = quadrant_files(5);
  const auto j = kqtest::run_report({"--arch", arch_path("baseline_fp16_16x16.json"), "--model",
                                     w.model, "--inputs", w.inputs, "--labels", w.labels, "--mode",
                                     "analytic", "--check-samples"});
  CHECK(j["values_computed"] == false);
  CHECK(j["accuracy"]["float_reference"]["top1_correct"] == 32);
  CHECK(j["accuracy"]["designs"][0]["top1_correct"] == 32);
  CHECK(j["accuracy"]["designs"][0]["top5_correct"] == 40);
  CHECK(j["accuracy"]["designs"][0]["reference_violations"] == 0);
  CHECK(j["accuracy"]["designs"][0]["values_checked"].get<uint64_t>() > 40 * 200);
}

TEST_CASE("accuracy reports are byte-identical for any thread count", "[onnx]") {
  const QuadrantFiles f = quadrant_files(3);
  std::vector<std::string> reports;
  for (const char* threads : {"1", "2", "5"}) {
    const std::string out = kqtest::make_temp_dir("onnxdet") + "/out";
    const auto r = kqtest::run_kqsim({"run", "--arch", arch_path("kq_k256_16x16.json"), "--model",
                                      f.model, "--inputs", f.inputs, "--labels", f.labels,
                                      "--threads", threads, "--out", out, "-q"});
    REQUIRE(r.exit_code == 0);
    reports.push_back(kqtest::read_text(out + "/report.json") +
                      kqtest::read_text(out + "/summary.md"));
  }
  CHECK(reports[0] == reports[1]);
  CHECK(reports[0] == reports[2]);
  CHECK(reports[0].find("accuracy on 40 samples") != std::string::npos);
}

TEST_CASE("the accuracy path computes exactly the SystemC model's values", "[onnx]") {
  // For the same sample, every layer's output SQNR and largest reference error from a
  // SystemC run (fast and cycle) equal those of the datapath driven without SystemC.
  const std::string dir = kqtest::make_temp_dir("onnxagree");
  const std::string model = dir + "/all_ops.onnx", input = dir + "/x.npy";
  kqtest::all_ops_model(4).save(model);
  kq::Tensor x;
  x.shape = {1, 3, 16, 16};
  x.data = kqtest::random_values(768, 1.0, 21);
  kq::write_npy(input, x);
  const kq::OnnxModel m = kq::load_onnx_model(model);
  kq::NetworkParams p = m.params;
  p.input.data = x.data;
  for (const char* a :
       {"baseline_fp32_16x16.json", "baseline_bf16_16x16.json", "baseline_int8_16x16.json",
        "kcnn_m2_16x16.json", "kq_k256_16x16.json", "kq_rr_k64_16x16.json"}) {
    for (const char* mode : {"fast", "cycle"}) {
      if (std::string(mode) == "cycle" && std::string(a).find("kq_rr") == std::string::npos)
        continue;  // one cycle-mode run keeps the suite short; fast and cycle agree anyway
      INFO(a << " " << mode);
      const auto j = kqtest::run_report(
          {"--arch", arch_path(a), "--model", model, "--input", input, "--mode", mode});
      const kq::ArchConfig arch = kq::load_arch_config(arch_path(a));
      const kq::QuantizedNetwork q = kq::quantize_network(m.workload, arch, p, "");
      kq::NetworkState st(m.workload, arch, p, true, &q);
      kq::DesignDatapath(m.workload, arch, &q).run(st);
      REQUIRE(j["layers"].size() == m.workload.layers.size());
      for (size_t i = 0; i < m.workload.layers.size(); ++i) {
        INFO("layer " << i);
        const auto& l = j["layers"][i];
        const kq::LayerQuality& ql = st.quality()[i];
        if (std::isfinite(ql.output_sqnr_db))
          CHECK(l["output_sqnr_db"].get<double>() == ql.output_sqnr_db);
        else
          CHECK(l["output_sqnr_db"].is_null());
        CHECK(l["reference_check"]["max_abs_error"].get<double>() == ql.check.max_abs_error);
        CHECK(l["reference_check"]["violations"] == 0);
        CHECK(ql.check.violations == 0);
      }
    }
  }
}

TEST_CASE("bad --model/--inputs/--labels command lines exit 2 with one line", "[onnx]") {
  const QuadrantFiles f = quadrant_files();
  const std::string arch = arch_path("baseline_fp32_16x16.json");
  const std::string wl = kqtest::source_path("workloads/test/tiny_cnn.json");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--model", f.model, "--workload", wl}, "exactly one of --workload and --model"},
      {{}, "exactly one of --workload and --model"},
      {{"--model", f.model, "--inputs", f.inputs}, "--inputs and --labels go together"},
      {{"--model", f.model, "--inputs", f.labels, "--labels", f.labels},
       "y.npy: shape: expected [N, 1, 8, 8]"},
      {{"--workload", wl, "--inputs", f.inputs, "--labels", f.labels},
       "x.npy: shape: expected [N, 3, 16, 16]"},
      {{"--workload", kqtest::source_path("workloads/scalesim/small_convs.csv"), "--inputs",
        f.inputs, "--labels", f.labels},
       "need a connected network"}};
  for (const auto& [extra, expect] : cases) {
    std::vector<std::string> args = {"run", "--arch", arch, "--out", f.dir + "/out"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = kqtest::run_kqsim(args);
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(lines(r.err) == 1);
    CHECK(r.err.find(expect) != std::string::npos);
  }
}

TEST_CASE("fine-tuned KCNN planes go alongside the ONNX graph with --weights", "[onnx]") {
  const QuadrantFiles f = quadrant_files();
  // The box filter and its negative as one ±1 plane each (all +1, all −1) scaled by 1/9 in
  // fp16, and a second plane with α = 0: what a fine-tuning script would export for layer
  // "box" (the name kqsim inspect prints).
  const float ninth = 0.111083984375f;  // 1/9 rounded to fp16
  kq::Tensor planes, alpha;
  planes.shape = {2, 1, 2, 3, 3};
  planes.data.assign(36, 1.0f);
  for (int j = 18; j < 27; ++j) planes.data[j] = 0.0f;  // filter 1, plane 0: all −1
  alpha.shape = {2, 1, 2};
  alpha.data = {ninth, 0.0f, ninth, 0.0f};
  const std::string npz = f.dir + "/kcnn.npz";
  kq::write_npz(npz, {{"box.kcnn_planes", planes}, {"box.kcnn_alpha", alpha}});
  const std::vector<std::string> base = {"--arch",   arch_path("kcnn_m2_16x16.json"),
                                         "--model",  f.model,
                                         "--inputs", f.inputs,
                                         "--labels", f.labels};
  auto args = base;
  args.insert(args.end(), {"--weights", npz});
  const auto j = kqtest::run_report(args);
  CHECK(j["accuracy"]["designs"][0]["top1_accuracy"] == 1.0);
  CHECK(j["layers"][0]["name"] == "box");
  CHECK(j["layers"][0]["quantization"]["weight_sqnr_db"].is_null());  // imported, not fitted
  CHECK(j["layers"][0]["reference_check"]["violations"] == 0);
  bool listed = false;
  for (const auto& in : j["inputs"]) listed |= in["role"] == "weights" && in["path"] == npz;
  CHECK(listed);
  // The quantizer's own fit of the same layer is a different design point.
  const auto fitted = kqtest::run_report(base);
  CHECK(fitted["layers"][0]["quantization"]["weight_sqnr_db"].is_number());
  // Arrays for a layer the graph does not have are an error naming the file and the array.
  kq::write_npz(npz, {{"conv1.kcnn_planes", planes}, {"conv1.kcnn_alpha", alpha}});
  auto bad = args;
  bad.insert(bad.begin(), "run");
  bad.insert(bad.end(), {"--out", f.dir + "/bad"});
  const auto r = kqtest::run_kqsim(bad);
  CHECK(r.exit_code == 2);
  CHECK(lines(r.err) == 1);
  INFO(r.err);
  CHECK(r.err.find("kcnn.npz: conv1.kcnn_") != std::string::npos);
  CHECK(r.err.find("no layer of the workload") != std::string::npos);
}
