#pragma once
#include <cstdint>
#include <systemc>

namespace kq {

/// `cycle` evaluates every clock edge; `fast` jumps straight to the next event (a fold or a
/// DRAM transfer ending), adding the skipped stretch's activity in one step.
enum class SimMode { cycle, fast };

/// One clock cycle is 1 ns of simulated time, whatever the design's clock: reports convert
/// cycles to seconds with the configured clock_mhz. The controller decides on the falling
/// edge at integer ns t (cycle t begins) and the units perform cycle t on the rising edge at
/// t + 0.5, so a job started at t for c cycles is seen done by the decision at t + c.
inline const sc_core::sc_time kCyclePeriod(1, sc_core::SC_NS);

inline uint64_t now_cycle() {
  return static_cast<uint64_t>(sc_core::sc_time_stamp() / kCyclePeriod);
}

}  // namespace kq
