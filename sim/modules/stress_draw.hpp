#pragma once
#include <cstdint>

#include "models/workload/synthetic.hpp"

namespace kq {

/// Independent random streams of the stress options, one per module, so a module's draws do
/// not depend on how often the others draw.
enum class StressStream : uint64_t { dram = 1, mac_array = 2, vector_unit = 3 };

inline uint64_t stress_stream_seed(uint64_t seed, StressStream s) {
  return tensor_seed(seed, static_cast<uint64_t>(s), 0x5357);  // "SW": stress, not a tensor
}

/// Uniform integer in [0, n] (0 without drawing when n is 0, so stress off draws nothing).
inline uint64_t uniform_upto(Rng& rng, uint64_t n) {
  if (n == 0) return 0;
  __extension__ typedef unsigned __int128 u128;
  return static_cast<uint64_t>((u128{rng.next_u64()} * (u128{n} + 1)) >> 64);
}

}  // namespace kq
