#pragma once
#include <cstddef>
#include <functional>
#include <vector>

#include "models/accuracy/accuracy_result.hpp"
#include "models/accuracy/labelled_data.hpp"
#include "models/config/arch_config.hpp"
#include "models/quant/quantized_network.hpp"
#include "models/workload/network_params.hpp"
#include "models/workload/workload.hpp"

namespace kq {

/// A design whose accuracy is measured: its architecture and the weights its datapath runs
/// (quantize_network's result; nullptr or empty for the MAC baselines).
struct DesignUnderTest {
  const ArchConfig* arch = nullptr;
  const QuantizedNetwork* quantized = nullptr;
};

struct AccuracyOptions {
  /// Worker threads; 0 uses every hardware thread. Results do not depend on it.
  unsigned threads = 0;
  /// Also check every value of every sample against the golden reference (2–3× slower).
  bool check_reference = false;
  /// Called after each sample with (samples done, samples total), never concurrently.
  std::function<void(size_t, size_t)> on_progress;
};

/// Runs every sample of `data` through the float reference (the trained network in double
/// precision) and through each design's datapath — the values its SystemC model computes,
/// driven without timing (DesignDatapath) — and counts top-1/top-5 hits against the labels.
/// Samples run in parallel, one NetworkState per sample on its worker thread; each sample's
/// outcome is stored by index, so the result is identical for any thread count.
/// `params` holds the weights (its input is ignored); every design must have been quantized
/// from these weights (or imported) for this workload, and `data` loaded for it
/// (load_labelled_data); std::invalid_argument otherwise. Throws InputError if a layer does
/// not map onto a design's buffers.
AccuracyResult evaluate_accuracy(const Workload& w, const NetworkParams& params,
                                 const std::vector<DesignUnderTest>& designs,
                                 const LabelledData& data, const AccuracyOptions& options = {});

}  // namespace kq
