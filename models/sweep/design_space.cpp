#include "models/sweep/design_space.hpp"

#include <fmt/format.h>

#include <set>

#include "models/common/input_error.hpp"
#include "models/workload/synthetic.hpp"

namespace kq {

DesignSpace::DesignSpace(const SweepSpec& spec) : spec_(&spec) {
  const uint64_t grid = grid_size(spec);  // 0: beyond kMaxSweepPoints
  if (spec.sampling == SweepSampling::grid) {
    points_ = grid;
    return;
  }
  Rng rng(spec.random_seed);
  const uint64_t n = spec.random_points;
  if (grid != 0 && n >= grid) {  // the sample is the whole grid
    points_ = grid;
    return;
  }
  if (grid != 0) {
    // Floyd's algorithm: n distinct indices of [0, grid), each subset equally likely; a bitmap
    // of the grid keeps it linear and returns them in grid order.
    std::vector<bool> chosen(grid, false);
    for (uint64_t j = grid - n; j < grid; ++j) {
      const uint64_t t = rng.next_u64() % (j + 1);
      chosen[chosen[t] ? j : t] = true;
    }
    sampled_.reserve(n);
    for (uint64_t i = 0; i < grid; ++i)
      if (chosen[i]) sampled_.push_back(i);
    points_ = n;
    return;
  }
  // A grid too large to index: draw coordinates axis by axis, drop repeats.
  std::set<std::vector<uint32_t>> drawn;
  std::vector<uint32_t> c(spec.axes.size());
  for (uint64_t attempts = 0; drawn.size() < n; ++attempts) {
    if (attempts > 20 * n)
      throw InputError(spec.file, "/sampling/points",
                       fmt::format("could not draw {} distinct points", n));
    for (size_t a = 0; a < spec.axes.size(); ++a)
      c[a] = static_cast<uint32_t>(rng.next_u64() % spec.axes[a].values.size());
    drawn.insert(c);
  }
  sampled_coords_.assign(drawn.begin(), drawn.end());
  points_ = n;
}

void DesignSpace::decode(uint64_t g, std::vector<uint32_t>& out) const {
  const auto& axes = spec_->axes;
  out.resize(axes.size());
  for (size_t a = axes.size(); a-- > 0;) {
    out[a] = static_cast<uint32_t>(g % axes[a].values.size());
    g /= axes[a].values.size();
  }
}

void DesignSpace::coordinates(uint64_t p, std::vector<uint32_t>& out) const {
  if (!sampled_coords_.empty()) {
    out = sampled_coords_[p];
    return;
  }
  decode(sampled_.empty() ? p : sampled_[p], out);
}

nlohmann::json DesignSpace::design(uint64_t p) const {
  const SweepSpec& spec = *spec_;
  std::vector<uint32_t> c;
  coordinates(p, c);
  nlohmann::json doc = spec.base;
  for (size_t a = 0; a < spec.axes.size(); ++a)
    for (const JsonPointer& ptr : spec.axes[a].pointers) {
      nlohmann::json* at = resolve(doc, ptr);
      if (!at)
        throw InputError(
            spec.file, fmt::format("/axes/{}", a),
            fmt::format("\"{}\" no longer exists once the earlier axes are applied", ptr.text));
      *at = spec.axes[a].values[c[a]];
    }
  for (size_t d = 0; d < spec.derived.size(); ++d) {
    const DerivedField& f = spec.derived[d];
    uint64_t v = f.scale;
    for (const JsonPointer& ptr : f.factors) {
      const nlohmann::json* x = resolve(doc, ptr);
      if (!x || !x->is_number_unsigned())
        throw InputError(spec.file, fmt::format("/derived/{}", d),
                         fmt::format("\"{}\" is not an unsigned integer in this design", ptr.text));
      const uint64_t k = x->get<uint64_t>();
      if (k != 0 && v > UINT64_MAX / k)
        throw InputError(spec.file, fmt::format("/derived/{}", d), "the product overflows");
      v *= k;
    }
    nlohmann::json* at = resolve(doc, f.target);
    if (!at)
      throw InputError(
          spec.file, fmt::format("/derived/{}", d),
          fmt::format("\"{}\" no longer exists once the axes are applied", f.target.text));
    *at = v;
  }
  return doc;
}

}  // namespace kq
