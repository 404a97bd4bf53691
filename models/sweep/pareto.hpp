#pragma once
#include <array>
#include <cstddef>
#include <vector>

namespace kq {

/// The non-dominated points when every objective is minimised: p dominates q when p is no
/// worse in every objective and better in one. Points with equal objectives do not dominate
/// each other (all are kept). Returns indices into `points` in ascending order.
/// O(n log n + n·f) for a front of f points: in lexicographic order a point can only be
/// dominated by one before it, and then by a front point already found.
std::vector<size_t> pareto_front(const std::vector<std::array<double, 3>>& points);

}  // namespace kq
