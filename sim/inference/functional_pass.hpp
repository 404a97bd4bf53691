#pragma once
#include <memory>
#include <vector>

#include "models/config/arch_config.hpp"
#include "models/mapping/schedule.hpp"
#include "models/quant/quantized_network.hpp"
#include "models/workload/workload.hpp"
#include "sim/datapath/network_state.hpp"

namespace kq {

/// A design's datapath ready to take samples without SystemC: every array layer's Schedule,
/// built once and shared read-only by every sample and thread. run() drives a NetworkState
/// through exactly the calls the SystemC model makes — begin_array_layer, one fold kernel per
/// Step in the Schedule's order (the MacArray's choice of mac_fold, kcnn_fold or
/// kq_reuse_fold), finish_array_layer; run_vector_layer for vector-unit layers — so the values
/// are the ones cycle and fast mode compute, only without timing.
class DesignDatapath {
 public:
  /// Keeps references to all three; they must outlive it. Throws InputError (the Schedule's)
  /// if a layer does not map onto the design's buffers.
  DesignDatapath(const Workload& w, const ArchConfig& arch, const QuantizedNetwork* quantized);

  /// All layers of one sample, in order. `state` must have been built on the same workload,
  /// arch and quantized weights.
  void run(NetworkState& state) const;

  const ArchConfig& arch() const { return *arch_; }
  const QuantizedNetwork* quantized() const { return quantized_; }

 private:
  const Workload* w_;
  const ArchConfig* arch_;
  const QuantizedNetwork* quantized_;
  std::vector<std::unique_ptr<Schedule>> schedules_;  ///< array layers; null for vector layers
};

}  // namespace kq
