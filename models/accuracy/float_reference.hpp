#pragma once
#include <vector>

#include "models/workload/network_params.hpp"
#include "models/workload/workload.hpp"

namespace kq {

/// The trained network as its float weights define it, the baseline a quantized design's
/// accuracy is compared with: every layer by the golden reference (models/quant/reference) in
/// double precision on the original float32 weights, no hardware format anywhere. The
/// weights are converted once; run() is const and can be called from several threads.
class FloatReference {
 public:
  /// Keeps a reference to `w`; copies the weights.
  FloatReference(const Workload& w, const NetworkParams& params);
  /// The last layer's output for one [C, H, W] input.
  std::vector<double> run(const std::vector<float>& input) const;

 private:
  const Workload* w_;
  std::vector<std::vector<double>> weights_, biases_;
  std::vector<size_t> last_use_;  ///< per layer: the last layer reading its output
};

}  // namespace kq
