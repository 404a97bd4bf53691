#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "models/workload/layer.hpp"
#include "models/workload/tensor.hpp"

// KCNN kernel-wise bit-plane quantization (docs/KCNN.md; methods.md §2). Every choice the
// papers leave open is a field of KcnnOptions, not a constant, until the PDF is checked.

namespace kq {

/// What one set of bit planes covers: the 2-D k×k slice W[n,c] (reading R1) or the 3-D
/// filter W[n] (reading R2).
enum class KcnnGranularity : uint8_t { kernel2d, filter3d };
/// Plane values: bit 1 means +1 / 1, bit 0 means −1 / 0.
enum class KcnnAlphabet : uint8_t { pm1, zero_one };
/// A per-kernel additive offset β (reading R1b). zero_one only: ±1 planes already give levels
/// symmetric about 0, and reading R1 has no offset.
enum class KcnnOffset : uint8_t { none, per_kernel };
enum class KcnnInit : uint8_t { greedy_residual, fixed_point };
/// Storage of α and β: IEEE single, IEEE half, or signed fixed point with one power-of-two
/// step per layer (docs/KCNN.md §Scale formats).
enum class KcnnScaleFormat : uint8_t { fp32, fp16, fixed };
/// What happens to a layer whose kernel-wise planes would cost more multiplications than
/// float (k²/M < 1, i.e. kh·kw < M; in practice 1×1 layers with M ≥ 2).
enum class KcnnPolicy1x1 : uint8_t { keep_float, filter3d, bitplanes };

std::string_view to_string(KcnnGranularity g);
std::string_view to_string(KcnnAlphabet a);
std::string_view to_string(KcnnOffset o);
std::string_view to_string(KcnnInit i);
std::string_view to_string(KcnnScaleFormat f);
std::string_view to_string(KcnnPolicy1x1 p);

/// Largest number of planes: codes are one byte per weight and the 2^M levels fit a small
/// fixed table.
inline constexpr uint32_t kKcnnMaxPlanes = 8;

/// Every [A] option of methods.md §6; defaults are the note's recommended values.
struct KcnnOptions {
  KcnnGranularity granularity = KcnnGranularity::kernel2d;
  uint32_t planes = 2;  ///< M, 1..kKcnnMaxPlanes
  KcnnAlphabet alphabet = KcnnAlphabet::pm1;
  KcnnOffset offset = KcnnOffset::none;  ///< per_kernel only with zero_one
  KcnnInit init = KcnnInit::greedy_residual;
  uint32_t max_iterations = 10;  ///< T: assignment steps at most; 0 keeps the init
  double ridge_delta = 1e-4;     ///< δ of the ridge-stabilised scale update; ≥ 0
  KcnnScaleFormat scale_format = KcnnScaleFormat::fp32;
  uint32_t fixed_bits = 16;  ///< width of a fixed-point scale, 2..24 (sign included)
  KcnnPolicy1x1 policy_1x1 = KcnnPolicy1x1::keep_float;
  bool window_sum_sharing = false;  ///< counts only
  bool zero_skip = false;           ///< counts only; zero_one only

  /// Throws std::invalid_argument naming the first inconsistent field.
  void validate() const;
  /// b_α: bits of one stored scale (32, 16 or fixed_bits).
  uint32_t scale_bits() const;
  bool has_offset() const { return offset == KcnnOffset::per_kernel; }
};

/// How a layer is executed under the options: kept float (policy keep_float), or fitted with
/// planes of the given granularity.
enum class KcnnLayerMode : uint8_t { float_kept, kernel2d, filter3d };
std::string_view to_string(KcnnLayerMode m);

/// conv2d and fc layers (fc as a 1×1 conv over the flattened input); std::invalid_argument for
/// any other type. kernel2d layers with kh·kw < M follow policy_1x1.
KcnnLayerMode kcnn_layer_mode(const Layer& layer, const KcnnOptions& opts);

/// The fixed scale format's per-layer exponent: the smallest e with
/// max_abs_scale ≤ (2^(bits−1) − 1)·2^e, so the largest scale uses the full signed range and
/// none saturates (0 when max_abs_scale is 0). Stored scales are round(v·2^−e)·2^e.
int kcnn_fixed_exponent(double max_abs_scale, uint32_t bits);

/// One fitted kernel vector (fit_kernel): scales as stored and the code of every weight.
struct KernelFit {
  std::vector<float> alpha;  ///< M stored scales, |α| non-increasing (canonical order)
  float beta = 0;            ///< stored offset; 0 without one
  /// Per weight: bit m set means plane m holds +1 (pm1) or 1 (zero_one) there.
  std::vector<uint8_t> codes;
  double sq_error = 0;  ///< Σ (w − ŵ)² with the stored scales
  /// Scale updates run, each after an assignment (the error trace has iterations + 1 entries).
  uint32_t iterations = 0;
  /// A fixed point was reached (the nearest-level codes of α are the codes α was solved
  /// from), the fit is exact, or only rounding was left to change; false when T ran out.
  bool converged = false;
  int32_t fixed_exponent = 0;  ///< scale_format fixed: stored scales are q·2^e (this kernel)
};

/// Fits one kernel vector w[0..d) (methods.md §2.4). With error_trace, it is cleared and
/// receives the squared error after the init and after every scale update (in double, before
/// the scales are rounded to scale_format; the trace never increases). With scale_format
/// fixed, the kernel's own largest scale sets the exponent (a layer uses the layer's).
/// Throws std::invalid_argument for invalid options, d = 0 or non-finite weights.
KernelFit fit_kernel(const float* w, size_t d, const KcnnOptions& opts,
                     std::vector<double>* error_trace = nullptr);

/// The quantized weights of one conv/fc layer.
///
/// Kernel q covers: kernel2d, q = n·c + ci, elements W[n, ci, :, :] in row-major order
/// (kernel_size() = kh·kw); filter3d, q = n, elements W[n, :, :, :] in C order
/// (kernel_size() = c·kh·kw).
///
/// Packing of `planes`: kernel q's record is M·kernel_size() bits, plane-major; bit
/// (m, i) of kernel q is global bit g = (q·M + m)·kernel_size() + i, stored in word g / 64 at
/// bit g % 64 (LSB first). Records follow each other without padding, so one word may hold
/// parts of several kernels. The bit order is the C-order flattening of the import arrays
/// [N, C, M, kh, kw] (kernel2d) and [N, M, C, kh, kw] (filter3d).
struct KcnnLayerWeights {
  KcnnOptions opts;
  KcnnGranularity granularity = KcnnGranularity::kernel2d;  ///< effective (after policy_1x1)
  uint64_t n = 0;                                           ///< output channels
  uint64_t c = 0;                                           ///< input channels per group
  uint64_t kh = 1, kw = 1;
  uint64_t groups = 1;
  std::vector<uint64_t> weight_shape;  ///< shape dequantize() returns (the layer's weight)
  std::vector<uint64_t> planes;
  std::vector<float> alpha;    ///< [kernels][M]
  std::vector<float> beta;     ///< [kernels], empty without an offset
  int32_t fixed_exponent = 0;  ///< scale_format fixed: every stored scale is q·2^e
  /// Σ (w − ŵ)² and Σ w² over the layer, from quantization; NaN when imported.
  double sq_error = std::numeric_limits<double>::quiet_NaN();
  double sq_signal = std::numeric_limits<double>::quiet_NaN();

  uint64_t kernels() const;
  uint64_t kernel_size() const;
  uint32_t plane_count() const { return opts.planes; }
  bool bit(uint64_t kernel, uint32_t plane, uint64_t element) const;
  /// Number of 1-bits of one plane of one kernel.
  uint64_t ones(uint64_t kernel, uint32_t plane) const;
  /// ŵ in the layer's weight shape (levels computed in double, rounded once to float).
  Tensor dequantize() const;
  /// 10·log10(Σ w² / Σ (w − ŵ)²) from quantization; +inf when exact. std::logic_error when
  /// the weights were imported (no reference): use kcnn_weight_sqnr_db(weights, reference).
  double weight_sqnr_db() const;
  /// Stored bits per weight, M·(1 + b_α/kernel_size()) (+ b_α/kernel_size() with an
  /// offset), methods.md §2.6. The per-layer exponent of the fixed format is not counted.
  double bits_per_weight() const;
  /// Planes + scales (+ offsets) of the whole layer, in bits.
  uint64_t storage_bits() const;
};

/// Quantizes a weight tensor [N, C/groups, kh, kw] (or an fc weight [N, K], taken as
/// [N, K, 1, 1]) with the given granularity, ignoring policy_1x1. Two passes: every kernel is
/// fitted in double, then the scales are rounded to scale_format (fixed: one exponent for the
/// layer, set by its largest |α| or |β|) and every weight is re-assigned to the nearest level
/// of the stored scales, so sq_error is the error of what is stored. Deterministic.
/// Throws std::invalid_argument for bad options, shapes or non-finite weights, and when a
/// stored scale overflows its format.
KcnnLayerWeights quantize_kcnn(const Tensor& weight, uint64_t groups, KcnnGranularity granularity,
                               const KcnnOptions& opts);

/// The layer under the options: std::nullopt when kcnn_layer_mode() keeps it float. The
/// weight must have the layer's weight shape (std::invalid_argument otherwise).
std::optional<KcnnLayerWeights> quantize_kcnn_layer(const Layer& layer, const Tensor& weight,
                                                    const KcnnOptions& opts);

/// SQNR of the stored weights against a reference of the same shape, in dB (+inf if exact).
double kcnn_weight_sqnr_db(const KcnnLayerWeights& q, const Tensor& reference);

}  // namespace kq
