#include "sim/modules/timed_unit.hpp"

#include "sim/modules/stress_draw.hpp"

namespace kq {
namespace {

/// Share of `total` issued in cycle i of n, so the shares of cycles 0..n−1 add to `total`.
inline uint64_t share(uint64_t total, uint64_t i, uint64_t n) {
  __extension__ typedef unsigned __int128 u128;
  return static_cast<uint64_t>((u128{total} * (i + 1)) / n - (u128{total} * i) / n);
}

void add_share(ActionCounts& to, const ActionCounts& job, uint64_t i, uint64_t n) {
  for (int f = 0; f < kNumFormats; ++f) {
    to.multiplications[f] += share(job.multiplications[f], i, n);
    to.additions[f] += share(job.additions[f], i, n);
  }
  to.comparisons += share(job.comparisons, i, n);
  to.narrow_multiplications += share(job.narrow_multiplications, i, n);
  for (int b = 0; b < kNumBuffers; ++b) {
    to.buffers[b].read_words += share(job.buffers[b].read_words, i, n);
    to.buffers[b].write_words += share(job.buffers[b].write_words, i, n);
    to.buffers[b].read_bits += share(job.buffers[b].read_bits, i, n);
    to.buffers[b].write_bits += share(job.buffers[b].write_bits, i, n);
  }
  to.register_read_bits += share(job.register_read_bits, i, n);
  to.register_write_bits += share(job.register_write_bits, i, n);
}

}  // namespace

TimedUnit::TimedUnit(sc_core::sc_module_name name, SimMode mode,
                     UnitCycles ActionCounts::*cycles_field,
                     UnitCycles ActionCounts::*multiplier_field)
    : sc_module(name),
      clk("clk"),
      mode_(mode),
      cycles_field_(cycles_field),
      multiplier_field_(multiplier_field) {
  if (mode_ == SimMode::cycle) {
    SC_METHOD(tick);
    sensitive << clk.pos();
    dont_initialize();
  }
}

void TimedUnit::set_backpressure(uint64_t max_hold_cycles, uint64_t seed) {
  max_hold_ = max_hold_cycles;
  rng_ = Rng(seed);
}

uint64_t TimedUnit::start(uint64_t cycles, uint64_t busy, uint64_t multiplier_busy,
                          const ActionCounts& actions) {
  if (extra_cycle_) ++cycles, ++busy;
  active_ = true;
  stuck_ = jobs_++ == stuck_job_;
  job_start_ = now_cycle();
  total_ = cycles;
  busy_ = busy;
  multiplier_busy_ = multiplier_busy;
  // One draw per job, in job order: cycle and fast mode see the same holds.
  hold_ = uniform_upto(rng_, max_hold_);
  length_ = total_ + hold_;
  if (stuck_) length_ = UINT64_MAX;
  if (mode_ == SimMode::fast) {
    if (stuck_) return length_;  // never books, never wakes the controller
    // The whole job is determined now: book it and sleep until it ends.
    counts += actions;
    (counts.*cycles_field_).busy += busy;
    (counts.*cycles_field_).stall += cycles - busy + hold_;
    if (multiplier_field_) {
      (counts.*multiplier_field_).busy += multiplier_busy;
      (counts.*multiplier_field_).stall += cycles - multiplier_busy + hold_;
    }
    end_cycle_ = job_start_ + length_;
    finished.notify(static_cast<double>(length_), sc_core::SC_NS);
    if (busy_trace) busy_trace->write(true);
  } else {
    job_ = actions;
    performed_ = 0;
    elapsed_ = 0;
  }
  return length_;
}

void TimedUnit::tick() {
  UnitCycles& c = counts.*cycles_field_;
  UnitCycles* mc = multiplier_field_ ? &(counts.*multiplier_field_) : nullptr;
  const bool in_job = active_ && elapsed_ < length_;
  // Held cycles are spread over the job like its actions; a stuck job never works.
  const bool held = in_job && (stuck_ || (hold_ && share(hold_, elapsed_, length_)));
  const bool working = in_job && !held;
  if (working) {
    // A job's busy cycles (and its multipliers') are spread evenly over its length, like its
    // actions: the fold is the unit of timing.
    add_share(counts, job_, performed_, total_);
    ++(share(busy_, performed_, total_) ? c.busy : c.stall);
    if (mc) ++(share(multiplier_busy_, performed_, total_) ? mc->busy : mc->stall);
    ++performed_;
    ++activity;
  } else if (in_job || pending_) {
    ++c.stall;
    if (mc) ++mc->stall;
  } else {
    ++c.idle;
    if (mc) ++mc->idle;
  }
  if (in_job) ++elapsed_;
  if (busy_trace && busy_trace->read() != working) busy_trace->write(working);
}

}  // namespace kq
