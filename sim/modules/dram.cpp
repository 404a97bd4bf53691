#include "sim/modules/dram.hpp"

#include <algorithm>

#include "sim/modules/stress_draw.hpp"

namespace kq {

Dram::Dram(sc_core::sc_module_name name, const DramSpec& spec, SimMode mode,
           const StressConfig& stress)
    : sc_module(name),
      clk("clk"),
      spec_(spec),
      mode_(mode),
      stress_(stress),
      worst_bandwidth_(stress.dram_worst_bandwidth(spec)),
      rng_(stress_stream_seed(stress.seed, StressStream::dram)) {
  if (mode_ == SimMode::cycle) {
    SC_METHOD(tick);
    sensitive << clk.pos();
    dont_initialize();
  }
}

uint64_t Dram::outstanding() const {
  const uint64_t now = now_cycle();
  return static_cast<uint64_t>(std::count_if(tickets_.begin(), tickets_.end(),
                                             [now](const Ticket& t) { return t.done > now; }));
}

uint64_t Dram::request(uint64_t bytes, bool write) {
  const uint64_t now = now_cycle();
  const uint64_t ticket = tickets_.size();
  if (bytes == 0 || spec_.ideal) {
    (write ? counts.dram_write_bytes : counts.dram_read_bytes) += bytes;
    tickets_.push_back({now, now, bytes, write});
    return ticket;
  }
  // Draws happen per request in issue order, which is the same in cycle and fast mode.
  const uint64_t latency =
      spec_.latency_cycles + uniform_upto(rng_, stress_.dram_latency_jitter_cycles);
  const uint64_t bandwidth =
      spec_.bandwidth_bytes_per_cycle -
      uniform_upto(rng_, stress_.dram_bandwidth_jitter_pct
                             ? spec_.bandwidth_bytes_per_cycle - worst_bandwidth_
                             : 0);
  const uint64_t xfer = (bytes + bandwidth - 1) / bandwidth;
  if (ticket >= stuck_ticket_ || last_done_ == kNever) {
    // Test hook: this request, and so every later one, never completes. Its bytes are never
    // moved; the watchdog names it.
    last_done_ = kNever;
    tickets_.push_back({now, kNever, bytes, write});
    return ticket;
  }
  const uint64_t start = std::max(now + latency, last_done_);
  last_done_ = start + xfer;
  tickets_.push_back({now, last_done_, bytes, write});
  if (mode_ == SimMode::fast) {
    counts.dram.busy += xfer;
    (write ? counts.dram_write_bytes : counts.dram_read_bytes) += bytes;
    completed.notify(static_cast<double>(last_done_ - now), sc_core::SC_NS);
  } else {
    active_.push_back({start, last_done_, bytes, bandwidth, write});
  }
  return ticket;
}

void Dram::tick() {
  // The rising edge at t + 0.5 performs cycle t.
  const uint64_t cycle = ticked_++;
  while (!active_.empty() && active_.front().done <= cycle) active_.pop_front();
  bool busy = false;
  if (!active_.empty() && active_.front().start <= cycle) {
    const Transfer& t = active_.front();
    const uint64_t moved = (cycle - t.start) * t.bandwidth;
    const uint64_t now_bytes = std::min(t.bandwidth, t.bytes - moved);
    (t.write ? counts.dram_write_bytes : counts.dram_read_bytes) += now_bytes;
    ++counts.dram.busy;
    ++activity;
    busy = true;
  } else {
    ++counts.dram.idle;
  }
  if (busy_trace && busy_trace->read() != busy) busy_trace->write(busy);
}

}  // namespace kq
