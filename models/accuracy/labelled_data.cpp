#include "models/accuracy/labelled_data.hpp"

#include <fmt/format.h>

#include <cmath>

#include "models/common/input_error.hpp"
#include "models/workload/npy.hpp"

namespace kq {
namespace {

std::string shape_str(const std::vector<uint64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace

Tensor LabelledData::sample(uint64_t i) const {
  const uint64_t n = sample_shape.elements();
  Tensor t;
  t.shape = {sample_shape.c, sample_shape.h, sample_shape.w};
  t.data.assign(inputs.begin() + static_cast<std::ptrdiff_t>(i * n),
                inputs.begin() + static_cast<std::ptrdiff_t>((i + 1) * n));
  return t;
}

uint64_t classifier_classes(const Workload& w) {
  return w.layers.empty() ? 0 : w.layers.back().out.elements();
}

LabelledData load_labelled_data(const std::string& inputs_npy, const std::string& labels_npy,
                                const Workload& w) {
  LabelledData d;
  d.inputs_file = inputs_npy;
  d.labels_file = labels_npy;
  d.sample_shape = w.input;
  {
    const NpyArray a = read_npy_array(inputs_npy);
    const Shape& s = w.input;
    const bool nchw =
        a.shape.size() == 4 && a.shape[1] == s.c && a.shape[2] == s.h && a.shape[3] == s.w;
    const bool nf = a.shape.size() == 2 && s.h == 1 && s.w == 1 && a.shape[1] == s.c;
    if (!nchw && !nf)
      throw InputError(inputs_npy, "shape",
                       fmt::format("expected [N, {}, {}, {}] (N samples of the network's input), "
                                   "got {}",
                                   s.c, s.h, s.w, shape_str(a.shape)));
    if (a.shape[0] == 0) throw InputError(inputs_npy, "shape", "holds no samples (N = 0)");
    d.samples = a.shape[0];
    d.inputs = to_tensor(a, inputs_npy, "inputs").data;
  }
  const NpyArray l = read_npy_array(labels_npy);
  const bool column = l.shape.size() == 2 && l.shape[1] == 1;
  if (!(l.shape.size() == 1 || column) || l.shape[0] != d.samples)
    throw InputError(labels_npy, "shape",
                     fmt::format("expected [{}] (one label per sample of {}), got {}", d.samples,
                                 inputs_npy, shape_str(l.shape)));
  const uint64_t classes = classifier_classes(w);
  d.labels.resize(d.samples);
  for (uint64_t i = 0; i < d.samples; ++i) {
    const double v = l.values[i];
    if (!(v >= 0) || v != std::floor(v) || v >= static_cast<double>(classes))
      throw InputError(labels_npy, fmt::format("element {}", i),
                       fmt::format("label {} is not a class index in [0, {}) (the last layer "
                                   "\"{}\" has {} outputs)",
                                   v, classes, w.layers.back().name, classes));
    d.labels[i] = static_cast<uint32_t>(v);
  }
  return d;
}

}  // namespace kq
