#pragma once
#include <cstdint>
#include <vector>

#include "models/common/num_format.hpp"
#include "models/config/arch_config.hpp"
#include "models/mapping/schedule.hpp"

namespace kq {

/// One array layer's operands in the GEMM view, laid out for the fold kernels:
/// x [g][P][K] (im2col, in the activation format), w [g][K][N], accumulators [g][P][N]
/// initialised to the bias. Float formats hold values already rounded to the format;
/// integer formats hold codes, accumulating in two's-complement int32 (wrapping, as an
/// int32 adder does).
struct ArrayOperands {
  bool integer = false;
  NumFormat mult_format = NumFormat::fp32;
  NumFormat acc_format = NumFormat::fp32;
  uint64_t groups = 1, p = 0, k = 0, n = 0;
  std::vector<float> xf, wf, accf;
  std::vector<int32_t> xi, wi, acci;
};

/// Executes one fold: for its output slice, accumulates its reduction slice in ascending k,
/// so every dataflow reproduces the sequential dot product bias + Σ_k x_k·w_k exactly as the
/// PE chain orders it.
void mac_fold(ArrayOperands& ops, const Step& step, Dataflow dataflow);

}  // namespace kq
