#pragma once
#include <cstdint>
#include <deque>
#include <systemc>
#include <vector>

#include "models/config/arch_config.hpp"
#include "models/cost/action_counts.hpp"
#include "sim/modules/sim_clock.hpp"

namespace kq {

/// Off-chip DRAM link: requests are served in order; each waits latency_cycles after it is
/// issued, then occupies the shared bus for ceil(bytes / bandwidth) cycles. The schedule of a
/// request is fixed when it is issued (the link has no data-dependent timing), so `done()`
/// is a comparison with the clock; in cycle mode the link still accounts every cycle.
class Dram : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Dram);
  Dram(sc_core::sc_module_name name, const DramSpec& spec, SimMode mode);

  /// Issues a request at the current cycle and returns its ticket.
  uint64_t request(uint64_t bytes, bool write);
  bool done(uint64_t ticket) const { return done_at_[ticket] <= now_cycle(); }
  /// True when every request issued so far has completed.
  bool idle() const { return last_done_ <= now_cycle(); }
  uint64_t last_done() const { return last_done_; }
  /// Wakes the controller whenever a request completes (fast mode).
  sc_core::sc_event_queue completed;
  sc_core::sc_in<bool> clk;

  ActionCounts counts;  ///< dram bytes and dram unit cycles
  sc_core::sc_signal<bool>* busy_trace = nullptr;

 private:
  void tick();
  struct Transfer {
    uint64_t start, done, bytes;
    bool write;
  };
  DramSpec spec_;
  SimMode mode_;
  std::vector<uint64_t> done_at_;
  std::deque<Transfer> active_;
  uint64_t last_done_ = 0;
  uint64_t ticked_ = 0;  ///< cycles performed so far (cycle mode)
};

}  // namespace kq
