#include "models/cost/action_counts.hpp"

namespace kq {

uint64_t ActionCounts::total_multiplications() const {
  uint64_t s = narrow_multiplications;
  for (uint64_t m : multiplications) s += m;
  return s;
}

uint64_t ActionCounts::total_additions() const {
  uint64_t s = 0;
  for (uint64_t a : additions) s += a;
  return s;
}

namespace {
void add_cycles(UnitCycles& a, const UnitCycles& b, uint64_t times) {
  a.busy += times * b.busy;
  a.stall += times * b.stall;
  a.idle += times * b.idle;
}
}  // namespace

ActionCounts& ActionCounts::operator+=(const ActionCounts& o) {
  return add_multiple(o, 1);
}

ActionCounts& ActionCounts::add_multiple(const ActionCounts& o, uint64_t times) {
  cycles += times * o.cycles;
  for (int i = 0; i < kNumFormats; ++i) {
    multiplications[i] += times * o.multiplications[i];
    additions[i] += times * o.additions[i];
  }
  comparisons += times * o.comparisons;
  narrow_multiplications += times * o.narrow_multiplications;
  for (int b = 0; b < kNumBuffers; ++b) {
    buffers[b].read_words += times * o.buffers[b].read_words;
    buffers[b].write_words += times * o.buffers[b].write_words;
    buffers[b].read_bits += times * o.buffers[b].read_bits;
    buffers[b].write_bits += times * o.buffers[b].write_bits;
  }
  register_read_bits += times * o.register_read_bits;
  register_write_bits += times * o.register_write_bits;
  dram_read_bytes += times * o.dram_read_bytes;
  dram_write_bytes += times * o.dram_write_bytes;
  add_cycles(array, o.array, times);
  add_cycles(multipliers, o.multipliers, times);
  add_cycles(dram, o.dram, times);
  add_cycles(vector, o.vector, times);
  return *this;
}

bool ActionCounts::operator==(const ActionCounts& o) const {
  return cycles == o.cycles && multiplications == o.multiplications && additions == o.additions &&
         comparisons == o.comparisons && narrow_multiplications == o.narrow_multiplications &&
         buffers == o.buffers && register_read_bits == o.register_read_bits &&
         register_write_bits == o.register_write_bits && dram_read_bytes == o.dram_read_bytes &&
         dram_write_bytes == o.dram_write_bytes && array == o.array &&
         multipliers == o.multipliers && dram == o.dram && vector == o.vector;
}

}  // namespace kq
