#pragma once
#include <array>
#include <cstdint>

#include "models/common/num_format.hpp"
#include "models/config/arch_config.hpp"

namespace kq {

/// Reads and writes of one on-chip buffer, in its words and in bits.
struct BufferCounts {
  uint64_t read_words = 0, write_words = 0;
  uint64_t read_bits = 0, write_bits = 0;
  bool operator==(const BufferCounts& o) const {
    return read_words == o.read_words && write_words == o.write_words && read_bits == o.read_bits &&
           write_bits == o.write_bits;
  }
};

/// Cycle accounting of one unit: busy + stall + idle = the cycles of the run.
struct UnitCycles {
  uint64_t busy = 0, stall = 0, idle = 0;
  bool operator==(const UnitCycles& o) const {
    return busy == o.busy && stall == o.stall && idle == o.idle;
  }
};

/// Everything the hardware did, by action. Energy is priced from these counts only
/// (Accelergy's principle: energy = Σ count × per-action energy); no model holds energy.
struct ActionCounts {
  uint64_t cycles = 0;
  std::array<uint64_t, kNumFormats> multiplications{};  ///< by operand format
  std::array<uint64_t, kNumFormats> additions{};        ///< by adder format
  uint64_t comparisons = 0;                             ///< max-pool / ReLU compares (vector unit)
  /// KQ decode: codebook code × activation products on narrow multipliers (code bits ×
  /// activation bits), priced apart from full-width multiplications.
  uint64_t narrow_multiplications = 0;
  std::array<BufferCounts, kNumBuffers> buffers{};
  uint64_t register_read_bits = 0, register_write_bits = 0;
  uint64_t dram_read_bytes = 0, dram_write_bytes = 0;
  /// array: the MAC/adder array; multipliers: the array's multipliers (inside a MAC array's
  /// PEs, a separate unit in a KCNN design); dram: the link; vector: the vector unit.
  UnitCycles array, multipliers, dram, vector;

  uint64_t total_multiplications() const;
  uint64_t total_additions() const;
  ActionCounts& operator+=(const ActionCounts& o);
  /// Adds `times` × o (the counts of `times` identical folds).
  ActionCounts& add_multiple(const ActionCounts& o, uint64_t times);
  bool operator==(const ActionCounts& o) const;
  bool operator!=(const ActionCounts& o) const { return !(*this == o); }
};

}  // namespace kq
