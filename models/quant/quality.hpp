#pragma once
#include <cstdint>
#include <limits>
#include <string>

namespace kq {

/// How a layer's hardware output compared with the golden reference computed on the same
/// operands: "exact" (integer datapaths, every value must match) or "bound" (float: every
/// |error| must stay under the rounding-error bound of docs/MODEL.md §Numerics).
struct ReferenceCheck {
  std::string kind = "none";
  uint64_t compared = 0;
  uint64_t violations = 0;
  double max_abs_error = 0;
  double max_error_over_bound = 0;  ///< max |error| / bound (≤ 1 passes); exact: 0
};

/// Numeric quality of one layer's output.
struct LayerQuality {
  ReferenceCheck check;
  /// Output of this design against the fp32 golden network on the same input and weights.
  double output_sqnr_db = std::numeric_limits<double>::quiet_NaN();
  /// Array layers: this layer's output against the float layer on the same input (its own
  /// quantization error, not what its input inherited).
  double layer_sqnr_db = std::numeric_limits<double>::quiet_NaN();
};

}  // namespace kq
