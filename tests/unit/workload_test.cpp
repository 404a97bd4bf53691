#include "models/workload/workload.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "models/common/input_error.hpp"

namespace {

using kq::LayerType;

// A workload document with the given layers array and a c×h×w input.
std::string doc(const std::string& layers, uint64_t c = 3, uint64_t h = 8, uint64_t w = 8) {
  return R"({"name": "t", "input": {"channels": )" + std::to_string(c) + R"(, "height": )" +
         std::to_string(h) + R"(, "width": )" + std::to_string(w) + R"(}, "layers": [)" + layers +
         "]}";
}

kq::Workload load(const std::string& text) {
  return kq::workload_from_json(text, "t.json");
}

// Loading `text` must fail with an InputError at `pointer` whose one-line message holds `part`.
void require_error(const std::string& text, const std::string& pointer, const std::string& part) {
  INFO(text);
  try {
    load(text);
    FAIL("no InputError thrown");
  } catch (const kq::InputError& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(e.file() == "t.json");
    CHECK(e.location() == pointer);
    CHECK(what.find(part) != std::string::npos);
    CHECK(what.find('\n') == std::string::npos);
  }
}

}  // namespace

TEST_CASE("conv output sizes follow PyTorch's formula", "[unit]") {
  struct Case {
    const char* layer;
    uint64_t h, w;
  };
  const Case cases[] = {
      {R"({"name": "c", "type": "conv2d", "out_channels": 4, "kernel": 3, "padding": 1})", 8, 8},
      {R"({"name": "c", "type": "conv2d", "out_channels": 4, "kernel": 3})", 6, 6},
      {R"({"name": "c", "type": "conv2d", "out_channels": 4, "kernel": 3, "stride": 2, "padding": 1})",
       4, 4},
      // dilation 2 spans 5 pixels: 8 - 5 + 1
      {R"({"name": "c", "type": "conv2d", "out_channels": 4, "kernel": 3, "dilation": 2})", 4, 4},
      {R"({"name": "c", "type": "conv2d", "out_channels": 4, "kernel": [3, 1], "padding": [1, 0]})",
       8, 8},
      {R"({"name": "c", "type": "conv2d", "out_channels": 4, "kernel": [1, 3], "stride": [1, 3]})",
       8, 2},
      // floor((8 - 3)/2) + 1 = 3; ceil gives 4
      {R"({"name": "c", "type": "conv2d", "out_channels": 4, "kernel": 3, "stride": 2})", 3, 3},
      {R"({"name": "c", "type": "conv2d", "out_channels": 4, "kernel": 3, "stride": 2, "ceil_mode": true})",
       4, 4},
  };
  for (const auto& c : cases) {
    INFO(c.layer);
    const kq::Workload w = load(doc(c.layer));
    REQUIRE(w.layers.size() == 1);
    const kq::Layer& l = w.layers[0];
    CHECK(l.in == kq::Shape{3, 8, 8});
    CHECK(l.out == kq::Shape{4, c.h, c.w});
    CHECK(l.inputs == std::vector<int>{-1});
  }
}

TEST_CASE("pooling: stride defaults to the kernel, ceil mode follows PyTorch", "[unit]") {
  auto out_of = [](const std::string& layer, int h) {
    return load(doc(layer, 2, h, h)).layers.at(0).out;
  };
  CHECK(out_of(R"({"name": "p", "type": "maxpool", "kernel": 2})", 8) == kq::Shape{2, 4, 4});
  CHECK(out_of(R"({"name": "p", "type": "maxpool", "kernel": 3, "stride": 2, "padding": 1})",
               112) == kq::Shape{2, 56, 56});
  // 6 wide, window 3, stride 2: floor 2, ceil 3 (the last window starts at 4, inside).
  CHECK(out_of(R"({"name": "p", "type": "avgpool", "kernel": 3, "stride": 2})", 6) ==
        kq::Shape{2, 2, 2});
  CHECK(out_of(R"({"name": "p", "type": "avgpool", "kernel": 3, "stride": 2, "ceil_mode": true})",
               6) == kq::Shape{2, 3, 3});
  // 5 wide, window 2, stride 2, padding 1: ceil gives 4, but the 4th window would start at 6,
  // past the input plus left padding, so PyTorch drops it: 3.
  CHECK(out_of(R"({"name": "p", "type": "maxpool", "kernel": 2, "stride": 2, "padding": 1,
                   "ceil_mode": true})",
               5) == kq::Shape{2, 3, 3});
  CHECK(out_of(R"({"name": "p", "type": "maxpool", "kernel": 2, "stride": 2, "padding": 1})", 5) ==
        kq::Shape{2, 3, 3});

  const kq::Layer g =
      load(doc(R"({"name": "g", "type": "avgpool", "global": true})", 5, 7, 9)).layers.at(0);
  CHECK(g.global_pool);
  CHECK(g.out == kq::Shape{5, 1, 1});
  CHECK(g.kh == 7);
  CHECK(g.kw == 9);
  CHECK(g.macs() == 0);
  CHECK(g.params() == 0);
}

TEST_CASE("GEMM view, MACs and parameters of each layer type", "[unit]") {
  const kq::Workload w = load(doc(R"(
    {"name": "conv", "type": "conv2d", "out_channels": 16, "kernel": 3, "padding": 1, "bias": true},
    {"name": "bn", "type": "batchnorm"},
    {"name": "relu6", "type": "relu", "cap": 6},
    {"name": "grouped", "type": "conv2d", "out_channels": 32, "kernel": 3, "padding": 1, "groups": 4},
    {"name": "dw", "type": "conv2d", "out_channels": 32, "kernel": 3, "stride": 2, "padding": 1,
     "groups": 32},
    {"name": "fc", "type": "fc", "out_features": 10, "bias": true},
    {"name": "fc2", "type": "fc", "out_features": 3, "input": "dw"})",
                                  8, 8, 8));
  const kq::Layer& conv = w.layers[0];
  CHECK(conv.gemm().p == 64);
  CHECK(conv.gemm().k == 72);
  CHECK(conv.gemm().n == 16);
  CHECK(conv.macs() == 64 * 72 * 16);
  CHECK(conv.weight_params() == 72 * 16);
  CHECK(conv.params() == 72 * 16 + 16);
  CHECK(conv.on_array());

  const kq::Layer& bn = w.layers[1];
  CHECK(bn.out == kq::Shape{16, 8, 8});
  CHECK(bn.params() == 32);
  CHECK(bn.macs() == 0);
  CHECK(!bn.on_array());
  CHECK(w.layers[2].relu_cap == 6.0f);
  CHECK(w.layers[2].params() == 0);

  const kq::Layer& grouped = w.layers[3];  // 16 → 32 in 4 groups: 4 in, 8 out per group
  CHECK(grouped.gemm().k == 4 * 9);
  CHECK(grouped.gemm().n == 8);
  CHECK(grouped.macs() == 4ull * 64 * 36 * 8);
  CHECK(grouped.weight_params() == 32 * 4 * 9);

  const kq::Layer& dw = w.layers[4];  // depthwise: one channel per group
  CHECK(dw.out == kq::Shape{32, 4, 4});
  CHECK(dw.gemm().p == 16);
  CHECK(dw.gemm().k == 9);
  CHECK(dw.gemm().n == 1);
  CHECK(dw.macs() == 32 * 16 * 9);
  CHECK(dw.weight_params() == 32 * 9);

  const kq::Layer& fc = w.layers[5];  // flattens 32×4×4
  CHECK(fc.in == kq::Shape{32, 4, 4});
  CHECK(fc.out == kq::Shape{10, 1, 1});
  CHECK(fc.gemm().p == 1);
  CHECK(fc.gemm().k == 512);
  CHECK(fc.gemm().n == 10);
  CHECK(fc.macs() == 5120);
  CHECK(fc.params() == 5130);
  CHECK(w.layers[6].inputs == std::vector<int>{4});
  CHECK(w.layers[6].params() == 512 * 3);  // bias defaults to false

  CHECK(w.total_macs() == conv.macs() + grouped.macs() + dw.macs() + fc.macs() + 512 * 3);
  CHECK(w.find("dw") == 4);
  CHECK(w.find("nope") == -1);
}

TEST_CASE("references: default chain, explicit producers and residual adds", "[unit]") {
  const kq::Workload w =
      kq::load_workload(std::string(KQSIM_SOURCE_DIR) + "/workloads/test/tiny_cnn.json");
  REQUIRE(w.name == "tiny_cnn");
  REQUIRE(w.input == kq::Shape{3, 16, 16});
  REQUIRE(w.layers.size() == 9);
  const int add = w.find("add");
  REQUIRE(add == 4);
  CHECK(w.layers[4].type == LayerType::add);
  CHECK(w.layers[4].inputs == std::vector<int>{3, 1});
  CHECK(w.layers[4].out == kq::Shape{8, 16, 16});
  CHECK(w.layers[5].out == kq::Shape{8, 8, 8});   // maxpool 2
  CHECK(w.layers[6].groups == 8);                 // depthwise
  CHECK(w.layers[7].out == kq::Shape{8, 1, 1});   // global average
  CHECK(w.layers[8].out == kq::Shape{10, 1, 1});  // fc
  CHECK(w.layers[8].bias);

  const kq::Workload explicit_input = load(doc(R"(
    {"name": "a", "type": "relu"},
    {"name": "b", "type": "relu", "input": "input"},
    {"name": "sum", "type": "add", "inputs": ["a", "b"]})"));
  CHECK(explicit_input.layers[1].inputs == std::vector<int>{-1});
  CHECK(explicit_input.layers[2].inputs == std::vector<int>{0, 1});
}

TEST_CASE("infer_shapes recomputes shapes of a workload built in code", "[unit]") {
  kq::Workload w;
  w.file = "built";
  w.input = {4, 10, 10};
  kq::Layer c;
  c.name = "c";
  c.inputs = {-1};
  c.out.c = 6;
  c.kh = c.kw = 3;
  w.layers.push_back(c);
  kq::infer_shapes(w);
  CHECK(w.layers[0].out == kq::Shape{6, 8, 8});
  w.layers[0].inputs = {0};
  REQUIRE_THROWS_AS(kq::infer_shapes(w), kq::InputError);
}

TEST_CASE("every class of bad workload is one InputError at the right JSON pointer", "[unit]") {
  const std::string conv = R"({"name": "c", "type": "conv2d", "out_channels": 4, "kernel": 3})";

  SECTION("syntax") {
    require_error(R"({"name": "t", )", "", "malformed JSON");
    require_error(R"({"name": "t", "name": "u"})", "", "duplicate key");
    require_error("[1, 2]", "/", "expected an object");
  }
  SECTION("unknown keys, and keys of another layer type") {
    require_error(R"({"name": "t", "inptu": {}, "input": {"channels": 1, "height": 1, "width": 1},
                     "layers": []})",
                  "/inptu", "unknown key");
    require_error(doc(R"({"name": "c", "type": "conv2d", "out_channels": 4, "kernal": 3})"),
                  "/layers/0/kernal", "unknown key");
    require_error(doc(R"({"name": "r", "type": "relu", "kernel": 3})"), "/layers/0/kernel",
                  "not valid for a relu layer");
    require_error(doc(R"({"name": "r", "type": "relu", "inputs": ["input", "input"]})"),
                  "/layers/0/inputs", "not valid");
    require_error(doc(R"({"name": "s", "type": "add", "input": "input"})"), "/layers/0/input",
                  "not valid");
    require_error(R"({"name": "t", "input": {"channels": 1, "height": 1, "width": 1, "depth": 1},
                     "layers": [{"name": "r", "type": "relu"}]})",
                  "/input/depth", "unknown key");
    // A control character in a key is escaped so that the message stays on one line.
    require_error(doc(R"({"name": "r", "type": "relu", "a\nb": 1})"), "/layers/0/a\\x0ab",
                  "unknown key");
    require_error(doc(R"({"name": "p", "type": "avgpool", "global": true, "kernel": 2})"),
                  "/layers/0/kernel", "global");
  }
  SECTION("missing keys") {
    require_error(R"({"input": {"channels": 1, "height": 1, "width": 1}, "layers": []})", "/name",
                  "missing");
    require_error(R"({"name": "t", "input": {"channels": 1, "height": 1}, "layers": []})",
                  "/input/width", "missing");
    require_error(doc(R"({"name": "c", "type": "conv2d", "kernel": 3})"), "/layers/0/out_channels",
                  "missing");
    require_error(doc(R"({"name": "c", "type": "conv2d", "out_channels": 3})"), "/layers/0/kernel",
                  "missing");
    require_error(doc(R"({"name": "c"})"), "/layers/0/type", "missing");
    require_error(doc(R"({"type": "relu"})"), "/layers/0/name", "missing");
    require_error(doc(R"({"name": "p", "type": "maxpool"})"), "/layers/0/kernel", "missing");
    require_error(doc(R"({"name": "s", "type": "add"})"), "/layers/0/inputs", "missing");
    require_error(doc(R"({"name": "f", "type": "fc"})"), "/layers/0/out_features", "missing");
  }
  SECTION("wrong types and values") {
    require_error(doc(R"({"name": "c", "type": "conv2d", "out_channels": 4, "kernel": "3"})"),
                  "/layers/0/kernel", "expected an integer or an [h, w] pair");
    require_error(doc(R"({"name": "c", "type": "conv2d", "out_channels": 4, "kernel": 3.5})"),
                  "/layers/0/kernel", "expected an integer");
    require_error(doc(R"({"name": "c", "type": "conv2d", "out_channels": 4, "kernel": [3]})"),
                  "/layers/0/kernel", "[h, w] pair");
    require_error(doc(R"({"name": "c", "type": "conv2d", "out_channels": 4, "kernel": [3, "a"]})"),
                  "/layers/0/kernel/1", "expected an integer");
    require_error(doc(R"({"name": "c", "type": "conv2d", "out_channels": 4, "kernel": 3,
                          "bias": 1})"),
                  "/layers/0/bias", "true or false");
    require_error(doc(R"({"name": "c", "type": "conv3d"})"), "/layers/0/type",
                  "expected one of conv2d");
    require_error(doc(R"({"name": 7, "type": "relu"})"), "/layers/0/name", "expected a string");
    require_error(doc(R"({"name": "bad name", "type": "relu"})"), "/layers/0/name",
                  "expected a layer name");
    require_error(doc(R"({"name": "", "type": "relu"})"), "/layers/0/name",
                  "expected a layer name");
    require_error(doc(R"({"name": "input", "type": "relu"})"), "/layers/0/name", "reserved");
    require_error(R"({"name": "a/b", "input": {"channels": 1, "height": 1, "width": 1},
                     "layers": [{"name": "r", "type": "relu"}]})",
                  "/name", "expected a workload name");
    require_error(doc(R"({"name": "r", "type": "relu", "cap": "six"})"), "/layers/0/cap",
                  "expected a number");
    require_error(doc(R"({"name": "r", "type": "relu", "cap": 0})"), "/layers/0/cap", "positive");
    require_error(doc(R"({"name": "c", "type": "conv2d", "out_channels": "NaN", "kernel": 3})"),
                  "/layers/0/out_channels", "expected an integer");
    require_error(R"({"name": "t", "input": {"channels": 3, "height": 8, "width": 8},
                     "layers": {}})",
                  "/layers", "expected an array");
    require_error(R"({"name": "t", "input": {"channels": 3, "height": 8, "width": 8},
                     "layers": []})",
                  "/layers", "expected 1 to");
    require_error(R"({"name": "t", "input": {"channels": 3, "height": 8, "width": 8},
                     "layers": [3]})",
                  "/layers/0", "expected an object");
  }
  SECTION("negative and zero sizes") {
    require_error(doc(R"({"name": "c", "type": "conv2d", "out_channels": 4, "kernel": 3,
                          "padding": -1})"),
                  "/layers/0/padding", "got -1");
    require_error(doc(R"({"name": "c", "type": "conv2d", "out_channels": 0, "kernel": 3})"),
                  "/layers/0/out_channels", "got 0");
    require_error(doc(R"({"name": "c", "type": "conv2d", "out_channels": 4, "kernel": 3,
                          "stride": 0})"),
                  "/layers/0/stride", "got 0");
    require_error(doc(conv, 3, 0, 8), "/input/height", "got 0");
    require_error(doc(R"({"name": "c", "type": "conv2d", "out_channels": 4, "kernel": 3,
                          "dilation": [1, 0]})"),
                  "/layers/0/dilation/1", "got 0");
  }
  SECTION("bad references") {
    require_error(doc(conv + R"(, {"name": "r", "type": "relu", "input": "nope"})"),
                  "/layers/1/input", "no layer named \"nope\"");
    require_error(doc(R"({"name": "r", "type": "relu", "input": "later"}, )" + conv +
                      R"(, {"name": "later", "type": "relu"})"),
                  "/layers/0/input", "forward reference");
    require_error(doc(R"({"name": "r", "type": "relu", "input": "r"})"), "/layers/0/input",
                  "its own output");
    require_error(doc(conv + R"(, {"name": "s", "type": "add", "inputs": ["c", "z"]},
                              {"name": "z", "type": "relu"})"),
                  "/layers/1/inputs/1", "forward reference");
    require_error(doc(conv + R"(, {"name": "s", "type": "add", "inputs": ["c"]})"),
                  "/layers/1/inputs", "exactly 2");
    require_error(doc(conv + R"(, {"name": "s", "type": "add", "inputs": ["c", 1]})"),
                  "/layers/1/inputs/1", "expected a layer name");
    require_error(doc(conv + ", " + conv), "/layers/1/name", "duplicate layer name");
  }
  SECTION("impossible shapes") {
    require_error(doc(R"({"name": "c", "type": "conv2d", "out_channels": 4, "kernel": 3,
                          "groups": 2})"),
                  "/layers/0/groups", "divide");
    require_error(doc(R"({"name": "c", "type": "conv2d", "out_channels": 3, "kernel": 3,
                          "groups": 3}, {"name": "d", "type": "conv2d", "out_channels": 4,
                          "kernel": 1, "groups": 3})"),
                  "/layers/1/groups", "divide");
    require_error(doc(R"({"name": "c", "type": "conv2d", "out_channels": 4, "kernel": 9})"),
                  "/layers/0/kernel", "output would be empty");
    require_error(doc(R"({"name": "c", "type": "conv2d", "out_channels": 4, "kernel": 3,
                          "dilation": 4})"),
                  "/layers/0/kernel", "output would be empty");
    require_error(doc(R"({"name": "p", "type": "maxpool", "kernel": 2, "padding": 2})"),
                  "/layers/0/padding", "at most half");
    require_error(doc(conv + R"(, {"name": "s", "type": "add", "inputs": ["c", "input"]})"),
                  "/layers/1/inputs", "differ");
  }
  SECTION("64-bit overflow") {
    // (2^32-1)^3 elements
    require_error(doc(conv, 4294967295, 4294967295, 4294967295), "/input", "2^64");
    // fc over 2^48 inputs with 2^20 outputs: 2^68 weights
    require_error(
        doc(R"({"name": "f", "type": "fc", "out_features": 1048576})", 65536, 65536, 65536),
        "/layers/0", "overflows 64 bits");
    // A (2^32-1)·2 window by 2^32-1 filters: 2^65 weights
    require_error(R"({"name": "t", "input": {"channels": 4294967295, "height": 2, "width": 1},
                     "layers": [{"name": "c", "type": "conv2d", "out_channels": 4294967295,
                                 "kernel": [2, 1]}]})",
                  "/layers/0", "overflows 64 bits");
    // Each layer fits, the total does not: 2^31·(2^32-1) + (2^32-1)^2 MACs.
    require_error(R"({"name": "t", "input": {"channels": 2147483648, "height": 1, "width": 1},
                     "layers": [{"name": "a", "type": "conv2d", "out_channels": 4294967295,
                                 "kernel": 1},
                                {"name": "b", "type": "conv2d", "out_channels": 4294967295,
                                 "kernel": 1}]})",
                  "/layers/1", "total");
    require_error(doc(conv, 4294967296), "/input/channels", "got 4294967296");
  }
}
