#pragma once
// Accounting helpers shared by the fold models of models/mapping (internal to that folder).
#include <algorithm>
#include <cstdint>

#include "models/config/arch_config.hpp"
#include "models/cost/action_counts.hpp"

namespace kq::fold {

inline uint64_t ceil_div(uint64_t a, uint64_t b) {
  return (a + b - 1) / b;
}
inline uint64_t bytes_of(uint64_t bits) {
  return ceil_div(bits, 8);
}

/// A buffer access of `bits`, in whole words of the buffer.
inline void add_read(ActionCounts& a, BufferId b, uint64_t bits, uint32_t word_bits) {
  auto& c = a.buffers[static_cast<int>(b)];
  c.read_bits += bits;
  c.read_words += ceil_div(bits, word_bits);
}

inline void add_write(ActionCounts& a, BufferId b, uint64_t bits, uint32_t word_bits) {
  auto& c = a.buffers[static_cast<int>(b)];
  c.write_bits += bits;
  c.write_words += ceil_div(bits, word_bits);
}

/// Cycles to move `bits` through a port of `bits_per_cycle`, never less than `floor` cycles
/// (the array's own rate): the port stretches a phase only when it is the bottleneck.
inline uint64_t port_cycles(uint64_t floor, uint64_t bits, uint64_t bits_per_cycle) {
  return std::max(floor, ceil_div(bits, bits_per_cycle));
}

}  // namespace kq::fold
