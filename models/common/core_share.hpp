#pragma once
#include <algorithm>
#include <cstddef>

namespace kq {

/// Threads for each of `runs` processes that `jobs` at a time share `cores`: the cores divided
/// among the processes running at once (never more of them than there are runs), at least one.
inline unsigned threads_per_run(unsigned cores, unsigned jobs, size_t runs) {
  const size_t at_once = std::max<size_t>(1, std::min<size_t>(jobs, runs));
  return static_cast<unsigned>(std::max<size_t>(1, cores / at_once));
}

}  // namespace kq
