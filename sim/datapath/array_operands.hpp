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
/// KCNN bit planes of the layer in flight, laid out for the fold kernel (docs/MODEL.md §KCNN):
/// sel [g][c][m][j][n] (the plane bit as a factor: ±1, or 0/1 for zero_one planes and for
/// window-sum sharing, which sums the +1 positions), alpha [g][c][m][n] (kernel2d) or
/// [g][m][n] (filter3d), beta [g][c][n] or [g][n] (empty without an offset). Integer designs
/// hold the scales as fixed-point codes (value = code·2^exponent).
struct KcnnOperands {
  bool active = false;
  bool filter3d = false;
  bool signed_planes = true;  ///< sel is ±1 (pm1 without sharing)
  /// pm1 with window-sum sharing: sel marks the plane's minority side and
  /// S = side·(2·Σ_sel − T), side = +1 (the +1 positions) or −1 (the −1 positions).
  bool sharing = false;
  uint64_t planes = 1, window = 1;
  NumFormat adder_format = NumFormat::fp32;
  std::vector<float> self, alphaf, betaf, sidef;
  std::vector<int32_t> seli, alphai, betai, sidei;  ///< side: laid out like alpha
  /// filter3d: plane sums [g][p][m][n] and window sums [g][p] accumulated over channels.
  std::vector<float> plane_accf, window_accf;
  std::vector<int32_t> plane_acci, window_acci;
};

/// KQ response reuse for the layer in flight: the codebook codes [K][k²] (or LUT values),
/// the kernels' indices [g][n][c], and the response table of the current pixel chunk
/// [p − t0][c][j] (in the accumulator's number system).
struct KqReuseOperands {
  bool active = false;
  uint64_t codewords = 0, window = 1;
  std::vector<float> codebookf;
  std::vector<int32_t> codebooki;
  std::vector<uint32_t> indices;
  std::vector<float> tablef;
  std::vector<int32_t> tablei;
};

struct ArrayOperands {
  bool integer = false;
  NumFormat mult_format = NumFormat::fp32;
  NumFormat acc_format = NumFormat::fp32;
  uint64_t groups = 1, p = 0, k = 0, n = 0;
  std::vector<float> xf, wf, accf;
  std::vector<int32_t> xi, wi, acci;
  KcnnOperands kcnn;
  KqReuseOperands kq_reuse;
};

/// Executes one fold: for its output slice, accumulates its reduction slice in ascending k,
/// so every dataflow reproduces the sequential dot product bias + Σ_k x_k·w_k exactly as the
/// PE chain orders it.
void mac_fold(ArrayOperands& ops, const Step& step, Dataflow dataflow);

namespace detail {
/// Tests only: false runs the fold kernels on the baseline-x86-64 vector width even on an
/// AVX2 machine (both give identical values).
void set_fold_wide_simd(bool enabled);
/// Whether the fold kernels run their AVX2 clone (the CPU has AVX2 and tests allow it).
bool fold_wide_simd();
}  // namespace detail

/// Executes one fold of a kcnn_bitplane design: for its pixels, channels and filters, the M
/// plane sums of every window (adder format), each scaled by its α (multiplier format) and
/// accumulated (accumulator format) in ascending channel and plane order. Layers kept in
/// float (ops.kcnn.active false) run as MAC folds over the channels' windows.
void kcnn_fold(ArrayOperands& ops, const Step& step);

/// Executes one fold of KQ response reuse: the codeword responses of its codeword and tap
/// slice for every window of its pixel chunk; the chunk's last fold then gathers every output
/// Σ_c R[c, idx[n, c]] into the accumulators.
void kq_reuse_fold(ArrayOperands& ops, const Step& step);

}  // namespace kq
