#pragma once
#include <cstdint>

#include "models/config/arch_config.hpp"

namespace kq {

/// Random timing disturbances for stress runs of the SystemC model (`kqsim run --stress-*`),
/// all off by default. They perturb timing only: what the hardware computes, moves and counts
/// is unchanged, and every draw comes from a seeded splitmix64 stream per module in the order
/// the module sees its requests, so cycle and fast mode draw identically and a seed
/// reproduces a run byte for byte (docs/STRESS.md).
struct StressConfig {
  uint64_t seed = 1;
  /// Each DRAM request waits latency_cycles + U{0 … this} cycles before it may transfer
  /// (refresh, row misses, a contended controller). Requests still complete in order.
  uint64_t dram_latency_jitter_cycles = 0;
  /// Each DRAM transfer runs at an integer bandwidth drawn uniformly from
  /// [dram_worst_bandwidth(), bandwidth_bytes_per_cycle]: up to this percentage slower.
  uint32_t dram_bandwidth_jitter_pct = 0;
  /// Each job of a compute unit (an array fold, a vector layer) is held for U{0 … this}
  /// cycles spread over the job: its output buffer (ofmap write port, vector output FIFO)
  /// is not ready to accept results. Held cycles count as stall.
  uint64_t backpressure_max_cycles = 0;

  bool enabled() const {
    return dram_latency_jitter_cycles || dram_bandwidth_jitter_pct || backpressure_max_cycles;
  }
  /// The slowest bandwidth a transfer may draw (bytes per cycle, at least 1).
  uint64_t dram_worst_bandwidth(const DramSpec& d) const {
    const uint64_t bw = d.bandwidth_bytes_per_cycle;
    const uint64_t w = (bw * (100 - dram_bandwidth_jitter_pct) + 99) / 100;
    return w < 1 ? 1 : w;
  }
};

/// Largest jitter and back-pressure a run accepts (well past any real DRAM or buffer, small
/// enough that cycle counts keep their 64-bit headroom).
inline constexpr uint64_t kMaxStressCycles = uint64_t{1} << 20;
inline constexpr uint32_t kMaxBandwidthJitterPct = 90;

}  // namespace kq
