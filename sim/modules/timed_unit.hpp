#pragma once
#include <cstdint>
#include <systemc>

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
  void set_pending(bool pending) { pending_ = pending; }

  sc_core::sc_in<bool> clk;
  sc_core::sc_event finished;  ///< fast mode: wakes the controller
  ActionCounts counts;
  sc_core::sc_signal<bool>* busy_trace = nullptr;

 private:
  void tick();
  SimMode mode_;
  UnitCycles ActionCounts::*cycles_field_;
  UnitCycles ActionCounts::*multiplier_field_;
  bool active_ = false, pending_ = false;
  uint64_t total_ = 0, performed_ = 0, end_cycle_ = 0, busy_ = 0, multiplier_busy_ = 0;
  ActionCounts job_;
};

}  // namespace kq
