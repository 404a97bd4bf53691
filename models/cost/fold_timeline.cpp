#include "models/cost/fold_timeline.hpp"

#include <algorithm>

namespace kq {

void FoldTimeline::start(const DramSpec& dram, uint64_t folds, uint32_t prefetch_depth,
                         uint32_t output_depth, uint64_t prefetch_bytes) {
  ideal_ = dram.ideal;
  latency_ = dram.latency_cycles;
  bandwidth_ = dram.bandwidth_bytes_per_cycle;
  folds_ = folds;
  prefetch_bytes_ = prefetch_bytes;
  prefetch_depth_ = prefetch_depth;
  output_depth_ = output_depth;
  pushed_ = computed_ = 0;
  compute_end_ = last_done_ = 0;
  head_ = waiting_count_ = 0;
  store_done_1_ = store_done_2_ = 0;
}

FoldTimeline::Waiting FoldTimeline::pop() {
  const Waiting w = waiting_[head_];
  head_ ^= 1;
  --waiting_count_;
  return w;
}

void FoldTimeline::compute_and_store(const Waiting& w) {
  uint64_t start = std::max(w.load_done, compute_end_);
  if (computed_ >= output_depth_)
    start = std::max(start, output_depth_ == 1 ? store_done_1_ : store_done_2_);
  compute_end_ = start + w.compute_cycles;
  store_done_2_ = store_done_1_;
  store_done_1_ = serve(compute_end_, w.write_bytes);
  ++computed_;
}

void FoldTimeline::push(const FoldTiming& f) {
  if (pushed_ < prefetch_depth_) {
    // The first folds' loads issue at the layer start.
    waiting_[(head_ + waiting_count_) & 1] = {f.compute_cycles, f.write_bytes,
                                              serve(0, f.read_bytes)};
    ++waiting_count_;
    ++pushed_;
    if (pushed_ == std::min<uint64_t>(prefetch_depth_, folds_) && prefetch_bytes_)
      serve(0, prefetch_bytes_);
    return;
  }
  // The oldest waiting fold computes; its slot then takes the new fold, whose load goes to
  // DRAM before the finished fold's store (the hot path of every explicitly timed fold).
  Waiting& w = waiting_[head_];
  uint64_t start = std::max(w.load_done, compute_end_);
  if (computed_ >= output_depth_)
    start = std::max(start, output_depth_ == 1 ? store_done_1_ : store_done_2_);
  compute_end_ = start + w.compute_cycles;
  const uint64_t write_bytes = w.write_bytes;
  w = {f.compute_cycles, f.write_bytes, serve(compute_end_, f.read_bytes)};
  if (prefetch_depth_ == 2) head_ ^= 1;
  store_done_2_ = store_done_1_;
  store_done_1_ = serve(compute_end_, write_bytes);
  ++computed_;
  ++pushed_;
}

void FoldTimeline::finish() {
  while (waiting_count_ > 0) compute_and_store(pop());
}

FoldTimeline::Snapshot FoldTimeline::snapshot() const {
  const uint64_t ce = compute_end_;
  auto rel = [ce](uint64_t t) { return t > ce ? t - ce : 0; };
  Snapshot s;
  size_t k = 0;
  s.v[k++] = waiting_count_;
  for (uint32_t i = 0; i < waiting_count_; ++i) {
    const Waiting& w = waiting_[(head_ + i) & 1];
    s.v[k++] = w.compute_cycles;
    s.v[k++] = w.write_bytes;
    s.v[k++] = rel(w.load_done);
  }
  s.v[k++] = rel(store_done_1_);
  s.v[k++] = rel(store_done_2_);
  s.v[k++] = rel(last_done_);
  return s;
}

void FoldTimeline::skip(uint64_t folds, uint64_t cycles) {
  const uint64_t ce = compute_end_;
  auto shift = [ce, cycles](uint64_t& t) { t = std::max(t, ce) + cycles; };
  for (uint32_t i = 0; i < waiting_count_; ++i) shift(waiting_[(head_ + i) & 1].load_done);
  shift(store_done_1_);
  shift(store_done_2_);
  shift(last_done_);
  compute_end_ += cycles;
  pushed_ += folds;
  computed_ += folds;
}

void FoldTimeline::restore(const Snapshot& s, uint64_t end, uint64_t folds) {
  size_t k = 0;
  waiting_count_ = static_cast<uint32_t>(s.v[k++]);
  head_ = 0;
  for (uint32_t i = 0; i < waiting_count_; ++i) {
    waiting_[i].compute_cycles = s.v[k++];
    waiting_[i].write_bytes = s.v[k++];
    waiting_[i].load_done = end + s.v[k++];
  }
  store_done_1_ = end + s.v[k++];
  store_done_2_ = end + s.v[k++];
  last_done_ = end + s.v[k++];
  compute_end_ = end;
  pushed_ += folds;
  computed_ += folds;
}

}  // namespace kq
