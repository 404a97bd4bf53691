// Accuracy on labelled data: top-k ranking, labelled-data validation, and a handcrafted ONNX
// classifier whose labels are known, run through the float reference and through the
// datapath of every kind of design, in parallel threads.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <limits>

#include "models/accuracy/accuracy_result.hpp"
#include "models/accuracy/float_reference.hpp"
#include "models/accuracy/labelled_data.hpp"
#include "models/accuracy/topk.hpp"
#include "models/common/input_error.hpp"
#include "models/config/arch_config.hpp"
#include "models/onnx/onnx_model.hpp"
#include "models/quant/quantized_network.hpp"
#include "models/workload/npy.hpp"
#include "onnx_builder/test_models.hpp"
#include "sim/datapath/network_state.hpp"
#include "sim/inference/accuracy_eval.hpp"
#include "sim/inference/functional_pass.hpp"

namespace {

std::string temp_dir(const std::string& tag) {
  const auto p = std::filesystem::temp_directory_path() /
                 ("kqsim_acc_" + tag + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

kq::ArchConfig arch(const std::string& name) {
  return kq::load_arch_config(std::string(KQSIM_SOURCE_DIR) + "/arch_configs/" + name);
}

struct Quadrants {
  kq::OnnxModel model;
  kq::LabelledData data;
};

/// The handcrafted classifier and n labelled samples, written to and read back from .npy.
Quadrants quadrants(uint64_t n, const std::string& dir) {
  Quadrants q{
      kq::onnx_model_from_bytes(kqtest::quadrant_classifier().bytes(), "quadrants.onnx", "."), {}};
  kqtest::save_samples(kqtest::quadrant_samples(n, 11), {1, 8, 8}, dir + "/x.npy", dir + "/y.npy");
  q.data = kq::load_labelled_data(dir + "/x.npy", dir + "/y.npy", q.model.workload);
  return q;
}

}  // namespace

TEST_CASE("label ranks break ties towards the lower class and put NaN last", "[unit][accuracy]") {
  const std::vector<float> s = {0.1f, 0.7f, 0.7f, -1.0f, 0.3f, 0.2f, 0.0f};
  CHECK(kq::label_rank(s, 1) == 0);
  CHECK(kq::label_rank(s, 2) == 1);  // tied with class 1, which comes first
  CHECK(kq::label_rank(s, 4) == 2);
  CHECK(kq::label_rank(s, 3) == 6);
  CHECK(kq::top1_class(s) == 1);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> t = {nan, 0.5f, nan, 0.25f};
  CHECK(kq::label_rank(t, 1) == 0);
  CHECK(kq::label_rank(t, 3) == 1);
  CHECK(kq::label_rank(t, 0) == 2);
  CHECK(kq::label_rank(t, 2) == 3);
  CHECK(kq::top1_class(t) == 1);
  CHECK(kq::top1_class(std::vector<double>{nan, nan}) == 0);
  kq::TopKCounts c;
  for (uint64_t r : {0, 1, 4, 5, 9}) c.add(r);
  CHECK(c.samples == 5);
  CHECK(c.top1 == 1);
  CHECK(c.top5 == 3);
  CHECK(c.top5_accuracy() == 0.6);
}

TEST_CASE("the handcrafted classifier is exact in float and on every design", "[unit][accuracy]") {
  const std::string dir = temp_dir("quad");
  const Quadrants q = quadrants(64, dir);
  REQUIRE(q.model.workload.layers.size() == 5);  // conv(+bn), relu, maxpool, avgpool, fc
  CHECK(q.data.samples == 64);
  CHECK(q.data.labels[5] == 1);
  // The float reference's logits are the quadrants' pooled brightness: 2·1 + 0.05 = 2.05 for
  // the lit quadrant, whose every pixel is 1 (box filter of ones, BN scale 2 and shift 0.05).
  const kq::FloatReference ref(q.model.workload, q.model.params);
  const std::vector<double> logits = ref.run(q.data.sample(6).data);  // quadrant 2
  CHECK(logits[2] == Approx(2.05).epsilon(1e-6));
  for (int c : {0, 1, 3}) CHECK(logits[c] < 1.2);

  std::vector<kq::ArchConfig> archs;
  for (const char* a :
       {"baseline_fp32_16x16.json", "baseline_fp16_16x16.json", "baseline_int8_16x16.json",
        "kcnn_m2_16x16.json", "kq_k256_16x16.json", "kq_rr_k64_16x16.json"})
    archs.push_back(arch(a));
  std::vector<kq::QuantizedNetwork> qn;
  for (const auto& a : archs)
    qn.push_back(kq::quantize_network(q.model.workload, a, q.model.params, ""));
  std::vector<kq::DesignUnderTest> designs;
  for (size_t i = 0; i < archs.size(); ++i) designs.push_back({&archs[i], &qn[i]});
  kq::AccuracyOptions o;
  o.threads = 2;
  o.check_reference = true;
  size_t calls = 0, last_done = 0;
  o.on_progress = [&](size_t done, size_t total) {
    ++calls;
    CHECK(done == last_done + 1);  // serialised, in order
    CHECK(total == 64);
    last_done = done;
  };
  const kq::AccuracyResult r =
      kq::evaluate_accuracy(q.model.workload, q.model.params, designs, q.data, o);
  CHECK(calls == 64);
  CHECK(r.samples == 64);
  CHECK(r.classes == 4);
  CHECK(r.float_reference.counts.top1 == 64);
  REQUIRE(r.designs.size() == archs.size());
  for (const auto& d : r.designs) {
    INFO(d.name);
    CHECK(d.counts.top1 == 64);
    CHECK(d.counts.top5 == 64);
    CHECK(d.agreement_with_float == 64);
    CHECK(d.values_checked > 64 * 200);
    CHECK(d.reference_violations == 0);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("wrong labels count exactly; results do not depend on the thread count",
          "[unit][accuracy]") {
  const std::string dir = temp_dir("wrong");
  Quadrants q = quadrants(40, dir);
  // Rotate the labels of every fifth sample: those 8 become misses, the rest stay hits.
  for (size_t i = 0; i < q.data.samples; i += 5) q.data.labels[i] = (q.data.labels[i] + 1) % 4;
  const kq::ArchConfig a8 = arch("baseline_int8_16x16.json"), kq = arch("kq_k256_16x16.json");
  const kq::QuantizedNetwork q8 = kq::quantize_network(q.model.workload, a8, q.model.params, "");
  const kq::QuantizedNetwork qk = kq::quantize_network(q.model.workload, kq, q.model.params, "");
  std::vector<kq::AccuracyResult> runs;
  for (unsigned threads : {1u, 3u, 8u}) {
    kq::AccuracyOptions o;
    o.threads = threads;
    runs.push_back(kq::evaluate_accuracy(q.model.workload, q.model.params, {{&a8, &q8}, {&kq, &qk}},
                                         q.data, o));
  }
  for (const auto& r : runs) {
    CHECK(r.float_reference.counts.top1 == 32);
    CHECK(r.float_reference.counts.top5 == 40);  // 4 classes: top-5 always hits
    for (const auto& d : r.designs) {
      CHECK(d.counts.top1 == 32);
      CHECK(d.agreement_with_float == 40);
      CHECK(d.predictions == runs[0].designs[0].predictions);
      CHECK_FALSE(d.checked);
    }
    CHECK(kq::accuracy_to_json(r).dump() == kq::accuracy_to_json(runs[0]).dump());
  }
  // Without designs the float reference is computed on its own: the same outcome.
  const kq::AccuracyResult alone =
      kq::evaluate_accuracy(q.model.workload, q.model.params, {}, q.data);
  CHECK(alone.designs.empty());
  CHECK(alone.float_reference.counts.top1 == 32);
  CHECK(alone.float_reference.predictions == runs[0].float_reference.predictions);
  const auto j = kq::accuracy_to_json(runs[0], nullptr);
  CHECK(j["samples"] == 40);
  CHECK(j["float_reference"]["top1_accuracy"] == 0.8);
  CHECK(j["designs"][1]["design"] == "kq_k256_16x16");
  CHECK(j["designs"][1]["top1_drop_vs_float"] == 0.0);
  CHECK_FALSE(j["designs"][0].contains("cost_per_sample"));
  const std::vector<kq::SampleCost> costs = {{10.0, 7, 100, 0.2}, {5.0, 3, 50, 0.1}};
  const auto jc = kq::accuracy_to_json(runs[0], &costs);
  CHECK(jc["designs"][0]["cost_all_samples"]["energy_pj"] == 400.0);
  CHECK(jc["designs"][1]["cost_all_samples"]["multiplications"] == 120);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a design's accuracy comes from its own datapath values", "[unit][accuracy]") {
  // The datapath pass of a sample must leave the design's stored outputs as the fold kernels
  // compute them: the int8 design's logits are int8 levels, unlike the float reference's.
  const std::string dir = temp_dir("values");
  const Quadrants q = quadrants(4, dir);
  const kq::ArchConfig a8 = arch("baseline_int8_16x16.json");
  kq::NetworkParams p = q.model.params;
  p.input = q.data.sample(0);
  kq::NetworkState st(q.model.workload, a8, p, true, nullptr);
  kq::DesignDatapath(q.model.workload, a8, nullptr).run(st);
  const std::vector<float>& y = st.output(q.model.workload.layers.size() - 1);
  const double ref0 = kq::FloatReference(q.model.workload, q.model.params).run(p.input.data)[0];
  const double step = *std::max_element(y.begin(), y.end()) / 127;
  for (float v : y) CHECK(std::fabs(v / step - std::round(v / step)) < 1e-3);
  CHECK(y[0] != ref0);
  CHECK(std::fabs(y[0] - ref0) <= step);
  for (const auto& ql : st.quality()) CHECK(ql.check.violations == 0);
  // The accuracy path takes the float reference from the state's golden network: the two
  // must be the same computation, bit for bit.
  CHECK(st.golden(q.model.workload.layers.size() - 1) ==
        kq::FloatReference(q.model.workload, q.model.params).run(p.input.data));
  std::filesystem::remove_all(dir);
}

TEST_CASE("labelled data with a wrong shape, count, label or value is a clean error",
          "[unit][accuracy]") {
  const std::string dir = temp_dir("bad");
  const Quadrants q = quadrants(6, dir);
  const kq::Workload& w = q.model.workload;
  auto write = [&](const std::string& name, std::vector<uint64_t> shape, std::vector<float> v) {
    kq::Tensor t;
    t.shape = std::move(shape);
    t.data = std::move(v);
    kq::write_npy(dir + "/" + name, t);
    return dir + "/" + name;
  };
  const std::string x = dir + "/x.npy", y = dir + "/y.npy";
  CHECK_THROWS_WITH(
      kq::load_labelled_data(write("x3.npy", {6, 1, 8}, std::vector<float>(48)), y, w),
      Catch::Contains("x3.npy: shape: expected [N, 1, 8, 8]"));
  CHECK_THROWS_WITH(kq::load_labelled_data(write("x0.npy", {0, 1, 8, 8}, {}), y, w),
                    Catch::Contains("holds no samples"));
  std::vector<float> nan_x(6 * 64, 0.0f);
  nan_x[70] = std::nanf("");
  CHECK_THROWS_WITH(kq::load_labelled_data(write("xn.npy", {6, 1, 8, 8}, nan_x), y, w),
                    Catch::Contains("xn.npy") && Catch::Contains("NaN"));
  CHECK_THROWS_WITH(kq::load_labelled_data(x, write("y5.npy", {5}, std::vector<float>(5)), w),
                    Catch::Contains("y5.npy: shape: expected [6]"));
  CHECK_THROWS_WITH(kq::load_labelled_data(x, write("y4.npy", {6}, {0, 1, 2, 3, 4, 0}), w),
                    Catch::Contains("y4.npy: element 4: label 4 is not a class index in [0, 4)"));
  CHECK_THROWS_WITH(kq::load_labelled_data(x, write("yf.npy", {6}, {0, 1, 2.5f, 3, 0, 0}), w),
                    Catch::Contains("element 2: label 2.5"));
  // uint8 labels (image datasets) read as they are; an int64 beyond 2^53 would not be exact.
  kqtest::save_raw_npy(dir + "/yu.npy", "|u1", {6}, std::string("\x03\x02\x01\x00\x03\x01", 6));
  CHECK(kq::load_labelled_data(x, dir + "/yu.npy", w).labels ==
        std::vector<uint32_t>{3, 2, 1, 0, 3, 1});
  std::string big(48, '\0');
  big[8 * 2 + 7] = 0x01;  // element 2 = 2^56
  kqtest::save_raw_npy(dir + "/yb.npy", "<i8", {6}, big);
  CHECK_THROWS_WITH(kq::load_labelled_data(x, dir + "/yb.npy", w),
                    Catch::Contains("yb.npy: data: element 2 = 72057594037927936 is beyond"));
  // [N, 1] columns and float labels holding integers are fine.
  CHECK(kq::load_labelled_data(x, write("yc.npy", {6, 1}, {3, 2, 1, 0, 3, 2}), w).labels[0] == 3);
  std::filesystem::remove_all(dir);
}
