#include "onnx_builder/test_models.hpp"

#include <cmath>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "models/workload/npy.hpp"
#include "models/workload/synthetic.hpp"

namespace kqtest {
namespace {

/// Conv weights [m, c, k, k] (He-normal) and, with bias, a bias [m].
void conv(OnnxBuilder& b, const std::string& name, const std::string& in, const std::string& out,
          int64_t c, int64_t m, int64_t k, int64_t stride, int64_t pad, bool bias, uint64_t seed,
          int64_t group = 1) {
  const auto n = static_cast<size_t>(m * (c / group) * k * k);
  b.initializer(name + ".weight", {m, c / group, k, k},
                random_values(n, std::sqrt(2.0 / static_cast<double>((c / group) * k * k)), seed));
  std::vector<std::string> ins = {in, name + ".weight"};
  if (bias) {
    b.initializer(name + ".bias", {m}, random_values(static_cast<size_t>(m), 0.05, seed + 1));
    ins.push_back(name + ".bias");
  }
  auto& node = b.node("Conv", ins, {out}, name);
  set_attr(node, "kernel_shape", std::vector<int64_t>{k, k});
  set_attr(node, "strides", std::vector<int64_t>{stride, stride});
  set_attr(node, "pads", std::vector<int64_t>{pad, pad, pad, pad});
  if (group != 1) set_attr(node, "group", group);
}

/// BatchNormalization with seeded statistics: γ ∈ [0.5, 1.5), β, μ ~ N(0, 0.1²), σ² ∈ [0.5, 1.5).
void batchnorm(OnnxBuilder& b, const std::string& name, const std::string& in,
               const std::string& out, int64_t c, uint64_t seed) {
  kq::Rng r(seed);
  std::vector<float> gamma, beta, mean, var;
  for (int64_t i = 0; i < c; ++i) {
    gamma.push_back(static_cast<float>(0.5 + r.uniform()));
    beta.push_back(static_cast<float>(0.1 * r.normal()));
    mean.push_back(static_cast<float>(0.1 * r.normal()));
    var.push_back(static_cast<float>(0.5 + r.uniform()));
  }
  b.initializer(name + ".weight", {c}, gamma);
  b.initializer(name + ".bias", {c}, beta);
  b.initializer(name + ".running_mean", {c}, mean);
  b.initializer(name + ".running_var", {c}, var);
  auto& n =
      b.node("BatchNormalization",
             {in, name + ".weight", name + ".bias", name + ".running_mean", name + ".running_var"},
             {out}, name);
  set_attr(n, "epsilon", 1e-5f);
  set_attr(n, "momentum", 0.9f);
}

std::string npy_header(const std::string& descr, const std::vector<uint64_t>& shape) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i)
    dict += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? ", " : "");
  dict += "), }";
  while ((10 + dict.size() + 1) % 64 != 0) dict += ' ';
  dict += '\n';
  std::string h = "\x93NUMPY";
  h += static_cast<char>(1);
  h += static_cast<char>(0);
  h += static_cast<char>(dict.size() & 0xff);
  h += static_cast<char>(dict.size() >> 8);
  return h + dict;
}

}  // namespace

OnnxBuilder quadrant_classifier(int64_t opset) {
  OnnxBuilder b(opset, "quadrants");
  b.input("image", {-1, 1, 8, 8});
  // Channel 0 sums a 3×3 box (×1/9), channel 1 its negative; the BN below then maps channel 0
  // to 2·x + 0.05 and channel 1 to a negative value Relu removes.
  std::vector<float> w(2 * 9);
  for (int i = 0; i < 9; ++i) w[i] = 1.0f / 9, w[9 + i] = -1.0f / 9;
  b.initializer("box.weight", {2, 1, 3, 3}, w);
  auto& c = b.node("Conv", {"image", "box.weight"}, {"box"}, "box");
  set_attr(c, "pads", std::vector<int64_t>{1, 1, 1, 1});
  // y = γ (x − μ) / √(σ² + ε) + β with γ = 2, μ = 0, σ² = 1 − ε, β = 0.05: scale 2, shift 0.05.
  b.initializer("bn.weight", {2}, {2.0f, 2.0f});
  b.initializer("bn.bias", {2}, {0.05f, 0.05f});
  b.initializer("bn.running_mean", {2}, {0.0f, 0.0f});
  b.initializer("bn.running_var", {2}, {1.0f - 1e-5f, 1.0f - 1e-5f});
  auto& bn =
      b.node("BatchNormalization",
             {"box", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"}, {"bn"}, "bn");
  set_attr(bn, "epsilon", 1e-5f);
  b.node("Relu", {"bn"}, {"relu"}, "relu");
  auto& mp = b.node("MaxPool", {"relu"}, {"mp"}, "mp");
  set_attr(mp, "kernel_shape", std::vector<int64_t>{2, 2});
  set_attr(mp, "strides", std::vector<int64_t>{2, 2});
  auto& ap = b.node("AveragePool", {"mp"}, {"ap"}, "ap");
  set_attr(ap, "kernel_shape", std::vector<int64_t>{2, 2});
  set_attr(ap, "strides", std::vector<int64_t>{2, 2});
  b.node("Flatten", {"ap"}, {"flat"}, "flat");
  // Features: channel-major [c][qy][qx]; class q = 2·qy + qx reads channel 0's cell q.
  std::vector<float> fc(4 * 8, 0.0f);
  for (int q = 0; q < 4; ++q) fc[q * 8 + q] = 1.0f;
  b.initializer("fc.weight", {4, 8}, fc);
  b.initializer("fc.bias", {4}, {0.0f, 0.0f, 0.0f, 0.0f});
  auto& g = b.node("Gemm", {"flat", "fc.weight", "fc.bias"}, {"logits"}, "fc");
  set_attr(g, "transB", int64_t{1});
  b.output("logits", {-1, 4});
  return b;
}

Samples quadrant_samples(uint64_t n, uint64_t seed) {
  Samples s;
  s.n = n;
  s.inputs.resize(n * 64);
  kq::Rng r(seed);
  for (uint64_t i = 0; i < n; ++i) {
    const int q = static_cast<int>(i % 4), qy = q / 2, qx = q % 2;
    for (int y = 0; y < 8; ++y)
      for (int x = 0; x < 8; ++x) {
        const bool lit = y / 4 == qy && x / 4 == qx;
        s.inputs[i * 64 + y * 8 + x] = lit ? 1.0f : static_cast<float>(0.2 * r.uniform());
      }
    s.labels.push_back(q);
  }
  return s;
}

void save_samples(const Samples& s, const std::vector<uint64_t>& sample_shape,
                  const std::string& inputs_path, const std::string& labels_path) {
  kq::Tensor t;
  t.shape = {s.n};
  t.shape.insert(t.shape.end(), sample_shape.begin(), sample_shape.end());
  t.data = s.inputs;
  kq::write_npy(inputs_path, t);
  // NumPy's default integer dtype, as np.save(labels) writes it.
  std::string data(8 * s.labels.size(), '\0');
  std::memcpy(data.data(), s.labels.data(), data.size());
  save_raw_npy(labels_path, "<i8", {s.n}, data);
}

void save_raw_npy(const std::string& path, const std::string& descr,
                  const std::vector<uint64_t>& shape, const std::string& data) {
  const std::string bytes = npy_header(descr, shape) + data;
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

OnnxBuilder all_ops_model(uint64_t seed) {
  OnnxBuilder b(13, "all_ops");
  b.input("x", {1, 3, 16, 16});
  conv(b, "c1", "x", "c1", 3, 8, 3, 1, 1, true, seed);
  batchnorm(b, "bn1", "c1", "bn1", 8, seed + 10);
  b.node("Relu", {"bn1"}, {"r1"}, "r1");
  conv(b, "c2", "r1", "c2", 8, 8, 3, 2, 1, false, seed + 20, 8);
  b.initializer("clip.min", {}, {0.0f});
  b.initializer("clip.max", {}, {6.0f});
  b.node("Clip", {"c2", "clip.min", "clip.max"}, {"clip"}, "clip");
  conv(b, "c3", "clip", "c3", 8, 16, 3, 1, 2, false, seed + 30);
  set_attr(*b.graph().mutable_node(b.graph().node_size() - 1), "dilations",
           std::vector<int64_t>{2, 2});
  batchnorm(b, "bn3", "c3", "bn3", 16, seed + 40);
  conv(b, "c4", "clip", "c4", 8, 16, 1, 1, 0, true, seed + 50);
  b.node("Add", {"bn3", "c4"}, {"add"}, "add");
  auto& mp = b.node("MaxPool", {"add"}, {"mp"}, "mp");
  set_attr(mp, "kernel_shape", std::vector<int64_t>{2, 2});
  set_attr(mp, "strides", std::vector<int64_t>{2, 2});
  auto& ap = b.node("AveragePool", {"mp"}, {"ap"}, "ap");
  set_attr(ap, "kernel_shape", std::vector<int64_t>{2, 2});
  set_attr(ap, "strides", std::vector<int64_t>{2, 2});
  batchnorm(b, "bn5", "ap", "bn5", 16, seed + 60);
  auto& fl = b.node("Flatten", {"bn5"}, {"fl"}, "fl");
  set_attr(fl, "axis", int64_t{1});
  b.initializer("fc1.weight", {10, 64}, random_values(640, 0.15, seed + 70));
  b.initializer("fc1.bias", {10}, random_values(10, 0.05, seed + 71));
  auto& g = b.node("Gemm", {"fl", "fc1.weight", "fc1.bias"}, {"fc1"}, "fc1");
  set_attr(g, "transB", int64_t{1});
  b.node("Relu", {"fc1"}, {"r2"}, "r2");
  b.initializer("mm.weight", {10, 5}, random_values(50, 0.4, seed + 80));
  b.node("MatMul", {"r2", "mm.weight"}, {"mm"}, "mm");
  b.initializer("mm.bias", {5}, random_values(5, 0.05, seed + 81));
  b.node("Add", {"mm", "mm.bias"}, {"y"}, "mm_bias");
  b.output("y", {1, 5});
  return b;
}

OnnxBuilder small_cnn(uint64_t seed) {
  OnnxBuilder b(13, "small_cnn");
  b.input("image", {-1, 1, 28, 28});
  conv(b, "conv1", "image", "conv1", 1, 16, 3, 1, 1, false, seed);
  batchnorm(b, "bn1", "conv1", "bn1", 16, seed + 1);
  b.node("Relu", {"bn1"}, {"relu1"}, "relu1");
  auto& p1 = b.node("MaxPool", {"relu1"}, {"pool1"}, "pool1");
  set_attr(p1, "kernel_shape", std::vector<int64_t>{2, 2});
  set_attr(p1, "strides", std::vector<int64_t>{2, 2});
  conv(b, "conv2", "pool1", "conv2", 16, 32, 3, 1, 1, false, seed + 2);
  batchnorm(b, "bn2", "conv2", "bn2", 32, seed + 3);
  b.node("Relu", {"bn2"}, {"relu2"}, "relu2");
  auto& p2 = b.node("MaxPool", {"relu2"}, {"pool2"}, "pool2");
  set_attr(p2, "kernel_shape", std::vector<int64_t>{2, 2});
  set_attr(p2, "strides", std::vector<int64_t>{2, 2});
  b.node("Flatten", {"pool2"}, {"flat"}, "flatten");
  b.initializer("fc.weight", {10, 1568}, random_values(15680, std::sqrt(1.0 / 1568), seed + 4));
  b.initializer("fc.bias", {10}, random_values(10, 0.05, seed + 5));
  auto& g = b.node("Gemm", {"flat", "fc.weight", "fc.bias"}, {"logits"}, "fc");
  set_attr(g, "transB", int64_t{1});
  b.output("logits", {-1, 10});
  return b;
}

OnnxBuilder resnet50_model(uint64_t seed) {
  OnnxBuilder b(13, "resnet50");
  b.input("input", {-1, 3, 224, 224});
  uint64_t s = seed;
  auto conv_bn = [&](const std::string& name, const std::string& bn_name, const std::string& in,
                     int64_t c, int64_t m, int64_t k, int64_t stride, int64_t pad) {
    conv(b, name, in, name, c, m, k, stride, pad, false, s++);
    batchnorm(b, bn_name, name, bn_name, m, s++);
    return bn_name;
  };
  std::string x = conv_bn("conv1", "bn1", "input", 3, 64, 7, 2, 3);
  b.node("Relu", {x}, {"relu"}, "relu");
  auto& mp = b.node("MaxPool", {"relu"}, {"maxpool"}, "maxpool");
  set_attr(mp, "kernel_shape", std::vector<int64_t>{3, 3});
  set_attr(mp, "strides", std::vector<int64_t>{2, 2});
  set_attr(mp, "pads", std::vector<int64_t>{1, 1, 1, 1});
  x = "maxpool";
  int64_t c = 64;
  const int blocks[4] = {3, 4, 6, 3};
  for (int stage = 0; stage < 4; ++stage) {
    const int64_t width = 64 << stage, out = width * 4;
    for (int blk = 0; blk < blocks[stage]; ++blk) {
      const std::string p = "layer" + std::to_string(stage + 1) + "." + std::to_string(blk) + ".";
      const int64_t stride = blk == 0 && stage > 0 ? 2 : 1;
      std::string y = conv_bn(p + "conv1", p + "bn1", x, c, width, 1, 1, 0);
      b.node("Relu", {y}, {p + "relu1"}, p + "relu1");
      y = conv_bn(p + "conv2", p + "bn2", p + "relu1", width, width, 3, stride, 1);
      b.node("Relu", {y}, {p + "relu2"}, p + "relu2");
      y = conv_bn(p + "conv3", p + "bn3", p + "relu2", width, out, 1, 1, 0);
      std::string skip = x;
      if (blk == 0) skip = conv_bn(p + "downsample.0", p + "downsample.1", x, c, out, 1, stride, 0);
      b.node("Add", {y, skip}, {p + "add"}, p + "add");
      b.node("Relu", {p + "add"}, {p + "relu"}, p + "relu");
      x = p + "relu";
      c = out;
    }
  }
  b.node("GlobalAveragePool", {x}, {"avgpool"}, "avgpool");
  b.node("Flatten", {"avgpool"}, {"flatten"}, "flatten");
  b.initializer("fc.weight", {1000, 2048}, random_values(2048000, std::sqrt(1.0 / 2048), s++));
  b.initializer("fc.bias", {1000}, random_values(1000, 0.05, s++));
  auto& g = b.node("Gemm", {"flatten", "fc.weight", "fc.bias"}, {"logits"}, "fc");
  set_attr(g, "transB", int64_t{1});
  b.output("logits", {-1, 1000});
  return b;
}

}  // namespace kqtest
