#pragma once
#include <vector>

#include "models/config/arch_config.hpp"
#include "models/workload/workload.hpp"

namespace kq {

/// Cross-layer codebook double buffering of kq_codebook designs: while a KQ layer computes
/// with its codebook in one half of the codebook SRAM, the next KQ layer's codebook loads into
/// the other half. Entry l is the index of the layer whose codebook layer l fetches at its
/// start (after its own first loads), or -1. Both timing models follow this plan. Empty plan
/// entries everywhere when the design is not KQ or its codebook SRAM is single-buffered.
std::vector<int> codebook_prefetch_plan(const Workload& w, const ArchConfig& arch);

}  // namespace kq
