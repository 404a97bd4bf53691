#pragma once
#include <cstdint>
#include <numeric>
#include <vector>

namespace kq {

/// Dense float tensor in C order. Weights are [N, C/groups, kh, kw] (fc: [N, C·H·W]),
/// activations [C, H, W].
struct Tensor {
  std::vector<uint64_t> shape;
  std::vector<float> data;
  uint64_t elements() const {
    return std::accumulate(shape.begin(), shape.end(), uint64_t{1},
                           [](uint64_t a, uint64_t b) { return a * b; });
  }
};

}  // namespace kq
