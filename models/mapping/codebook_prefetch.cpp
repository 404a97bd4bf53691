#include "models/mapping/codebook_prefetch.hpp"

namespace kq {

std::vector<int> codebook_prefetch_plan(const Workload& w, const ArchConfig& arch) {
  std::vector<int> plan(w.layers.size(), -1);
  if (!arch.kq || !arch.buffer(BufferId::codebook).double_buffered) return plan;
  int previous = -1;
  for (size_t i = 0; i < w.layers.size(); ++i) {
    if (!w.layers[i].on_array() || !arch.kq->applies_to(w.layers[i])) continue;
    if (previous >= 0) plan[static_cast<size_t>(previous)] = static_cast<int>(i);
    previous = static_cast<int>(i);
  }
  return plan;
}

}  // namespace kq
