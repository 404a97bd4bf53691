#include "models/workload/synthetic.hpp"

#include <cmath>

namespace kq {

double Rng::normal() {
  const double u1 = 1.0 - uniform();  // (0, 1], so log is finite
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

uint64_t tensor_seed(uint64_t run_seed, uint64_t layer_index, uint64_t kind) {
  Rng r(run_seed ^ (layer_index * 0x9e3779b97f4a7c15ull) ^ (kind << 56));
  r.next_u64();
  return r.next_u64();
}

}  // namespace kq
