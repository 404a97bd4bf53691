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
void add_cycles(UnitCycles& a, const UnitCycles& b) {
  a.busy += b.busy;
  a.stall += b.stall;
  a.idle += b.idle;
}
}  // namespace

ActionCounts& ActionCounts::operator+=(const ActionCounts& o) {
  cycles += o.cycles;
  for (int i = 0; i < kNumFormats; ++i) {
    multiplications[i] += o.multiplications[i];
    additions[i] += o.additions[i];
  }
  comparisons += o.comparisons;
  narrow_multiplications += o.narrow_multiplications;
  for (int b = 0; b < kNumBuffers; ++b) {
    buffers[b].read_words += o.buffers[b].read_words;
    buffers[b].write_words += o.buffers[b].write_words;
    buffers[b].read_bits += o.buffers[b].read_bits;
    buffers[b].write_bits += o.buffers[b].write_bits;
  }
  register_read_bits += o.register_read_bits;
  register_write_bits += o.register_write_bits;
  dram_read_bytes += o.dram_read_bytes;
  dram_write_bytes += o.dram_write_bytes;
  add_cycles(array, o.array);
  add_cycles(multipliers, o.multipliers);
  add_cycles(dram, o.dram);
  add_cycles(vector, o.vector);
  return *this;
}

bool ActionCounts::operator==(const ActionCounts& o) const {
  return cycles == o.cycles && multiplications == o.multiplications && additions == o.additions &&
         comparisons == o.comparisons && narrow_multiplications == o.narrow_multiplications &&
         buffers == o.buffers &&
         register_read_bits == o.register_read_bits &&
         register_write_bits == o.register_write_bits && dram_read_bytes == o.dram_read_bytes &&
         dram_write_bytes == o.dram_write_bytes && array == o.array &&
         multipliers == o.multipliers && dram == o.dram && vector == o.vector;
}

}  // namespace kq
