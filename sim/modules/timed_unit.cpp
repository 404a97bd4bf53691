#include "sim/modules/timed_unit.hpp"

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
                     UnitCycles ActionCounts::*cycles_field)
    : sc_module(name), clk("clk"), mode_(mode), cycles_field_(cycles_field) {
  if (mode_ == SimMode::cycle) {
    SC_METHOD(tick);
    sensitive << clk.pos();
    dont_initialize();
  }
}

void TimedUnit::start(uint64_t cycles, const ActionCounts& actions) {
  active_ = true;
  total_ = cycles;
  if (mode_ == SimMode::fast) {
    // The whole job is determined now: book it and sleep until it ends.
    counts += actions;
    (counts.*cycles_field_).busy += cycles;
    end_cycle_ = now_cycle() + cycles;
    finished.notify(static_cast<double>(cycles), sc_core::SC_NS);
    if (busy_trace) busy_trace->write(true);
  } else {
    job_ = actions;
    performed_ = 0;
  }
}

void TimedUnit::tick() {
  UnitCycles& c = counts.*cycles_field_;
  const bool working = active_ && performed_ < total_;
  if (working) {
    add_share(counts, job_, performed_, total_);
    ++performed_;
    ++c.busy;
  } else if (pending_) {
    ++c.stall;
  } else {
    ++c.idle;
  }
  if (busy_trace && busy_trace->read() != working) busy_trace->write(working);
}

}  // namespace kq
