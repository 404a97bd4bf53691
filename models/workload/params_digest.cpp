#include "models/workload/params_digest.hpp"

#include "models/common/file_hash.hpp"

namespace kq {
namespace {

void add_tensor(Fnv1a64& h, const Tensor& t) {
  const uint64_t rank = t.shape.size();
  h.add(&rank, sizeof rank);
  h.add(t.shape.data(), t.shape.size() * sizeof(uint64_t));
  h.add(t.data.data(), t.data.size() * sizeof(float));
}

}  // namespace

std::string input_fnv1a64(const NetworkParams& p) {
  Fnv1a64 h;
  add_tensor(h, p.input);
  return h.hex();
}

std::string weights_fnv1a64(const NetworkParams& p) {
  Fnv1a64 h;
  for (const LayerParams& l : p.layers) {
    add_tensor(h, l.weight);
    add_tensor(h, l.bias);
  }
  return h.hex();
}

}  // namespace kq
