#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "models/cost/action_counts.hpp"

namespace kq {

/// What a model (analytic or cycle) reports for one layer.
struct LayerCost {
  std::string name;
  std::string type;
  uint64_t steps = 0;            ///< array folds (1 for vector-unit layers)
  uint64_t macs = 0;             ///< workload MACs of the layer (independent of hardware)
  uint64_t scalesim_cycles = 0;  ///< SCALE-Sim v2's compute-cycle figure for the layer
  ActionCounts counts;           ///< counts.cycles = the layer's cycles on this design
};

/// A whole network on one design.
struct NetworkCost {
  std::vector<LayerCost> layers;
  ActionCounts totals;
};

}  // namespace kq
