// ONNX import: graphs built through the protobuf API with known weights, checked layer by
// layer (geometry, shapes, MACs, parameters from their closed forms), value by value against
// the golden reference computed on the unfolded graph, and with every kind of broken input.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "models/accuracy/float_reference.hpp"
#include "models/common/input_error.hpp"
#include "models/onnx/onnx_model.hpp"
#include "models/quant/reference.hpp"
#include "models/workload/workload.hpp"
#include "onnx_builder/test_models.hpp"

namespace {

using kq::LayerType;
using kqtest::OnnxBuilder;
using kqtest::set_attr;

kq::OnnxModel import(const OnnxBuilder& b, const std::string& dir = ".") {
  return kq::onnx_model_from_bytes(b.bytes(), "net.onnx", dir);
}

/// The InputError message of importing `b` ("" if it imports).
std::string import_error(const OnnxBuilder& b) {
  try {
    import(b);
  } catch (const kq::InputError& e) {
    return e.what();
  }
  return "";
}

std::string temp_dir(const std::string& tag) {
  const auto p = std::filesystem::temp_directory_path() /
                 ("kqsim_onnx_" + tag + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

const onnx::TensorProto* find_initializer(const OnnxBuilder& b, const std::string& name) {
  for (const auto& t : const_cast<OnnxBuilder&>(b).graph().initializer())
    if (t.name() == name) return &t;
  return nullptr;
}

std::vector<float> floats_of(const OnnxBuilder& b, const std::string& name) {
  const onnx::TensorProto* t = find_initializer(b, name);
  REQUIRE(t);
  std::vector<float> v(t->raw_data().size() / 4);
  std::memcpy(v.data(), t->raw_data().data(), t->raw_data().size());
  return v;
}

/// A one-conv model for the error cases: x [1, 2, 6, 6] → Conv 2→3 3×3 → y.
OnnxBuilder one_conv(int64_t opset = 13) {
  OnnxBuilder b(opset);
  b.input("x", {1, 2, 6, 6});
  b.initializer("w", {3, 2, 3, 3}, kqtest::random_values(54, 0.3, 1));
  b.node("Conv", {"x", "w"}, {"y"}, "conv");
  b.output("y");
  return b;
}

}  // namespace

TEST_CASE("every supported operator maps onto kqsim layers with exact geometry and counts",
          "[unit][onnx]") {
  const kq::OnnxModel m = import(kqtest::all_ops_model(3));
  const kq::Workload& w = m.workload;
  CHECK(w.name == "net");
  CHECK(w.input == kq::Shape{3, 16, 16});
  // BatchNormalizations bn1, bn3 fold into their convs, the bias Add into the MatMul; Clip is
  // a capped ReLU; Flatten is no layer.
  const std::vector<std::pair<std::string, LayerType>> expect = {
      {"c1", LayerType::conv2d},     {"r1", LayerType::relu},    {"c2", LayerType::conv2d},
      {"clip", LayerType::relu},     {"c3", LayerType::conv2d},  {"c4", LayerType::conv2d},
      {"add", LayerType::add},       {"mp", LayerType::maxpool}, {"ap", LayerType::avgpool},
      {"bn5", LayerType::batchnorm}, {"fc1", LayerType::fc},     {"r2", LayerType::relu},
      {"mm", LayerType::fc}};
  REQUIRE(w.layers.size() == expect.size());
  for (size_t i = 0; i < expect.size(); ++i) {
    INFO(i);
    CHECK(w.layers[i].name == expect[i].first);
    CHECK(w.layers[i].type == expect[i].second);
  }
  const auto& c1 = w.layers[0];
  CHECK(c1.out == kq::Shape{8, 16, 16});
  CHECK(c1.bias);
  CHECK(c1.macs() == 16ull * 16 * 8 * 3 * 9);
  CHECK(c1.params() == 8ull * 3 * 9 + 8);
  const auto& c2 = w.layers[2];
  CHECK(c2.groups == 8);
  CHECK(c2.sh == 2);
  CHECK(c2.ph == 1);
  CHECK(c2.out == kq::Shape{8, 8, 8});
  CHECK(c2.macs() == 8ull * 8 * 8 * 9);
  CHECK_FALSE(c2.bias);
  CHECK(w.layers[3].relu_cap == 6.0f);
  const auto& c3 = w.layers[4];
  CHECK(c3.dh == 2);
  CHECK(c3.ph == 2);
  CHECK(c3.out == kq::Shape{16, 8, 8});
  CHECK(c3.bias);  // from the folded BatchNormalization
  CHECK(c3.inputs == std::vector<int>{3});
  CHECK(w.layers[5].inputs == std::vector<int>{3});  // c4 reads the clip's output too
  CHECK(w.layers[6].inputs == std::vector<int>{4, 5});
  CHECK(w.layers[7].out == kq::Shape{16, 4, 4});
  CHECK(w.layers[7].sh == 2);
  CHECK(w.layers[8].out == kq::Shape{16, 2, 2});
  CHECK(w.layers[9].params() == 32);
  const auto& fc1 = w.layers[10];
  CHECK(fc1.in == kq::Shape{16, 2, 2});
  CHECK(fc1.out == kq::Shape{10, 1, 1});
  CHECK(fc1.macs() == 640);
  CHECK(w.layers[12].out.c == 5);
  CHECK(w.layers[12].bias);
  CHECK(w.total_macs() ==
        16ull * 16 * 8 * 27 + 8 * 8 * 8 * 9 + 8 * 8 * 16 * 72 + 8 * 8 * 16 * 8 + 640 + 50);
  // Provenance: the folded nodes and the weight initializers.
  CHECK(m.sources[0].nodes == std::vector<std::string>{"Conv c1", "BatchNormalization bn1"});
  CHECK(m.sources[0].weight_initializer == "c1.weight");
  CHECK(m.sources[12].nodes == std::vector<std::string>{"MatMul mm", "Add mm_bias"});
  CHECK(m.info.opset == 13);
  CHECK(m.info.input_name == "x");
  CHECK(m.info.output_name == "y");
  // Gemm (transB) weights as they are; MatMul's [K, N] transposed to kqsim's [N, K].
  const auto fc_w = floats_of(kqtest::all_ops_model(3), "fc1.weight");
  CHECK(m.params.layers[10].weight.data == fc_w);
  const auto mm_w = floats_of(kqtest::all_ops_model(3), "mm.weight");
  for (int n = 0; n < 5; ++n)
    for (int k = 0; k < 10; ++k)
      CHECK(m.params.layers[12].weight.data[n * 10 + k] == mm_w[k * 5 + n]);
  CHECK(m.params.layers[12].bias.data == floats_of(kqtest::all_ops_model(3), "mm.bias"));
}

TEST_CASE("imported outputs equal the golden reference on the unfolded graph", "[unit][onnx]") {
  const OnnxBuilder b = kqtest::all_ops_model(5);
  const kq::OnnxModel m = import(b);
  // The same network written as a JSON workload that keeps every BatchNormalization as a
  // layer of its own, with y = γ (x − μ) / √(σ² + ε) + β formed here in double.
  const kq::Workload u = kq::workload_from_json(R"({"name": "unfolded",
    "input": {"channels": 3, "height": 16, "width": 16},
    "layers": [
      {"name": "c1", "type": "conv2d", "out_channels": 8, "kernel": 3, "padding": 1, "bias": true},
      {"name": "bn1", "type": "batchnorm"},
      {"name": "r1", "type": "relu"},
      {"name": "c2", "type": "conv2d", "out_channels": 8, "kernel": 3, "stride": 2, "padding": 1, "groups": 8},
      {"name": "clip", "type": "relu", "cap": 6},
      {"name": "c3", "type": "conv2d", "out_channels": 16, "kernel": 3, "padding": 2, "dilation": 2},
      {"name": "bn3", "type": "batchnorm"},
      {"name": "c4", "type": "conv2d", "out_channels": 16, "kernel": 1, "bias": true, "input": "clip"},
      {"name": "add", "type": "add", "inputs": ["bn3", "c4"]},
      {"name": "mp", "type": "maxpool", "kernel": 2},
      {"name": "ap", "type": "avgpool", "kernel": 2},
      {"name": "bn5", "type": "batchnorm"},
      {"name": "fc1", "type": "fc", "out_features": 10, "bias": true},
      {"name": "r2", "type": "relu"},
      {"name": "mm", "type": "fc", "out_features": 5, "bias": true}]})",
                                                "unfolded.json");
  std::vector<std::vector<double>> wts(u.layers.size()), bias(u.layers.size());
  auto d = [](const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); };
  auto bn = [&](size_t li, const std::string& name) {
    const auto g = floats_of(b, name + ".weight"), be = floats_of(b, name + ".bias"),
               mu = floats_of(b, name + ".running_mean"), var = floats_of(b, name + ".running_var");
    for (size_t c = 0; c < g.size(); ++c) {
      const double s = g[c] / std::sqrt(static_cast<double>(var[c]) + 1e-5f);
      wts[li].push_back(s);
      bias[li].push_back(be[c] - mu[c] * s);
    }
  };
  wts[0] = d(floats_of(b, "c1.weight")), bias[0] = d(floats_of(b, "c1.bias"));
  bn(1, "bn1");
  wts[3] = d(floats_of(b, "c2.weight"));
  wts[5] = d(floats_of(b, "c3.weight"));
  bn(6, "bn3");
  wts[7] = d(floats_of(b, "c4.weight")), bias[7] = d(floats_of(b, "c4.bias"));
  bn(11, "bn5");
  wts[12] = d(floats_of(b, "fc1.weight")), bias[12] = d(floats_of(b, "fc1.bias"));
  const auto mm = floats_of(b, "mm.weight");
  for (int n = 0; n < 5; ++n)
    for (int k = 0; k < 10; ++k) wts[14].push_back(mm[k * 5 + n]);
  bias[14] = d(floats_of(b, "mm.bias"));
  for (uint64_t seed : {1u, 2u, 3u}) {
    INFO("input seed " << seed);
    const std::vector<float> x = kqtest::random_values(3 * 16 * 16, 1.0, seed);
    std::vector<std::vector<double>> out(u.layers.size());
    const std::vector<double> xd(x.begin(), x.end());
    for (size_t i = 0; i < u.layers.size(); ++i) {
      std::vector<const std::vector<double>*> ins;
      for (int src : u.layers[i].inputs)
        ins.push_back(src < 0 ? &xd : &out[static_cast<size_t>(src)]);
      out[i] = kq::reference_layer(u.layers[i], ins, wts[i], bias[i]);
    }
    const std::vector<double> got = kq::FloatReference(m.workload, m.params).run(x);
    REQUIRE(got.size() == 5);
    for (size_t k = 0; k < 5; ++k) {
      INFO(k << ": folded " << got[k] << " unfolded " << out.back()[k]);
      // Folding rounds each scaled weight to float once: a relative error of ~1e-7 per term.
      CHECK(std::fabs(got[k] - out.back()[k]) <= 1e-5 * (1 + std::fabs(out.back()[k])));
    }
  }
}

TEST_CASE("Gemm attributes, Reshape, Identity, Dropout and Constant inputs", "[unit][onnx]") {
  OnnxBuilder b(17);
  b.input("x", {-1, 4, 2, 2});
  b.node("Identity", {"x"}, {"xi"}, "id");
  auto& shape = b.node("Constant", {}, {"shape"}, "shape");
  {
    auto* a = shape.add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    a->mutable_t()->set_data_type(onnx::TensorProto::INT64);
    a->mutable_t()->add_dims(2);
    a->mutable_t()->add_int64_data(0);
    a->mutable_t()->add_int64_data(-1);
  }
  b.node("Reshape", {"xi", "shape"}, {"flat"}, "reshape");
  // transB = 0: B is [K, N]; alpha and beta scale B and C.
  const auto bw = kqtest::random_values(16 * 3, 0.5, 9);
  b.initializer("B", {16, 3}, bw, false);  // float_data rather than raw_data
  b.initializer("C", {1, 3}, {0.5f, -1.0f, 2.0f});
  auto& g = b.node("Gemm", {"flat", "B", "C"}, {"g"}, "gemm");
  set_attr(g, "alpha", 2.0f);
  set_attr(g, "beta", 0.5f);
  b.node("Dropout", {"g"}, {"y"}, "drop");
  b.output("y", {-1, 3});
  const kq::OnnxModel m = import(b);
  REQUIRE(m.workload.layers.size() == 1);
  const kq::Layer& l = m.workload.layers[0];
  CHECK(l.type == LayerType::fc);
  CHECK(l.in == kq::Shape{4, 2, 2});
  CHECK(l.inputs == std::vector<int>{-1});
  CHECK(m.info.opset == 17);
  for (int n = 0; n < 3; ++n)
    for (int k = 0; k < 16; ++k)
      CHECK(m.params.layers[0].weight.data[n * 16 + k] == 2.0f * bw[k * 3 + n]);
  CHECK(m.params.layers[0].bias.data == std::vector<float>{0.25f, -0.5f, 1.0f});
}

TEST_CASE("a ResNet-50-shaped export imports with torchvision's MAC count", "[unit][onnx]") {
  const kq::OnnxModel m = import(kqtest::resnet50_model(1));
  const kq::Workload j =
      kq::load_workload(std::string(KQSIM_SOURCE_DIR) + "/workloads/resnet50.json");
  CHECK(m.workload.total_macs() == j.total_macs());
  CHECK(m.workload.total_macs() == 4'089'184'256ull);
  // Every BatchNormalization folded: the JSON workload's layers less its 53 batchnorms.
  uint64_t bns = 0;
  for (const auto& l : j.layers) bns += l.type == LayerType::batchnorm;
  CHECK(bns == 53);
  CHECK(m.workload.layers.size() == j.layers.size() - bns);
  // Weights: torchvision's 25,557,032 parameters less BN's 2 per channel plus one folded bias
  // per channel.
  uint64_t bn_params = 0, conv_channels = 0;
  for (const auto& l : j.layers) {
    if (l.type == LayerType::batchnorm) bn_params += l.params();
    if (l.type == LayerType::conv2d) conv_channels += l.out.c;
  }
  CHECK(m.workload.total_params() == j.total_params() - bn_params + conv_channels);
}

TEST_CASE("layer names come from node names, made valid and unique", "[unit][onnx]") {
  OnnxBuilder b;
  b.input("x", {1, 2, 4, 4});
  b.node("Relu", {"x"}, {"a"}, "");
  b.node("Relu", {"a"}, {"b"}, "/block 1/relu");
  b.node("Relu", {"b"}, {"c"}, "/block 1/relu");
  b.node("Relu", {"c"}, {"d"}, "input");
  b.output("d");
  const kq::OnnxModel m = import(b);
  std::vector<std::string> names;
  for (const auto& l : m.workload.layers) names.push_back(l.name);
  CHECK(names == std::vector<std::string>{"Relu_0", "/block_1/relu", "/block_1/relu_2", "input_"});
  for (const auto& n : names) CHECK(kq::valid_layer_name(n));
}

TEST_CASE("nodes that do not reach the graph output are left out", "[unit][onnx]") {
  OnnxBuilder b;
  b.input("x", {1, 2, 4, 4});
  b.node("Relu", {"x"}, {"a"}, "keep");
  b.node("Relu", {"x"}, {"dead"}, "dead1");
  b.node("GlobalMaxPool", {"dead"}, {"dead2"}, "dead2");
  b.node("GlobalAveragePool", {"a"}, {"y"}, "gap");
  b.output("y");
  const kq::OnnxModel m = import(b);
  REQUIRE(m.workload.layers.size() == 2);
  CHECK(m.workload.layers[1].name == "gap");
  CHECK(m.workload.layers[1].global_pool);
  CHECK(m.workload.layers[1].inputs == std::vector<int>{0});
  CHECK(m.info.pruned_nodes == 2);
}

TEST_CASE("external-data initializers load like inline ones", "[unit][onnx]") {
  const std::string dir = temp_dir("ext");
  OnnxBuilder inline_model = one_conv();
  OnnxBuilder b = one_conv();
  auto& w = *b.graph().mutable_initializer(0);
  {
    std::ofstream f(dir + "/weights.bin", std::ios::binary);
    f << "HEADER";  // the tensor starts at offset 6
    f.write(w.raw_data().data(), static_cast<std::streamsize>(w.raw_data().size()));
  }
  w.clear_raw_data();
  w.set_data_location(onnx::TensorProto::EXTERNAL);
  auto kv = [&](const char* k, const std::string& v) {
    auto* e = w.add_external_data();
    e->set_key(k);
    e->set_value(v);
  };
  kv("location", "weights.bin");
  kv("offset", "6");
  kv("length", "216");
  CHECK(import(b, dir).params.layers[0].weight.data ==
        import(inline_model).params.layers[0].weight.data);
  // A missing file, a path leaving the folder, and a wrong length are clean errors.
  CHECK_THROWS_WITH(import(b, dir + "/nowhere"),
                    Catch::Contains("initializer \"w\"") && Catch::Contains("cannot open"));
  w.mutable_external_data(0)->set_value("../weights.bin");
  CHECK_THROWS_WITH(import(b, dir), Catch::Contains("relative path inside"));
  w.mutable_external_data(0)->set_value("weights.bin");
  w.mutable_external_data(2)->set_value("200");
  CHECK_THROWS_WITH(import(b, dir), Catch::Contains("length 200"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("unsupported operators, attributes and shapes are one-line errors naming the node",
          "[unit][onnx]") {
  struct Case {
    const char* what;
    std::function<void(OnnxBuilder&)> mutate;
    std::vector<std::string> expect;
  };
  auto conv_node = [](OnnxBuilder& b) -> onnx::NodeProto& { return *b.graph().mutable_node(0); };
  const std::vector<Case> cases = {
      {"unsupported op",
       [](OnnxBuilder& b) { b.graph().mutable_node(0)->set_op_type("Softmax"); },
       {"node \"conv\" (Softmax)", "unsupported operator \"Softmax\""}},
      {"foreign domain",
       [](OnnxBuilder& b) { b.graph().mutable_node(0)->set_domain("com.microsoft"); },
       {"node \"conv\" (Conv)", "domain \"com.microsoft\""}},
      {"unknown attribute",
       [&](OnnxBuilder& b) { set_attr(conv_node(b), "frobnicate", int64_t{1}); },
       {"node \"conv\" (Conv), attribute \"frobnicate\"", "unsupported attribute"}},
      {"asymmetric pads",
       [&](OnnxBuilder& b) {
         set_attr(conv_node(b), "pads", std::vector<int64_t>{0, 0, 1, 1});
       },
       {"attribute \"pads\"", "asymmetric"}},
      {"auto_pad SAME with an even kernel",
       [&](OnnxBuilder& b) {
         auto& t = *b.graph().mutable_initializer(0);
         t.clear_dims();
         for (int64_t d : {3, 2, 2, 2}) t.add_dims(d);
         t.set_raw_data(std::string(3 * 2 * 2 * 2 * 4, '\0'));
         set_attr(conv_node(b), "auto_pad", std::string("SAME_UPPER"));
       },
       {"attribute \"auto_pad\"", "cannot be split evenly"}},
      {"attribute of the wrong type",
       [&](OnnxBuilder& b) { set_attr(conv_node(b), "group", 2.0f); },
       {"attribute \"group\"", "expected an integer"}},
      {"weights that do not fit the input",
       [&](OnnxBuilder& b) { set_attr(conv_node(b), "group", int64_t{2}); },
       {"node \"conv\" (Conv)", "does not fit a 2-channel input"}},
      {"weight computed by the graph",
       [](OnnxBuilder& b) { b.graph().mutable_node(0)->set_input(1, "x"); },
       {"input 1 (\"x\") is computed by the graph"}},
      {"undefined input",
       [](OnnxBuilder& b) { b.graph().mutable_node(0)->set_input(0, "ghost"); },
       {"input 0 (\"ghost\") is not produced"}},
      {"NaN weight",
       [](OnnxBuilder& b) {
         auto& t = *b.graph().mutable_initializer(0);
         std::string raw = t.raw_data();
         const float nan = std::nanf("");
         std::memcpy(raw.data() + 4 * 7, &nan, 4);
         t.set_raw_data(raw);
       },
       {"initializer \"w\"", "element 7 is NaN"}},
      {"float16 weights",
       [](OnnxBuilder& b) {
         b.graph().mutable_initializer(0)->set_data_type(onnx::TensorProto::FLOAT16);
       },
       {"initializer \"w\"", "float16 (10) is not supported"}},
      {"raw data of the wrong size",
       [](OnnxBuilder& b) { b.graph().mutable_initializer(0)->mutable_raw_data()->resize(100); },
       {"initializer \"w\"", "raw data holds 100 bytes"}},
      {"two graph inputs",
       [](OnnxBuilder& b) {
         b.input("z", {1, 2, 6, 6});
       },
       {"graph", "has 2 inputs"}},
      {"symbolic spatial size",
       [](OnnxBuilder& b) {
         b.graph()
             .mutable_input(0)
             ->mutable_type()
             ->mutable_tensor_type()
             ->mutable_shape()
             ->mutable_dim(2)
             ->set_dim_param("H");
       },
       {"graph input \"x\"", "symbolic"}},
      {"integer graph input",
       [](OnnxBuilder& b) {
         b.graph().mutable_input(0)->mutable_type()->mutable_tensor_type()->set_elem_type(
             onnx::TensorProto::INT64);
       },
       {"graph input \"x\"", "element type"}},
      {"two outputs", [](OnnxBuilder& b) { b.output("x"); }, {"graph", "has 2 outputs"}},
      {"recorded shape disagrees",
       [](OnnxBuilder& b) {
         b.value_info("y", {1, 3, 5, 5});
       },
       {"output \"y\"", "records shape [1, 3, 5, 5], kqsim derives [1, 3, 4, 4]"}},
      {"opset 10",
       [](OnnxBuilder& b) { b.model().mutable_opset_import(0)->set_version(10); },
       {"opset_import", "opset 10 is not supported (expected 11 to 17"}},
      {"opset 18",
       [](OnnxBuilder& b) { b.model().mutable_opset_import(0)->set_version(18); },
       {"opset 18 is not supported"}},
      {"window larger than the input",
       [&](OnnxBuilder& b) {
         set_attr(conv_node(b), "dilations", std::vector<int64_t>{4, 4});
       },
       {"node \"conv\" (Conv), attribute \"kernel_shape\"", "does not fit"}},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    OnnxBuilder b = one_conv();
    c.mutate(b);
    const std::string err = import_error(b);
    CHECK(err.rfind("net.onnx: ", 0) == 0);
    for (const auto& e : c.expect) CHECK_THAT(err, Catch::Contains(e));
    CHECK(err.find('\n') == std::string::npos);
  }
}

TEST_CASE("operator-specific limits are errors, not silent approximations", "[unit][onnx]") {
  auto model = [](const std::function<void(OnnxBuilder&)>& body) {
    OnnxBuilder b;
    b.input("x", {1, 2, 6, 6});
    body(b);
    b.output("y");
    return b;
  };
  auto pool = [&](const char* op, std::vector<std::pair<std::string, std::vector<int64_t>>> attrs,
                  int64_t count_include_pad = -1) {
    return model([&](OnnxBuilder& b) {
      auto& n = b.node(op, {"x"}, {"y"}, "pool");
      for (const auto& [k, v] : attrs) set_attr(n, k, v);
      if (count_include_pad >= 0) set_attr(n, "count_include_pad", count_include_pad);
    });
  };
  CHECK_THAT(import_error(pool("AveragePool", {{"kernel_shape", {3, 3}}, {"pads", {1, 1, 1, 1}}})),
             Catch::Contains("attribute \"count_include_pad\""));
  CHECK(import_error(pool("AveragePool", {{"kernel_shape", {3, 3}}, {"pads", {1, 1, 1, 1}}}, 1))
            .empty());
  CHECK_THAT(import_error(pool("AveragePool", {{"kernel_shape", {3, 3}}, {"ceil_mode", {}}})),
             Catch::Contains("attribute \"ceil_mode\": expected an integer"));
  auto ceil_pool = [&](const char* op, int64_t stride) {
    return model([&](OnnxBuilder& b) {
      auto& n = b.node(op, {"x"}, {"y"}, "pool");
      set_attr(n, "kernel_shape", std::vector<int64_t>{3, 3});
      set_attr(n, "strides", std::vector<int64_t>{stride, stride});
      set_attr(n, "ceil_mode", int64_t{1});
    });
  };
  // (6 − 3) / 2 leaves a clipped last window: its divisor is not modelled for averages.
  CHECK_THAT(import_error(ceil_pool("AveragePool", 2)), Catch::Contains("clipped last window"));
  CHECK(import_error(ceil_pool("AveragePool", 3)).empty());
  CHECK(import(ceil_pool("MaxPool", 2)).workload.layers[0].out == kq::Shape{2, 3, 3});
  CHECK_THAT(import_error(pool("MaxPool", {{"kernel_shape", {2, 2}}, {"dilations", {2, 2}}})),
             Catch::Contains("dilated pooling"));
  CHECK_THAT(import_error(pool("MaxPool", {})), Catch::Contains("\"kernel_shape\": is required"));
  // MaxPool's optional Indices output may exist only if nothing reads it.
  CHECK_THAT(import_error(model([](OnnxBuilder& b) {
               auto& n = b.node("MaxPool", {"x"}, {"p", "idx"}, "pool");
               set_attr(n, "kernel_shape", std::vector<int64_t>{2, 2});
               b.node("Add", {"p", "idx"}, {"y"}, "add");
             })),
             Catch::Contains("output 1 (\"idx\") is used"));
  // Clip must be a ReLU with an optional cap.
  CHECK_THAT(import_error(model([](OnnxBuilder& b) {
               b.initializer("lo", {}, {-1.0f});
               b.node("Clip", {"x", "lo"}, {"y"}, "clip");
             })),
             Catch::Contains("needs min = 0, got -1"));
  CHECK_THAT(import_error(model([](OnnxBuilder& b) { b.node("Clip", {"x"}, {"y"}, "clip"); })),
             Catch::Contains("no min"));
  // Broadcasting and constant Adds that are not a bias.
  CHECK_THAT(import_error(model([](OnnxBuilder& b) {
               b.node("GlobalAveragePool", {"x"}, {"g"}, "gap");
               b.node("Add", {"x", "g"}, {"y"}, "add");
             })),
             Catch::Contains("broadcasting Add is not supported"));
  CHECK_THAT(import_error(model([](OnnxBuilder& b) {
               b.initializer("k", {1}, {1.0f});
               b.node("Relu", {"x"}, {"r"}, "relu");
               b.node("Add", {"r", "k"}, {"y"}, "add");
             })),
             Catch::Contains("not the sole output of a Conv/Gemm/MatMul"));
  // Flatten keeping spatial dimensions apart, Reshape to anything but a flat sample.
  CHECK_THAT(import_error(model([](OnnxBuilder& b) {
               auto& n = b.node("Flatten", {"x"}, {"y"}, "flat");
               set_attr(n, "axis", int64_t{2});
             })),
             Catch::Contains("kqsim flattens whole samples"));
  CHECK_THAT(import_error(model([](OnnxBuilder& b) {
               b.int64_initializer("s", {4}, {1, 2, 3, 12});
               b.node("Reshape", {"x", "s"}, {"y"}, "reshape");
             })),
             Catch::Contains("reshaping [1, 2, 6, 6] to [1, 2, 3, 12] is not supported"));
  CHECK_THAT(import_error(model([](OnnxBuilder& b) {
               b.int64_initializer("s", {3}, {1 << 30, int64_t{1} << 40, int64_t{1} << 40});
               b.node("Reshape", {"x", "s"}, {"y"}, "reshape");
             })),
             Catch::Contains("cannot reshape [1, 2, 6, 6] to"));
  // Gemm on a 4-D tensor, and a training-mode BatchNormalization.
  CHECK_THAT(import_error(model([](OnnxBuilder& b) {
               b.initializer("B", {72, 2}, std::vector<float>(144, 0.1f));
               b.node("Gemm", {"x", "B"}, {"y"}, "gemm");
             })),
             Catch::Contains("expects a 2-D [N, K] input"));
  CHECK_THAT(import_error(model([](OnnxBuilder& b) {
               for (const char* n : {"g", "b", "m", "v"}) b.initializer(n, {2}, {1.0f, 1.0f});
               auto& n = b.node("BatchNormalization", {"x", "g", "b", "m", "v"}, {"y"}, "bn");
               set_attr(n, "training_mode", int64_t{1});
             })),
             Catch::Contains("training-mode"));
  // A pooled output of zero size is located at the node by shape inference.
  CHECK_THAT(import_error(pool("MaxPool", {{"kernel_shape", {8, 8}}})),
             Catch::Contains("node \"pool\" (MaxPool), attribute \"kernel_shape\""));
}

TEST_CASE("truncated, empty and corrupt files are clean errors", "[unit][onnx]") {
  const std::string bytes = kqtest::all_ops_model(1).bytes();
  size_t errors = 0;
  for (size_t len = 0; len < bytes.size(); len += 1 + len / 8) {
    INFO("truncated to " << len << " of " << bytes.size() << " bytes");
    try {
      kq::onnx_model_from_bytes(bytes.substr(0, len), "cut.onnx", ".");
      FAIL("a truncated model imported");
    } catch (const kq::InputError& e) {
      CHECK(std::string(e.what()).rfind("cut.onnx: ", 0) == 0);
      ++errors;
    }
  }
  CHECK(errors > 50);
  for (const std::string& junk : {std::string("{\"name\": \"not onnx\"}"),
                                  std::string(1000, '\xff'), std::string("\x08\x07", 2)}) {
    CHECK_THROWS_AS(kq::onnx_model_from_bytes(junk, "junk.onnx", "."), kq::InputError);
  }
  CHECK_THROWS_WITH(kq::load_onnx_model("/nonexistent/net.onnx"),
                    Catch::Contains("/nonexistent/net.onnx: cannot open file"));
}

TEST_CASE("is_onnx_path looks at the extension", "[unit][onnx]") {
  CHECK(kq::is_onnx_path("a/b.onnx"));
  CHECK(kq::is_onnx_path("B.ONNX"));
  CHECK_FALSE(kq::is_onnx_path("b.json"));
  CHECK_FALSE(kq::is_onnx_path("onnx"));
}

TEST_CASE("opsets 11 to 17 import the same network", "[unit][onnx]") {
  const kq::OnnxModel ref = import(kqtest::quadrant_classifier(13));
  for (int64_t opset = 11; opset <= 17; ++opset) {
    INFO("opset " << opset);
    const kq::OnnxModel m = import(kqtest::quadrant_classifier(opset));
    CHECK(m.info.opset == opset);
    REQUIRE(m.workload.layers.size() == ref.workload.layers.size());
    for (size_t i = 0; i < ref.workload.layers.size(); ++i) {
      CHECK(m.workload.layers[i].name == ref.workload.layers[i].name);
      CHECK(m.workload.layers[i].out == ref.workload.layers[i].out);
      CHECK(m.params.layers[i].weight.data == ref.params.layers[i].weight.data);
      CHECK(m.params.layers[i].bias.data == ref.params.layers[i].bias.data);
    }
  }
}

TEST_CASE("corrupted bytes anywhere import cleanly or fail with an InputError", "[unit][onnx]") {
  // A bounded mutation sweep (a fuzzer's first generation): every 7th byte of a model with
  // every supported operator, flipped three ways. Anything but success or an InputError (a
  // crash, bad_alloc, an assertion, another exception) fails.
  const std::string good = kqtest::all_ops_model(1).bytes();
  size_t imported = 0, rejected = 0;
  for (size_t at = 0; at < good.size(); at += 7)
    for (unsigned char flip : {0x01, 0x80, 0xff}) {
      std::string bad = good;
      bad[at] = static_cast<char>(bad[at] ^ flip);
      try {
        const kq::OnnxModel m = kq::onnx_model_from_bytes(bad, "flip.onnx", ".");
        CHECK_FALSE(m.workload.layers.empty());
        ++imported;
      } catch (const kq::InputError& e) {
        const std::string msg = e.what();
        CHECK(msg.rfind("flip.onnx: ", 0) == 0);
        CHECK(msg.find('\n') == std::string::npos);
        // Bytes from the file are escaped: the message is printable ASCII.
        CHECK(std::all_of(msg.begin(), msg.end(), [](char c) { return c >= 0x20 && c < 0x7f; }));
        ++rejected;
      }
    }
  // Most flips land in weight bytes (still a valid model, unless they make a NaN or an
  // infinity); the rest break the structure.
  CHECK(imported > 0);
  CHECK(rejected > 100);
}
