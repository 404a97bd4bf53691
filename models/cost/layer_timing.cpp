#include "models/cost/layer_timing.hpp"

namespace kq::layer_timing {
namespace {

uint64_t ceil_div(uint64_t a, uint64_t b) {
  return (a + b - 1) / b;
}

uint64_t transfer_cycles(const DramSpec& dram, uint64_t bytes) {
  return bytes == 0 || dram.ideal ? 0 : ceil_div(bytes, dram.bandwidth_bytes_per_cycle);
}

}  // namespace

void count_codebook_prefetch(ActionCounts& c, const BufferSpec& codebook, uint64_t prefetch_bits) {
  if (!prefetch_bits) return;
  c.dram_read_bytes += ceil_div(prefetch_bits, 8);
  auto& cb = c.buffers[static_cast<int>(BufferId::codebook)];
  cb.write_bits += prefetch_bits;
  cb.write_words += ceil_div(prefetch_bits, codebook.word_bits);
}

void set_unit_cycles(ActionCounts& c, bool on_array, uint64_t end, uint64_t compute_end,
                     uint64_t busy, uint64_t mult_busy, uint64_t dram_busy) {
  c.cycles = end;
  UnitCycles& unit = on_array ? c.array : c.vector;
  unit.busy = busy;
  unit.stall = compute_end - busy;
  unit.idle = end - compute_end;
  UnitCycles& other = on_array ? c.vector : c.array;
  other.idle = end;
  // The multipliers wait (stall) inside the array's folds whenever they are not the bottleneck.
  c.multipliers.busy = on_array ? mult_busy : 0;
  c.multipliers.stall = on_array ? compute_end - mult_busy : 0;
  c.multipliers.idle = on_array ? end - compute_end : end;
  c.dram.busy = dram_busy;
  c.dram.idle = end - dram_busy;
}

LayerShape shape_of(const Schedule& sched, uint64_t prefetch_bits) {
  LayerShape s;
  s.on_array = sched.on_array();
  s.folds = sched.num_steps();
  s.prefetch_depth = sched.prefetch_depth();
  s.output_depth = sched.output_depth();
  s.prefetch_bits = prefetch_bits;
  return s;
}

void program_counts(const FoldProgram& program, const FoldTotals& tot, const LayerShape& s,
                    const ArchConfig& arch, FoldTimeline& timeline, ActionCounts& c) {
  const uint64_t prefetch_bytes = ceil_div(s.prefetch_bits, 8);
  timeline.start(arch.dram, s.folds, s.prefetch_depth, s.output_depth, prefetch_bytes);
  program.run(timeline);
  timeline.finish();
  c.add_multiple(tot.actions, 1);
  c.dram_read_bytes += tot.dram_read_bytes;
  c.dram_write_bytes += tot.dram_write_bytes;
  count_codebook_prefetch(c, arch.buffer(BufferId::codebook), s.prefetch_bits);
  set_unit_cycles(c, s.on_array, timeline.end(), timeline.compute_end(), tot.array_busy_cycles,
                  tot.multiplier_busy_cycles,
                  tot.dram_busy_cycles + transfer_cycles(arch.dram, prefetch_bytes));
}

void single_fold_counts(const Step& st, const LayerShape& s, const ArchConfig& arch,
                        FoldTimeline& timeline, ActionCounts& c) {
  const uint64_t prefetch_bytes = ceil_div(s.prefetch_bits, 8);
  timeline.start(arch.dram, 1, s.prefetch_depth, s.output_depth, prefetch_bytes);
  timeline.push({st.compute_cycles(), st.dram_read_bytes, st.dram_write_bytes});
  timeline.finish();
  c.add_multiple(st.actions, 1);
  c.dram_read_bytes += st.dram_read_bytes;
  c.dram_write_bytes += st.dram_write_bytes;
  count_codebook_prefetch(c, arch.buffer(BufferId::codebook), s.prefetch_bits);
  set_unit_cycles(c, s.on_array, timeline.end(), timeline.compute_end(), st.array_busy_cycles,
                  st.multiplier_busy_cycles,
                  transfer_cycles(arch.dram, st.dram_read_bytes) +
                      transfer_cycles(arch.dram, st.dram_write_bytes) +
                      transfer_cycles(arch.dram, prefetch_bytes));
}

}  // namespace kq::layer_timing
