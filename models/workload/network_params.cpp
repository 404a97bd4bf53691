#include "models/workload/network_params.hpp"

#include <fmt/format.h>

#include <set>

#include "models/common/input_error.hpp"
#include "models/workload/npy.hpp"
#include "models/workload/synthetic.hpp"

namespace kq {
namespace {

enum TensorKind : uint64_t { kWeight = 1, kBias = 2, kInput = 3 };

Tensor make_tensor(std::vector<uint64_t> shape) {
  Tensor t;
  t.shape = std::move(shape);
  t.data.resize(t.elements());
  return t;
}

std::string shape_str(const std::vector<uint64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace

std::vector<uint64_t> weight_shape(const Layer& l) {
  switch (l.type) {
    case LayerType::conv2d:
      return {l.out.c, l.in.c / l.groups, l.kh, l.kw};
    case LayerType::fc:
      return {l.out.c, l.in.elements()};
    case LayerType::batchnorm:
      return {l.in.c};
    default:
      return {};
  }
}

std::vector<uint64_t> bias_shape(const Layer& l) {
  if (l.type == LayerType::batchnorm) return {l.in.c};
  if ((l.type == LayerType::conv2d || l.type == LayerType::fc) && l.bias) return {l.out.c};
  return {};
}

NetworkParams synthetic_params(const Workload& w, uint64_t seed) {
  NetworkParams p;
  p.input = make_tensor({w.input.c, w.input.h, w.input.w});
  {
    Rng r(tensor_seed(seed, ~uint64_t{0}, kInput));
    for (float& v : p.input.data) v = static_cast<float>(r.normal());
  }
  p.layers.resize(w.layers.size());
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const Layer& l = w.layers[i];
    LayerParams& lp = p.layers[i];
    const auto ws = weight_shape(l);
    const auto bs = bias_shape(l);
    if (!ws.empty()) {
      lp.weight = make_tensor(ws);
      Rng r(tensor_seed(seed, i, kWeight));
      if (l.type == LayerType::batchnorm) {
        for (float& v : lp.weight.data) v = static_cast<float>(0.5 + 0.5 * r.uniform());
      } else {
        const double fan_in = static_cast<double>(lp.weight.elements() / ws[0]);
        const double sd = std::sqrt(2.0 / fan_in);
        for (float& v : lp.weight.data) v = static_cast<float>(sd * r.normal());
      }
    }
    if (!bs.empty()) {
      lp.bias = make_tensor(bs);
      Rng r(tensor_seed(seed, i, kBias));
      if (l.type == LayerType::batchnorm) {
        for (float& v : lp.bias.data) v = static_cast<float>(0.2 * r.uniform() - 0.1);
      } else {
        for (float& v : lp.bias.data) v = static_cast<float>(0.05 * r.normal());
      }
    }
  }
  return p;
}

void load_params(const Workload& w, const std::string& weights_npz, const std::string& input_npy,
                 NetworkParams& params) {
  if (!weights_npz.empty()) {
    auto arrays = read_npz(weights_npz);
    std::set<std::string> used;
    for (size_t i = 0; i < w.layers.size(); ++i) {
      const Layer& l = w.layers[i];
      const std::pair<const char*, Tensor*> slots[] = {{".weight", &params.layers[i].weight},
                                                       {".bias", &params.layers[i].bias}};
      for (const auto& [suffix, dst] : slots) {
        const std::string name = l.name + suffix;
        auto it = arrays.find(name);
        if (it == arrays.end()) continue;
        const auto expected = std::string(suffix) == ".weight" ? weight_shape(l) : bias_shape(l);
        if (expected.empty())
          throw InputError(
              weights_npz, name,
              fmt::format("layer \"{}\" ({}) has no such parameter", l.name, to_string(l.type)));
        if (it->second.shape != expected)
          throw InputError(weights_npz, name,
                           fmt::format("expected shape {}, got {}", shape_str(expected),
                                       shape_str(it->second.shape)));
        *dst = to_tensor(it->second, weights_npz, name);
        used.insert(name);
      }
    }
    // "<layer>.kcnn_*" / "<layer>.kq_*" arrays are pre-quantized weights for the quantized
    // datapaths; their own importers read and check them.
    auto quantized_array = [](const std::string& n) {
      return n.find(".kcnn_") != std::string::npos || n.find(".kq_") != std::string::npos;
    };
    for (const auto& [name, arr] : arrays)
      if (!used.count(name) && !quantized_array(name))
        throw InputError(weights_npz, name,
                         "no layer of the workload has this parameter (expected "
                         "\"<layer>.weight\" or \"<layer>.bias\")");
  }
  if (!input_npy.empty()) {
    NpyArray a = read_npy_array(input_npy);
    const std::vector<uint64_t> chw{w.input.c, w.input.h, w.input.w};
    const std::vector<uint64_t> nchw{1, w.input.c, w.input.h, w.input.w};
    if (a.shape != chw && a.shape != nchw)
      throw InputError(input_npy, "shape",
                       fmt::format("expected {} or {}, got {}", shape_str(chw), shape_str(nchw),
                                   shape_str(a.shape)));
    Tensor t = to_tensor(a, input_npy, "input");
    t.shape = chw;
    params.input = std::move(t);
  }
}

}  // namespace kq
