#pragma once
#include <cstdint>
#include <systemc>
#include <vector>

#include "models/cost/action_counts.hpp"
#include "models/workload/synthetic.hpp"
#include "sim/modules/sim_clock.hpp"

namespace kq {

/// A compute unit that runs one job (a fold, or a vector layer) at a time for a known number
/// of cycles. In cycle mode it performs the job cycle by cycle on the rising edge, issuing the
/// job's actions evenly over its cycles; in fast mode it books the whole job when it starts
/// and only wakes the controller at its end. Subclasses compute the job's values.
/// Under back-pressure stress a job is also held for a drawn number of cycles, spread over
/// the job like its work: the unit waits (stall) for its output buffer to accept results.
class TimedUnit : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(TimedUnit);
  /// `multiplier_field`: the unit also accounts the array's multipliers (nullptr: it has none).
  TimedUnit(sc_core::sc_module_name name, SimMode mode, UnitCycles ActionCounts::*cycles_field,
            UnitCycles ActionCounts::*multiplier_field = nullptr);

  /// Back-pressure: every job is held for U{0 … max_hold_cycles} cycles drawn from `seed`.
  void set_backpressure(uint64_t max_hold_cycles, uint64_t seed);
  /// Test hooks: every job takes one cycle more than its fold says (a deliberate one-cycle
  /// model change, for `kqsim regress`); the job with this index never finishes (a hang, for
  /// the watchdog).
  void set_extra_cycle(bool on) { extra_cycle_ = on; }
  void set_stuck_job(uint64_t index) { stuck_job_ = index; }

  /// A job of `cycles`, of which the unit works `busy` and its multipliers `multiplier_busy`
  /// (the rest of the job they wait: an in-fold stall). Returns the cycles the job will take,
  /// held cycles included.
  uint64_t start(uint64_t cycles, uint64_t busy, uint64_t multiplier_busy,
                 const ActionCounts& actions);
  bool busy() const { return active_; }
  /// Done: the job has performed all its cycles (the controller then calls retire()).
  bool done() const {
    return active_ && !stuck_ &&
           (mode_ == SimMode::cycle ? elapsed_ == length_ : now_cycle() >= end_cycle_);
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
  /// Cycle the job in flight started, and its length (for the watchdog's message).
  uint64_t job_start() const { return job_start_; }
  uint64_t job_length() const { return length_; }
  uint64_t jobs_started() const { return jobs_; }

  sc_core::sc_in<bool> clk;
  sc_core::sc_event finished;  ///< fast mode: wakes the controller
  ActionCounts counts;
  uint64_t activity = 0;  ///< cycles that performed work (cycle mode), for the watchdog
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
  /// total_: work cycles of the job; hold_: held cycles; length_ = total_ + hold_;
  /// elapsed_: cycles of the job so far, performed_ of them worked.
  uint64_t total_ = 0, hold_ = 0, length_ = 0, performed_ = 0, elapsed_ = 0;
  uint64_t end_cycle_ = 0, job_start_ = 0, jobs_ = 0;
  std::vector<Spread> spread_;  ///< the job's nonzero actions over its work cycles (cycle mode)
  Spread busy_spread_, multiplier_spread_;
  Spread hold_spread_;  ///< which of the job's cycles are held
  uint64_t max_hold_ = 0;
  Rng rng_{0};
  bool extra_cycle_ = false, stuck_ = false;
  uint64_t stuck_job_ = UINT64_MAX;
};

}  // namespace kq
