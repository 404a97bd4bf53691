#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

namespace kq {

/// Rank of class `label` among a classifier's scores: the classes scoring higher, plus those
/// scoring equally with a lower index (ties go to the lower class index, like a stable sort).
/// NaN ranks below every number (an fp16 design can overflow to inf − inf), so a NaN label
/// score is never a hit while other NaNs never beat it. Top-k correct ⇔ rank < k.
template <typename T>
uint64_t label_rank(const std::vector<T>& scores, uint32_t label) {
  const T s = scores[label];
  uint64_t rank = 0;
  for (size_t c = 0; c < scores.size(); ++c) {
    if (c == label) continue;
    const T v = scores[c];
    if (std::isnan(v)) {
      rank += std::isnan(s) && c < label;
    } else if (std::isnan(s) || v > s || (v == s && c < label)) {
      ++rank;
    }
  }
  return rank;
}

/// The top-1 class under the same order.
template <typename T>
uint32_t top1_class(const std::vector<T>& scores) {
  uint32_t best = 0;
  for (uint32_t c = 1; c < scores.size(); ++c) {
    const T v = scores[c], b = scores[best];
    if (!std::isnan(v) && (std::isnan(b) || v > b)) best = c;
  }
  return best;
}

}  // namespace kq
