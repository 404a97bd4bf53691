#include "models/cost/fold_program.hpp"

#include <algorithm>

namespace kq {
namespace {

constexpr uint32_t kNone = ~uint32_t{0};
constexpr uint64_t kClassBits = 20;                // class ids per level in a memo key
constexpr uint64_t kMaxDense = uint64_t{1} << 16;  // entries of the dense memo table
/// Besides the level's period hint, a literal position also tries the distance to the next
/// index of its class, up to this far.
constexpr uint64_t kNearbyPeriods = 64;
/// Repeats shorter than this many folds run explicitly: watching for a steady state would
/// cost more than it saves.
constexpr uint64_t kMinFoldsToWatch = 16;

uint64_t transfer_cycles(const DramSpec& dram, uint64_t bytes) {
  return bytes == 0 || dram.ideal
             ? 0
             : (bytes + dram.bandwidth_bytes_per_cycle - 1) / dram.bandwidth_bytes_per_cycle;
}

}  // namespace

void FoldProgram::compress(int level, uint64_t from, std::vector<Item>& out) const {
  out.clear();
  const std::vector<uint32_t>& seq = nest_.classes[level];
  const uint64_t n = seq.size();
  // How often the block seq[x, x+p) repeats back to back from x.
  auto same_block = [&](uint64_t a, uint64_t b, uint64_t p) {
    for (uint64_t t = 0; t < p; ++t)
      if (seq[a + t] != seq[b + t]) return false;
    return true;
  };
  auto repeats = [&](uint64_t x, uint64_t p) {
    uint64_t k = 1;
    while (x + (k + 1) * p <= n && same_block(x + k * p, x, p)) ++k;
    return k;
  };
  uint64_t x = from;
  while (x < n) {
    Item best{x, 1, 1};
    auto consider = [&](uint64_t p) {
      if (p == 0 || x + 2 * p > n) return;
      const uint64_t k = repeats(x, p);
      if (k >= 2 && k * p > best.period * best.count) best = {x, p, k};
    };
    consider(1);
    if (nest_.period[level] > 1) consider(nest_.period[level]);
    if (best.count == 1)
      for (uint64_t p = 2; p <= kNearbyPeriods && x + p < n; ++p)
        if (seq[x + p] == seq[x]) {
          if (p != nest_.period[level]) consider(p);
          break;
        }
    out.push_back(best);
    x += best.period * best.count;
  }
}

uint32_t FoldProgram::add_node(const Node& n) {
  nodes_.push_back(n);
  return static_cast<uint32_t>(nodes_.size() - 1);
}

uint32_t FoldProgram::seq_of(const std::vector<uint32_t>& kids, size_t begin) {
  if (kids.size() - begin == 1) return kids[begin];
  Node n;
  n.kind = Kind::seq;
  n.a = static_cast<uint32_t>(children_.size());
  n.b = static_cast<uint32_t>(kids.size() - begin);
  for (size_t i = begin; i < kids.size(); ++i) {
    children_.push_back(kids[i]);
    n.folds += nodes_[kids[i]].folds;
  }
  return add_node(n);
}

uint32_t* FoldProgram::memo_slot(uint64_t key) {
  // Open addressing, kept at most half full; entries of earlier builds are recognised by
  // their stamp.
  if (2 * (memo_count_ + 1) > memo_.size()) {
    std::vector<MemoEntry> old;
    old.swap(memo_);
    memo_.assign(std::max<size_t>(256, old.size() * 2), MemoEntry{});
    memo_count_ = 0;
    for (const MemoEntry& e : old)
      if (e.stamp == stamp_) *memo_slot(e.key) = e.node;
  }
  const size_t mask = memo_.size() - 1;
  size_t h = static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 17) & mask;
  while (memo_[h].stamp == stamp_ && memo_[h].key != key) h = (h + 1) & mask;
  if (memo_[h].stamp != stamp_) {
    memo_[h].stamp = stamp_;
    memo_[h].key = key;
    memo_[h].node = kNone;
    ++memo_count_;
  }
  return &memo_[h].node;
}

uint32_t* FoldProgram::slot_of(int level, const uint64_t* index, bool first) {
  if (!dense_.empty()) {
    // Dense table: level offset, then the classes of the fixed outer indices, then `first`.
    size_t at = 0;
    for (int l = 0; l < level; ++l) at = at * distinct_[l] + nest_.classes[l][index[l]];
    DenseEntry& e = dense_[dense_offset_[level] + 2 * at + (first ? 1 : 0)];
    if (e.stamp != stamp_) e = {stamp_, kNone};
    return &e.node;
  }
  uint64_t key = (uint64_t(level) << 61) | (uint64_t{first} << 60);
  for (int l = 0; l < level; ++l)
    key |= uint64_t{nest_.classes[l][index[l]]} << (kClassBits * static_cast<uint64_t>(l));
  return memo_slot(key);
}

uint32_t FoldProgram::subtree(int level, uint64_t g, const uint64_t* index, bool first) {
  if (uint32_t found = *slot_of(level, index, first); found != kNone) return found;
  uint32_t node = kNone;
  if (level == 3) {
    const uint64_t s =
        ((g * nest_.size[0] + index[0]) * nest_.size[1] + index[1]) * nest_.size[2] + index[2];
    Leaf leaf;
    leaf.step = sched_->step(s);
    leaf.timing = {leaf.step.compute_cycles(), leaf.step.dram_read_bytes,
                   leaf.step.dram_write_bytes};
    leaves_.push_back(leaf);
    Node n;
    n.kind = Kind::leaf;
    n.a = static_cast<uint32_t>(leaves_.size() - 1);
    n.folds = 1;
    node = add_node(n);
  } else {
    uint64_t idx[3] = {index[0], index[1], index[2]};
    const size_t base = scratch_.size();
    if (first) {
      idx[level] = 0;
      const uint32_t c = subtree(level + 1, g, idx, true);
      scratch_.push_back(c);
    }
    for (const Item& it : first ? items_rest_[level] : items_all_[level]) {
      uint32_t child;
      if (it.period == 1) {
        idx[level] = it.start;
        child = subtree(level + 1, g, idx, false);
      } else {
        const size_t pattern = scratch_.size();
        for (uint64_t t = 0; t < it.period; ++t) {
          idx[level] = it.start + t;
          const uint32_t c = subtree(level + 1, g, idx, false);
          scratch_.push_back(c);
        }
        child = seq_of(scratch_, pattern);
        scratch_.resize(pattern);
      }
      if (it.count > 1) {
        Node r;
        r.kind = Kind::repeat;
        r.a = child;
        r.count = it.count;
        r.folds = it.count * nodes_[child].folds;
        child = add_node(r);
      }
      scratch_.push_back(child);
    }
    node = seq_of(scratch_, base);
    scratch_.resize(base);
  }
  *slot_of(level, index, first) = node;
  return node;
}

bool FoldProgram::build(const Schedule& sched) {
  sched_ = &sched;
  nodes_.clear();
  children_.clear();
  leaves_.clear();
  scratch_.clear();
  sched.fold_nest(nest_);
  if (!nest_.structured) return false;
  for (int l = 0; l < 3; ++l) {
    const auto& c = nest_.classes[l];
    distinct_[l] = c.empty() ? 1 : *std::max_element(c.begin(), c.end()) + uint64_t{1};
    if (distinct_[l] >> kClassBits) return false;
  }
  // Subtrees are memoised by (level, classes of the fixed outer indices, first): a dense
  // table when the class counts are small (they nearly always are), else a hash table.
  const uint64_t d0 = distinct_[0], d01 = d0 * distinct_[1], d012 = d01 * distinct_[2];
  dense_offset_ = {0, 2, 2 + 2 * d0, 2 + 2 * d0 + 2 * d01};
  const uint64_t dense_size = dense_offset_[3] + 2 * d012;
  if (dense_size <= kMaxDense) {
    if (dense_.size() < dense_size) dense_.resize(dense_size, DenseEntry{0, kNone});
  } else {
    dense_.clear();
  }
  for (int l = 0; l < 3; ++l) {
    compress(l, 0, items_all_[l]);
    // From index 1 on: the same items when index 0 is a literal (it nearly always is: the
    // first index of a level is special).
    const std::vector<Item>& all = items_all_[l];
    if (!all.empty() && all[0].period * all[0].count == 1)
      items_rest_[l].assign(all.begin() + 1, all.end());
    else
      compress(l, 1, items_rest_[l]);
  }
  memo_count_ = 0;
  if (++stamp_ == 0) {  // stamps wrapped: forget every entry for real
    std::fill(memo_.begin(), memo_.end(), MemoEntry{});
    std::fill(dense_.begin(), dense_.end(), DenseEntry{0, kNone});
    stamp_ = 1;
  }
  const uint64_t zero[3] = {0, 0, 0};
  root_ = subtree(0, 0, zero, true);
  if (nest_.groups > 1) {
    // Groups after the first are identical to each other.
    uint32_t rest = subtree(0, 1, zero, false);
    if (nest_.groups > 2) {
      Node r;
      r.kind = Kind::repeat;
      r.a = rest;
      r.count = nest_.groups - 1;
      r.folds = r.count * nodes_[rest].folds;
      rest = add_node(r);
    }
    const size_t base = scratch_.size();
    scratch_.push_back(root_);
    scratch_.push_back(rest);
    root_ = seq_of(scratch_, base);
    scratch_.resize(base);
  }
  return true;
}

void FoldProgram::compact() {
  sched_ = nullptr;
  nest_ = FoldNest{};
  for (auto& v : items_all_) std::vector<Item>().swap(v);
  for (auto& v : items_rest_) std::vector<Item>().swap(v);
  std::vector<uint32_t>().swap(scratch_);
  std::vector<MemoEntry>().swap(memo_);
  std::vector<DenseEntry>().swap(dense_);
  memo_count_ = 0;
  nodes_.shrink_to_fit();
  children_.shrink_to_fit();
  leaves_.shrink_to_fit();
}

uint64_t FoldProgram::folds() const {
  return nodes_.empty() ? 0 : nodes_[root_].folds;
}

void FoldProgram::run(FoldTimeline& timeline) const {
  if (!nodes_.empty()) run_node(root_, timeline);
}

void FoldProgram::run_node(uint32_t id, FoldTimeline& t) const {
  const Node& n = nodes_[id];
  switch (n.kind) {
    case Kind::leaf:
      t.push(leaves_[n.a].timing);
      break;
    case Kind::seq:
      for (uint32_t i = 0; i < n.b; ++i) run_node(children_[n.a + i], t);
      break;
    case Kind::repeat:
      run_repeat(n, t);
      break;
  }
}

void FoldProgram::run_repeat(const Node& n, FoldTimeline& t) const {
  // Snapshots before the last two iterations. If the state before iteration k equals (up to
  // a shift) the one before k−1, every later iteration shifts it by the same cycles; equal to
  // the one before k−2, every later pair does.
  FoldTimeline::Snapshot prev1, prev2;
  uint64_t end1 = 0, end2 = 0;
  bool have1 = false, have2 = false, skipped = false;
  const uint64_t child_folds = nodes_[n.a].folds;
  if (n.count < 3 || n.count * child_folds < kMinFoldsToWatch) {
    for (uint64_t k = 0; k < n.count; ++k) run_node(n.a, t);
    return;
  }
  for (uint64_t k = 0; k < n.count;) {
    if (!skipped && t.steady()) {
      const FoldTimeline::Snapshot s = t.snapshot();
      const uint64_t end = t.compute_end();
      if (have1 && s == prev1) {
        const uint64_t rest = n.count - k;
        t.skip(rest * child_folds, rest * (end - end1));
        return;
      }
      if (have2 && s == prev2) {
        const uint64_t pairs = (n.count - k) / 2;
        t.skip(2 * pairs * child_folds, pairs * (end - end2));
        k += 2 * pairs;
        skipped = true;
        continue;
      }
      prev2 = prev1, end2 = end1, have2 = have1;
      prev1 = s, end1 = end, have1 = true;
    }
    run_node(n.a, t);
    ++k;
  }
}

uint64_t FoldProgram::dram_busy_cycles(const DramSpec& dram) const {
  if (leaf_runs_.size() != leaves_.size()) totals(dram);
  uint64_t busy = 0;
  for (size_t i = 0; i < leaves_.size(); ++i) {
    const Step& st = leaves_[i].step;
    busy += leaf_runs_[i] * (transfer_cycles(dram, st.dram_read_bytes) +
                             transfer_cycles(dram, st.dram_write_bytes));
  }
  return busy;
}

FoldTotals FoldProgram::totals(const DramSpec& dram) const {
  // How often each node runs: parents were created after their children, so one pass from
  // the root down the node ids hands every node its count before it passes it on.
  std::vector<uint64_t>& runs = runs_;
  runs.assign(nodes_.size(), 0);
  FoldTotals tot;
  if (nodes_.empty()) return tot;
  runs[root_] = 1;
  leaf_runs_.assign(leaves_.size(), 0);
  // (Counted down without wrapping past zero: the fuzz build traps on unsigned wrap here.)
  for (size_t k = nodes_.size(); k > 0; --k) {
    const size_t id = k - 1;
    const uint64_t m = runs[id];
    if (m == 0) continue;
    const Node& n = nodes_[id];
    if (n.kind == Kind::seq) {
      for (uint32_t i = 0; i < n.b; ++i) runs[children_[n.a + i]] += m;
    } else if (n.kind == Kind::repeat) {
      runs[n.a] += m * n.count;
    } else {
      const Step& st = leaves_[n.a].step;
      leaf_runs_[n.a] += m;
      tot.actions.add_multiple(st.actions, m);
      tot.dram_read_bytes += m * st.dram_read_bytes;
      tot.dram_write_bytes += m * st.dram_write_bytes;
      tot.array_busy_cycles += m * st.array_busy_cycles;
      tot.multiplier_busy_cycles += m * st.multiplier_busy_cycles;
      tot.dram_busy_cycles += m * (transfer_cycles(dram, st.dram_read_bytes) +
                                   transfer_cycles(dram, st.dram_write_bytes));
      tot.folds += m;
    }
  }
  return tot;
}

}  // namespace kq
