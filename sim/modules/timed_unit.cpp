#include "sim/modules/timed_unit.hpp"

#include "sim/modules/stress_draw.hpp"

namespace kq {
namespace {

/// The counters a job spreads over its cycles, paired with the job's totals.
template <typename F>
void for_each_spread_field(ActionCounts& to, const ActionCounts& job, F f) {
  for (int i = 0; i < kNumFormats; ++i) {
    f(to.multiplications[i], job.multiplications[i]);
    f(to.additions[i], job.additions[i]);
  }
  f(to.comparisons, job.comparisons);
  f(to.narrow_multiplications, job.narrow_multiplications);
  for (int b = 0; b < kNumBuffers; ++b) {
    f(to.buffers[b].read_words, job.buffers[b].read_words);
    f(to.buffers[b].write_words, job.buffers[b].write_words);
    f(to.buffers[b].read_bits, job.buffers[b].read_bits);
    f(to.buffers[b].write_bits, job.buffers[b].write_bits);
  }
  f(to.register_read_bits, job.register_read_bits);
  f(to.register_write_bits, job.register_write_bits);
}

}  // namespace

TimedUnit::Spread::Spread(uint64_t total, uint64_t cycles, uint64_t* to_counter)
    : to(to_counter), q(total / cycles), r(total % cycles), n(cycles) {}

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
  // One draw per job, in job order: cycle and fast mode see the same holds.
  hold_ = uniform_upto(rng_, max_hold_);
  length_ = stuck_ ? UINT64_MAX : total_ + hold_;
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
    if (asleep_) {
      // Book the slept edges, then resume on the clock: the wake-up evaluation runs in a
      // delta cycle now and re-arms clk.pos(), so the job's first cycle is the next edge.
      sync_cycles();
      asleep_ = false;
      waking_ = true;
      wake_.notify(sc_core::SC_ZERO_TIME);
    }
    performed_ = 0;
    elapsed_ = 0;
    spread_.clear();
    hold_spread_ = Spread(stuck_ ? 0 : hold_, stuck_ || length_ == 0 ? 1 : length_, nullptr);
    if (cycles == 0) return length_;  // no work cycle: only held cycles, if any
    for_each_spread_field(counts, actions, [&](uint64_t& to, uint64_t total) {
      if (total) spread_.emplace_back(total, cycles, &to);
    });
    busy_spread_ = Spread(busy, cycles, nullptr);
    multiplier_spread_ = Spread(multiplier_busy, cycles, nullptr);
  }
  return length_;
}

void TimedUnit::sync_cycles() {
  if (!asleep_) return;
  // The falling edge at integer ns t: the rising edges of cycles before t have passed.
  const uint64_t now = now_cycle();
  const uint64_t slept = now - slept_from_;
  UnitCycles& c = counts.*cycles_field_;
  (pending_ ? c.stall : c.idle) += slept;
  if (multiplier_field_)
    ((counts.*multiplier_field_).*(pending_ ? &UnitCycles::stall : &UnitCycles::idle)) += slept;
  slept_from_ = now;
}

void TimedUnit::tick() {
  if (waking_) {
    waking_ = false;
    next_trigger();  // back to the static sensitivity, clk.pos()
    return;
  }
  UnitCycles& c = counts.*cycles_field_;
  UnitCycles* mc = multiplier_field_ ? &(counts.*multiplier_field_) : nullptr;
  const bool in_job = active_ && elapsed_ < length_;
  // Held cycles are spread over the job like its actions; a stuck job never works.
  const bool held = in_job && (stuck_ || (hold_ && hold_spread_.next()));
  const bool working = in_job && !held;
  if (working) {
    // A job's busy cycles (and its multipliers') are spread evenly over its length, like its
    // actions: the fold is the unit of timing.
    for (Spread& sp : spread_) *sp.to += sp.next();
    ++(busy_spread_.next() ? c.busy : c.stall);
    if (mc) ++(multiplier_spread_.next() ? mc->busy : mc->stall);
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
  if (!in_job) {
    // Nothing to perform until the controller starts a job: sleep through the edges.
    asleep_ = true;
    slept_from_ = now_cycle() + 1;
    next_trigger(wake_);
  }
}

}  // namespace kq
