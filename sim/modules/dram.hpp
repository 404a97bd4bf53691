#pragma once
#include <cstdint>
#include <deque>
#include <systemc>
#include <vector>

#include "models/config/arch_config.hpp"
#include "models/config/stress_config.hpp"
#include "models/cost/action_counts.hpp"
#include "models/workload/synthetic.hpp"
#include "sim/modules/sim_clock.hpp"

namespace kq {

/// Off-chip DRAM link: requests are served in order; each waits latency_cycles after it is
/// issued, then occupies the shared bus for ceil(bytes / bandwidth) cycles. The schedule of a
/// request is fixed when it is issued (the link has no data-dependent timing), so `done()`
/// is a comparison with the clock; in cycle mode the link still accounts every cycle.
/// Under stress each request draws extra latency and a lower bandwidth when it is issued.
class Dram : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Dram);
  Dram(sc_core::sc_module_name name, const DramSpec& spec, SimMode mode,
       const StressConfig& stress = {});

  /// Issues a request at the current cycle and returns its ticket.
  uint64_t request(uint64_t bytes, bool write);
  bool done(uint64_t ticket) const { return tickets_[ticket].done <= now_cycle(); }
  /// True when every request issued so far has completed.
  bool idle() const { return last_done_ <= now_cycle(); }
  uint64_t last_done() const { return last_done_; }
  /// Requests issued so far and not yet complete.
  uint64_t outstanding() const;

  /// What a request was, for the watchdog's message.
  struct Ticket {
    uint64_t issued = 0, done = 0, bytes = 0;
    bool write = false;
  };
  const Ticket& ticket(uint64_t t) const { return tickets_[t]; }
  /// Completion time of a request that never completes (test hook stuck_dram).
  static constexpr uint64_t kNever = UINT64_MAX;
  /// Test hook: the first request from this ticket on that moves bytes never completes, and
  /// with it every later one (the link is in order).
  void set_stuck_ticket(uint64_t t) { stuck_ticket_ = t; }

  /// Wakes the controller whenever a request completes (fast mode).
  sc_core::sc_event_queue completed;
  sc_core::sc_in<bool> clk;

  ActionCounts counts;    ///< dram bytes and dram unit cycles
  uint64_t activity = 0;  ///< cycles that moved data (cycle mode), for the watchdog
  sc_core::sc_signal<bool>* busy_trace = nullptr;

 private:
  void tick();
  struct Transfer {
    uint64_t start, done, bytes, bandwidth;
    bool write;
  };
  DramSpec spec_;
  SimMode mode_;
  StressConfig stress_;
  uint64_t worst_bandwidth_ = 1;
  Rng rng_;
  std::vector<Ticket> tickets_;
  std::deque<Transfer> active_;
  uint64_t last_done_ = 0;
  uint64_t ticked_ = 0;  ///< cycles performed so far (cycle mode)
  uint64_t stuck_ticket_ = UINT64_MAX;
};

}  // namespace kq
