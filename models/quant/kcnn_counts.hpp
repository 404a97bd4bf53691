#pragma once
#include <cstdint>

#include "models/quant/kcnn_quantizer.hpp"
#include "models/workload/layer.hpp"

// Closed-form operation counts of a conv/fc layer under KCNN (methods.md §2.6; the exact
// conventions are in docs/KCNN.md §Operation counts). Every count is for the whole layer:
// the per-output-element figure of the table times N·P.

namespace kq {

struct KcnnLayerCounts {
  KcnnLayerMode mode = KcnnLayerMode::float_kept;
  uint64_t kernels = 0;      ///< fitted vectors: N·C/g (kernel2d) or N (filter3d); 0 if float
  uint64_t kernel_size = 0;  ///< d: kh·kw (kernel2d) or C/g·kh·kw (filter3d); 0 if float
  uint64_t outputs = 0;      ///< N·P output elements

  // Float baseline (fp32 weights, one MAC per weight and output; the accumulator starts at
  // the bias, so additions = multiplications = MACs).
  uint64_t float_macs = 0;
  uint64_t float_weight_bits_read = 0;  ///< 32 per MAC (no on-chip reuse)

  // Under the options (all equal to the float baseline when the layer is kept float).
  uint64_t multiplications = 0;
  uint64_t additions = 0;  ///< additions_with_sharing if window_sum_sharing, else _no_sharing
  uint64_t additions_no_sharing = 0;
  uint64_t additions_with_sharing = 0;  ///< includes window_sum_additions
  uint64_t window_sum_additions = 0;    ///< shared window sums T (0 when nothing uses them)
  uint64_t weight_bits_read = 0;        ///< planes + scales read per output, no reuse
  uint64_t weight_storage_bits = 0;     ///< the layer's planes + scales (+ offsets), once
  uint64_t activation_reads = 0;        ///< C/g·kh·kw per output in every mode
  /// True when no weights were given and a reported count depends on the bits: then
  /// additions_with_sharing (pm1) and, under zero_skip, multiplications and additions are
  /// worst-case upper bounds (every plane dense; min(n₊, n₋) = ⌊d/2⌋).
  bool data_dependent_bound = false;

  /// float_macs / multiplications (k²/M for kernel2d without data-dependent skips).
  double multiplication_reduction() const;
};

/// Counts of a conv2d or fc layer (fc as a 1×1 conv over the flattened input, P = 1) under
/// the options; the mode follows kcnn_layer_mode(). With `weights` (the layer's quantized
/// weights, same planes, alphabet, offset and scale width), the bit-dependent counts use the
/// actual 1-bits. Throws std::invalid_argument for bad options, other layer types or weights
/// that do not belong to the layer, std::overflow_error if a count exceeds 64 bits.
KcnnLayerCounts kcnn_layer_counts(const Layer& layer, const KcnnOptions& opts,
                                  const KcnnLayerWeights* weights = nullptr);

}  // namespace kq
