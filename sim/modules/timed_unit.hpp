#pragma once
#include <cstdint>
#include <systemc>
#include <vector>

#include "models/cost/action_counts.hpp"
#include "sim/modules/sim_clock.hpp"

namespace kq {

/// A compute unit that runs one job (a fold, or a vector layer) at a time for a known number
/// of cycles. In cycle mode it performs the job cycle by cycle on the rising edge, issuing the
/// job's actions evenly over its cycles; in fast mode it books the whole job when it starts
/// and only wakes the controller at its end. Subclasses compute the job's values.
class TimedUnit : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(TimedUnit);
  /// `multiplier_field`: the unit also accounts the array's multipliers (nullptr: it has none).
  TimedUnit(sc_core::sc_module_name name, SimMode mode, UnitCycles ActionCounts::*cycles_field,
            UnitCycles ActionCounts::*multiplier_field = nullptr);

  /// A job of `cycles`, of which the unit works `busy` and its multipliers `multiplier_busy`
  /// (the rest of the job they wait: an in-fold stall).
  void start(uint64_t cycles, uint64_t busy, uint64_t multiplier_busy, const ActionCounts& actions);
  bool busy() const { return active_; }
  /// Done: the job has performed all its cycles (the controller then calls retire()).
  bool done() const {
    return active_ && (mode_ == SimMode::cycle ? performed_ == total_ : now_cycle() >= end_cycle_);
  }
  void retire() {
    active_ = false;
    if (busy_trace && mode_ == SimMode::fast) busy_trace->write(false);
  }
  /// Set by the controller: whether this unit still has jobs in the current layer (a cycle
  /// without a job is then a stall, otherwise idle).
  void set_pending(bool pending) {
    sync_cycles();
    pending_ = pending;
  }
  /// Cycle mode: a unit without a job sleeps until its next job instead of evaluating every
  /// rising edge, and books the edges it slept through (stall or idle, as the per-edge
  /// accounting would have) when it wakes, when its pending state changes, and here: the
  /// controller calls this before it reads `counts`.
  void sync_cycles();

  sc_core::sc_in<bool> clk;
  sc_core::sc_event finished;  ///< fast mode: wakes the controller
  ActionCounts counts;
  sc_core::sc_signal<bool>* busy_trace = nullptr;

 private:
  void tick();
  SimMode mode_;
  UnitCycles ActionCounts::*cycles_field_;
  UnitCycles ActionCounts::*multiplier_field_;
  /// A job total issued over its n cycles: cycle i issues ⌊total·(i+1)/n⌋ − ⌊total·i/n⌋, so
  /// the cycles' shares add up to the total and differ by at most one. Kept incrementally
  /// (quotient q, remainder r, err = r·i mod n), which is that same share without a division.
  struct Spread {
    Spread() = default;
    Spread(uint64_t total, uint64_t cycles, uint64_t* to_counter);
    uint64_t next() {
      if (err >= n - r) {
        err -= n - r;
        return q + 1;
      }
      err += r;
      return q;
    }
    uint64_t* to = nullptr;  ///< the counter of `counts` it adds to
    uint64_t q = 0, r = 0, n = 1, err = 0;
  };
  bool active_ = false, pending_ = false;
  /// Cycle mode, sleeping: cycles from slept_from_ on are not booked yet. waking_: the next
  /// evaluation is the wake-up (it re-arms the clock sensitivity and performs nothing).
  bool asleep_ = false, waking_ = false;
  uint64_t slept_from_ = 0;
  sc_core::sc_event wake_;
  uint64_t total_ = 0, performed_ = 0, end_cycle_ = 0;
  std::vector<Spread> spread_;  ///< the job's nonzero actions (cycle mode)
  Spread busy_spread_, multiplier_spread_;
};

}  // namespace kq
