#include "models/workload/layer.hpp"

namespace kq {

std::string_view to_string(LayerType t) {
  switch (t) {
    case LayerType::conv2d:
      return "conv2d";
    case LayerType::fc:
      return "fc";
    case LayerType::relu:
      return "relu";
    case LayerType::maxpool:
      return "maxpool";
    case LayerType::avgpool:
      return "avgpool";
    case LayerType::add:
      return "add";
    case LayerType::batchnorm:
      return "batchnorm";
  }
  return "unknown";
}

// The counts below multiply without overflow checks: infer_shapes() has already proven that
// every one of them fits in 64 bits for any layer of a loaded workload.

GemmDims Layer::gemm() const {
  switch (type) {
    case LayerType::conv2d:
      if (groups == 0) return {};
      return {out.h * out.w, (in.c / groups) * kh * kw, out.c / groups};
    case LayerType::fc:
      // A 1×1 conv over a 1×1×(C·H·W) input: one output pixel, the whole input as window.
      return {1, in.elements(), out.c};
    default:
      return {};
  }
}

uint64_t Layer::macs() const {
  if (!on_array()) return 0;
  const GemmDims g = gemm();
  const uint64_t group_count = type == LayerType::fc ? 1 : groups;
  return group_count * g.p * g.k * g.n;
}

uint64_t Layer::weight_params() const {
  if (!on_array()) return 0;
  const GemmDims g = gemm();
  const uint64_t group_count = type == LayerType::fc ? 1 : groups;
  return group_count * g.k * g.n;
}

uint64_t Layer::params() const {
  switch (type) {
    case LayerType::conv2d:
    case LayerType::fc:
      return weight_params() + (bias ? out.c : 0);
    case LayerType::batchnorm:
      return 2 * in.c;
    default:
      return 0;
  }
}

}  // namespace kq
