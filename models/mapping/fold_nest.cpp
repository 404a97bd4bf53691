// The loop nest of a layer's folds with a class per index (Schedule::fold_nest): what each
// fold model's step() reads of its indices, written down once so that the analytic model can
// evaluate runs of identical folds in closed form. Every class tuple below lists exactly the
// index-dependent quantities of the matching step function (array_step, kcnn_step,
// kq_reuse_step); tests/unit/fold_program_test.cpp checks the claim against every fold.
#include <algorithm>
#include <numeric>

#include "models/mapping/fold_accounting.hpp"
#include "models/mapping/schedule.hpp"

namespace kq {

using fold::ceil_div;

namespace {

/// Interns small tuples of index-dependent quantities into dense class ids, per level.
class ClassInterner {
 public:
  /// `period`: the level's likely period; the class `period` indices back is tried first.
  ClassInterner(std::vector<uint32_t>& out, uint64_t n, uint64_t period)
      : out_(out), period_(period) {
    out_.resize(n);
    seen_.clear();
  }
  void set(uint64_t index, uint64_t a, uint64_t b = 0, uint64_t c = 0, uint64_t d = 0) {
    const Key k{{a, b, c, d}};
    auto same = [&k](const Key& o) {
      return o[0] == k[0] && o[1] == k[1] && o[2] == k[2] && o[3] == k[3];
    };
    for (uint64_t back : {period_, uint64_t{1}})
      if (index >= back && same(seen_[out_[index - back]])) {
        out_[index] = out_[index - back];
        return;
      }
    // Levels have a handful of distinct classes (first, last, a few alignments); a linear
    // search over them is cheaper than hashing.
    for (size_t i = 0; i < seen_.size(); ++i)
      if (same(seen_[i])) {
        out_[index] = static_cast<uint32_t>(i);
        return;
      }
    seen_.push_back(k);
    out_[index] = static_cast<uint32_t>(seen_.size() - 1);
  }

 private:
  using Key = std::array<uint64_t, 4>;
  std::vector<uint32_t>& out_;
  uint64_t period_;
  // thread_local: fold_nest is called from many sweep threads at once.
  static thread_local std::vector<Key> seen_;
};

thread_local std::vector<ClassInterner::Key> ClassInterner::seen_;

/// Slices of `len` starting at multiples of `len` repeat their alignment to a period of
/// `modulus` every modulus / gcd(len, modulus) slices.
uint64_t alignment_period(uint64_t len, uint64_t modulus) {
  return modulus / std::gcd(len, modulus);
}

}  // namespace

void Schedule::fold_nest(FoldNest& out) const {
  out.structured = true;
  out.groups = 1;
  out.size = {1, 1, 1};
  out.period = {1, 1, 1};
  // Levels a fold model does not use keep one index of class 0.
  for (auto& c : out.classes) c.assign(1, 0);
  if (!on_array_) return;
  // KCNN counts under window-sum sharing or zero-skipping depend on each tile's plane bits.
  if (kcnn_ && !tile_ones_.empty()) {
    out.structured = false;
    return;
  }
  out.groups = geo_.groups;
  const uint64_t ar = arch_->array.rows, ac = arch_->array.cols;
  const uint64_t win = uint64_t{geo_.kh} * geo_.kw;
  const bool resident = input_resident_;
  // Slices of the output pixels: ws/KCNN/KQ-reuse chunks, os/is P-folds. `first_matters`:
  // the first slice fetches what the rest of the layer reuses (weights, KQ indices).
  auto pixel_level = [&](int level, uint64_t count, uint64_t slice, bool first_matters) {
    out.size[level] = count;
    out.period[level] = resident ? 1 : alignment_period(slice, geo_.w_out);
    ClassInterner in(out.classes[level], count, out.period[level]);
    std::vector<uint32_t>& c = out.classes[level];
    const PeriodicSlices run = resident ? PeriodicSlices{0, 0, 1} : periodic_slices(slice, count);
    for (uint64_t x = 0; x < count; ++x) {
      if (x == run.begin && run.end > run.begin) {
        for (; x < run.end; ++x) c[x] = c[x - run.period];
        if (x == count) break;
      }
      const uint64_t p0 = x * slice, len = std::min(slice, gemm_.p - p0);
      in.set(x, len, resident ? 0 : input_rows(p0, len), first_matters && x == 0);
    }
  };
  // Slices of the reduction K: ws/is K-folds, whose input channels (and, for KQ, the kernels
  // they touch and start) follow r0 mod window, so their classes repeat every period folds
  // between the first and the last.
  auto k_level = [&](int level, bool channels_matter) {
    const uint64_t n = row_folds_;
    const uint64_t period = channels_matter || kq_ ? alignment_period(ar, win) : 1;
    out.size[level] = n;
    out.period[level] = period;
    ClassInterner in(out.classes[level], n, period);
    auto set = [&](uint64_t r) {
      const uint64_t r0 = r * ar, len = std::min(ar, gemm_.k - r0);
      const uint64_t channels = channels_matter || kq_ ? input_channels(r0, len) : 0;
      const uint64_t starting = kq_ ? ceil_div(r0 + len, win) - ceil_div(r0, win) : 0;
      in.set(r, len, (r == 0 ? 1 : 0) | (r + 1 == n ? 2 : 0), channels, starting);
    };
    const uint64_t explicit_end = std::min(n, 1 + period);
    for (uint64_t r = 0; r < explicit_end; ++r) set(r);
    std::vector<uint32_t>& c = out.classes[level];
    for (uint64_t r = explicit_end; r + 1 < n; ++r) c[r] = c[r - period];
    if (n > explicit_end) set(n - 1);
  };
  // A level whose steps depend only on the slice length and, where the fold model says so,
  // on being the first or the last index.
  auto plain_level = [&](int level, uint64_t count, uint64_t slice, uint64_t total,
                         bool first_matters, bool last_matters) {
    out.size[level] = count;
    ClassInterner in(out.classes[level], count, 1);
    for (uint64_t x = 0; x < count; ++x)
      in.set(x, std::min(slice, total - x * slice),
             (first_matters && x == 0 ? 1 : 0) | (last_matters && x + 1 == count ? 2 : 0));
  };

  if (kq_reuse_) {
    // Pixel chunks (input rows; the layer's indices fetched at the first when they stay
    // resident), codeword folds (the first fetches the chunk's input, the last gathers), tap
    // folds (reduction: first and last pass).
    pixel_level(0, chunks_, chunk_len_, weights_resident_);
    plain_level(1, col_folds_, ac, codewords_, true, true);
    plain_level(2, row_folds_, ar, window_, true, true);
    return;
  }
  if (kcnn_) {
    // Filter folds (only their width: window-sum sharing, which would single out the first,
    // makes the counts data-dependent), pixel chunks (planes fetched at the first when a
    // column stays resident), channel folds (a fold's channels are its rows, so its input
    // footprint depends on its length only; first and last pass).
    plain_level(0, col_folds_, ac, gemm_.n, false, false);
    pixel_level(1, chunks_, chunk_len_, ws_column_resident_);
    plain_level(2, row_folds_, ar, gemm_.k / window_, true, true);
    return;
  }
  switch (arch_->array.dataflow) {
    case Dataflow::ws:
      // N-folds (only their width), chunks of P (weights fetched at the first when an
      // N-fold's column stays resident), K-folds.
      plain_level(0, col_folds_, ac, gemm_.n, false, false);
      pixel_level(1, chunks_, chunk_len_, ws_column_resident_);
      k_level(2, !resident);
      break;
    case Dataflow::os:
      // P-folds (input rows; resident weights fetched at the first), N-folds (the first of a
      // P-fold fetches its input rows unless the input is resident).
      pixel_level(0, row_folds_, ar, weights_resident_);
      plain_level(2, col_folds_, ac, gemm_.n, !resident, false);
      break;
    case Dataflow::is:
      // P-folds (input rows; resident weights fetched at the first), K-folds.
      pixel_level(0, col_folds_, ac, weights_resident_);
      k_level(2, !resident);
      break;
  }
}

}  // namespace kq
