#pragma once
#include <cstdint>

namespace kq {

/// splitmix64: a portable generator, so synthetic tensors are byte-identical on every
/// platform and standard library (std::normal_distribution is not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next_u64() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  /// Standard normal by Box–Muller (one value per call, the pair's second value dropped so
  /// every draw consumes exactly two uniforms).
  double normal();

 private:
  uint64_t state_;
};

/// Mixes a run seed with a tensor's identity, so each tensor's stream is independent of the
/// order in which tensors are generated.
uint64_t tensor_seed(uint64_t run_seed, uint64_t layer_index, uint64_t kind);

}  // namespace kq
