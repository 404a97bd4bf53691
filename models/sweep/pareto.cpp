#include "models/sweep/pareto.hpp"

#include <algorithm>
#include <numeric>

namespace kq {

std::vector<size_t> pareto_front(const std::vector<std::array<double, 3>>& points) {
  std::vector<size_t> order(points.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return points[a] != points[b] ? points[a] < points[b] : a < b;
  });
  auto dominates = [&](size_t p, size_t q) {
    const auto &a = points[p], &b = points[q];
    return a[0] <= b[0] && a[1] <= b[1] && a[2] <= b[2] && a != b;
  };
  std::vector<size_t> front;
  for (size_t q : order) {
    // A dominator of q precedes it lexicographically; if it is not on the front itself, the
    // front point dominating it dominates q too.
    if (std::none_of(front.begin(), front.end(), [&](size_t p) { return dominates(p, q); }))
      front.push_back(q);
  }
  std::sort(front.begin(), front.end());
  return front;
}

}  // namespace kq
