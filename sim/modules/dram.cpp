#include "sim/modules/dram.hpp"

#include <algorithm>

namespace kq {

Dram::Dram(sc_core::sc_module_name name, const DramSpec& spec, SimMode mode)
    : sc_module(name), clk("clk"), spec_(spec), mode_(mode) {
  if (mode_ == SimMode::cycle) {
    SC_METHOD(tick);
    sensitive << clk.pos();
    dont_initialize();
  }
}

uint64_t Dram::request(uint64_t bytes, bool write) {
  const uint64_t now = now_cycle();
  const uint64_t ticket = done_at_.size();
  if (bytes == 0 || spec_.ideal) {
    (write ? counts.dram_write_bytes : counts.dram_read_bytes) += bytes;
    done_at_.push_back(now);
    return ticket;
  }
  const uint64_t xfer =
      (bytes + spec_.bandwidth_bytes_per_cycle - 1) / spec_.bandwidth_bytes_per_cycle;
  const uint64_t start = std::max(now + spec_.latency_cycles, last_done_);
  last_done_ = start + xfer;
  done_at_.push_back(last_done_);
  if (mode_ == SimMode::fast) {
    counts.dram.busy += xfer;
    (write ? counts.dram_write_bytes : counts.dram_read_bytes) += bytes;
  } else {
    active_.push_back({start, last_done_, bytes, write});
  }
  if (mode_ == SimMode::fast)
    completed.notify(static_cast<double>(last_done_ - now), sc_core::SC_NS);
  return ticket;
}

void Dram::tick() {
  // The rising edge at t + 0.5 performs cycle t.
  const uint64_t cycle = ticked_++;
  while (!active_.empty() && active_.front().done <= cycle) active_.pop_front();
  bool busy = false;
  if (!active_.empty() && active_.front().start <= cycle) {
    const Transfer& t = active_.front();
    const uint64_t moved = (cycle - t.start) * spec_.bandwidth_bytes_per_cycle;
    const uint64_t now_bytes = std::min(spec_.bandwidth_bytes_per_cycle, t.bytes - moved);
    (t.write ? counts.dram_write_bytes : counts.dram_read_bytes) += now_bytes;
    ++counts.dram.busy;
    busy = true;
  } else {
    ++counts.dram.idle;
  }
  if (busy_trace && busy_trace->read() != busy) busy_trace->write(busy);
}

}  // namespace kq
