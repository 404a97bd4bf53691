#pragma once
// ONNX models with known structure and weights for the tests and the benchmarks.
#include <cstdint>
#include <string>
#include <vector>

#include "onnx_builder/onnx_builder.hpp"

namespace kqtest {

/// A handcrafted classifier of 1×8×8 images into 4 classes: the quadrant holding a bright
/// 4×4 square. Conv 3×3 (a box filter and its negative) + BatchNormalization (folded) +
/// Relu, MaxPool 2, AveragePool 2 (one cell per quadrant), Flatten, Gemm picking the box
/// filter's cell of each quadrant. Every weight is chosen, so the labels are known.
OnnxBuilder quadrant_classifier(int64_t opset = 13);

/// Samples for quadrant_classifier: image i has its bright square (value 1) in quadrant
/// i mod 4 over a background of U[0, 0.2) (seeded), so label i = i mod 4.
struct Samples {
  uint64_t n = 0;
  std::vector<float> inputs;  ///< n × 1 × 8 × 8
  std::vector<int64_t> labels;
};
Samples quadrant_samples(uint64_t n, uint64_t seed);

/// Writes samples as kqsim reads them: inputs float32 [n, C, H, W], labels int64 [n].
void save_samples(const Samples& s, const std::vector<uint64_t>& sample_shape,
                  const std::string& inputs_path, const std::string& labels_path);

/// Writes a .npy of NumPy dtype `descr` ("|u1", "<i8", ...) holding `data` as given.
void save_raw_npy(const std::string& path, const std::string& descr,
                  const std::vector<uint64_t>& shape, const std::string& data);

/// Every operator the importer maps, with seeded weights, input x [1, 3, 16, 16]:
///   c1 Conv 3→8 3×3 pad 1 + bias, bn1 (folded), r1 Relu,
///   c2 Conv depthwise (group 8) 3×3 stride 2 pad 1, clip Clip(0, 6),
///   c3 Conv 8→16 3×3 dilation 2 pad 2, bn3 (folded), c4 Conv 1×1 8→16 on clip's output,
///   add Add(c3, c4), mp MaxPool 2/2, ap AveragePool 2/2, bn5 (a batchnorm layer),
///   fl Flatten, fc1 Gemm 64→10 (transB, bias), r2 Relu, mm MatMul 10→5 + bias Add.
/// Node names as listed; output "y" [1, 5].
OnnxBuilder all_ops_model(uint64_t seed);

/// A small Fashion-MNIST-sized CNN (1×28×28 → 10): Conv 1→16 3×3 pad 1, BN, Relu, MaxPool 2;
/// Conv 16→32 3×3 pad 1, BN, Relu, MaxPool 2; Flatten; Gemm 1568→10. Seeded weights.
OnnxBuilder small_cnn(uint64_t seed);

/// torchvision's ResNet-50 (v1.5) as torch.onnx.export writes it in eval mode without
/// constant folding: Conv (no bias) + BatchNormalization + Relu, bottleneck Adds, GAP,
/// Flatten, Gemm. 25.5 M seeded weights, about 100 MB.
OnnxBuilder resnet50_model(uint64_t seed);

}  // namespace kqtest
