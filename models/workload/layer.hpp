#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kq {

/// Activation tensor shape of one sample (batch is always 1), channel-major C×H×W.
struct Shape {
  uint64_t c = 0, h = 0, w = 0;
  uint64_t elements() const { return c * h * w; }
  bool operator==(const Shape& o) const { return c == o.c && h == o.h && w == o.w; }
  bool operator!=(const Shape& o) const { return !(*this == o); }
};

enum class LayerType : uint8_t { conv2d, fc, relu, maxpool, avgpool, add, batchnorm };
std::string_view to_string(LayerType t);

/// GEMM view of one group of a conv/fc layer, as SCALE-Sim sees it: P output pixels,
/// K = (C/groups)·kh·kw window length, N = out_channels/groups filters.
struct GemmDims {
  uint64_t p = 0, k = 0, n = 0;
};

/// One layer with its inferred shapes. Conv geometry uses PyTorch's conventions; a layer
/// imported from a SCALE-Sim topology uses ceil output rounding (SCALE-Sim's own rule).
struct Layer {
  std::string name;
  LayerType type = LayerType::conv2d;
  /// Producers: index into Workload::layers, or -1 for the network input.
  std::vector<int> inputs;
  Shape in;  ///< shape of inputs[0]
  Shape out;
  // conv2d / pooling geometry
  uint32_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
  uint32_t groups = 1;
  bool bias = false;
  bool ceil_mode = false;  ///< output size rounds up (SCALE-Sim topologies)
  /// relu: upper clip (6 for ReLU6); 0 means no upper clip.
  float relu_cap = 0;
  /// avgpool/maxpool over the whole input plane (kernel = input size).
  bool global_pool = false;
  /// Runs on the compute array (conv2d, fc); the rest run on the vector unit.
  bool on_array() const { return type == LayerType::conv2d || type == LayerType::fc; }
  /// Per group; fc is a 1×1 conv over the flattened input.
  GemmDims gemm() const;
  uint64_t macs() const;
  uint64_t weight_params() const;  ///< conv/fc weights only
  /// conv/fc weights + bias; batchnorm counts its scale and shift (2·C), as the published
  /// parameter counts of torchvision's models do.
  uint64_t params() const;
};

}  // namespace kq
