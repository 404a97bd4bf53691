#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "models/workload/tensor.hpp"
#include "models/workload/workload.hpp"

namespace kq {

/// Labelled samples for measuring a classifier's accuracy.
struct LabelledData {
  std::string inputs_file, labels_file;
  uint64_t samples = 0;
  Shape sample_shape;            ///< the workload's input, C×H×W
  std::vector<float> inputs;     ///< samples × C·H·W, each sample in C order (NCHW)
  std::vector<uint32_t> labels;  ///< one class index per sample
  /// Sample i as the [C, H, W] input tensor a NetworkParams holds.
  Tensor sample(uint64_t i) const;
};

/// Classes of a classifier workload: the elements of its last layer's output.
uint64_t classifier_classes(const Workload& w);

/// Reads inputs `.npy` of shape [N, C, H, W] (C×H×W the workload's input; [N, F] also for an
/// input of F×1×1) in any float or integer dtype, and labels `.npy` of shape [N] (or [N, 1])
/// holding integer class indices in [0, classes) — any integer dtype, or floats that are exact
/// integers. Every violation (shape, N mismatch, NaN/Inf input, a label out of range) is an
/// InputError naming the file and the field or element.
LabelledData load_labelled_data(const std::string& inputs_npy, const std::string& labels_npy,
                                const Workload& w);

}  // namespace kq
