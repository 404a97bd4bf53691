#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "models/sweep/sweep_spec.hpp"

namespace kq {

/// The points of a sweep: the whole grid, or a seeded sample of distinct grid points, in grid
/// order (the last axis varies fastest). Point p's design is the base design with each axis
/// value written at its pointers, then the derived fields.
class DesignSpace {
 public:
  /// Keeps a reference to `spec`. Throws InputError if random sampling cannot draw the
  /// requested number of distinct points.
  explicit DesignSpace(const SweepSpec& spec);

  uint64_t points() const { return points_; }
  /// Value index on each axis of point p, in axis order.
  void coordinates(uint64_t p, std::vector<uint32_t>& out) const;
  /// The patched design of point p. Throws InputError (the spec file, the axis or derived
  /// field) when an earlier value removed a place a later one writes, or a derived factor is
  /// not an unsigned integer: the point is then invalid, the sweep goes on.
  nlohmann::json design(uint64_t p) const;

 private:
  void decode(uint64_t grid_index, std::vector<uint32_t>& out) const;

  const SweepSpec* spec_;
  uint64_t points_ = 0;
  /// Random sampling: the sampled grid indices (when the grid is small enough to index), or
  /// else the sampled coordinates themselves.
  std::vector<uint64_t> sampled_;
  std::vector<std::vector<uint32_t>> sampled_coords_;
};

}  // namespace kq
