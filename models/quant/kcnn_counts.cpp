#include "models/quant/kcnn_counts.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace kq {
namespace {

// Counts can exceed what infer_shapes() proved to fit (it checks MACs, not MACs·M·bits).
uint64_t mul(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r))
    throw std::overflow_error("KCNN counts: a count exceeds 64 bits");
  return r;
}

uint64_t add(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  if (__builtin_add_overflow(a, b, &r))
    throw std::overflow_error("KCNN counts: a count exceeds 64 bits");
  return r;
}

/// Sums over the (kernel, plane) pairs of the layer that the data-dependent counts need.
struct PlaneSums {
  uint64_t pairs = 0;      ///< K·M
  uint64_t non_empty = 0;  ///< pairs with at least one 1-bit
  uint64_t ones = 0;       ///< Σ n₁ over pairs
  uint64_t minority = 0;   ///< Σ min(n₁, d − n₁) over pairs
};

}  // namespace

double KcnnLayerCounts::multiplication_reduction() const {
  return multiplications == 0
             ? 0.0
             : static_cast<double>(float_macs) / static_cast<double>(multiplications);
}

KcnnLayerCounts kcnn_layer_counts(const Layer& layer, const KcnnOptions& opts,
                                  const KcnnLayerWeights* weights) {
  opts.validate();
  KcnnLayerCounts r;
  r.mode = kcnn_layer_mode(layer, opts);  // throws for layers without conv weights
  const bool conv = layer.type == LayerType::conv2d;
  const uint64_t groups = conv ? layer.groups : 1;
  if (groups == 0) throw std::invalid_argument("KCNN counts: layer has groups = 0");
  const uint64_t n = layer.out.c;
  const uint64_t c_g = conv ? layer.in.c / groups : layer.in.elements();
  const uint64_t kk = conv ? uint64_t{layer.kh} * layer.kw : 1;
  const uint64_t p = conv ? layer.out.h * layer.out.w : 1;
  if (n == 0 || c_g == 0 || kk == 0 || p == 0)
    throw std::invalid_argument("KCNN counts: layer \"" + layer.name + "\" has an empty shape");

  r.outputs = mul(n, p);
  r.float_macs = mul(mul(r.outputs, c_g), kk);
  r.float_weight_bits_read = mul(32, r.float_macs);
  r.activation_reads = r.float_macs;

  if (r.mode == KcnnLayerMode::float_kept) {
    if (weights)
      throw std::invalid_argument("KCNN counts: layer \"" + layer.name +
                                  "\" is kept float, but quantized weights were given");
    r.multiplications = r.float_macs;
    r.additions = r.additions_no_sharing = r.additions_with_sharing = r.float_macs;
    r.weight_bits_read = r.float_weight_bits_read;
    r.weight_storage_bits = mul(32, mul(mul(n, c_g), kk));
    return r;
  }

  const bool kernel2d = r.mode == KcnnLayerMode::kernel2d;
  const uint64_t m = opts.planes;
  const uint64_t b = opts.scale_bits();
  const bool pm1 = opts.alphabet == KcnnAlphabet::pm1;
  const bool offset = opts.has_offset();
  r.kernels = kernel2d ? mul(n, c_g) : n;
  r.kernel_size = kernel2d ? kk : mul(c_g, kk);
  const uint64_t k = r.kernels, d = r.kernel_size;
  // Distinct windows a shared sum T covers per output position: one per input channel
  // (kernel2d), one per group (filter3d, the whole C/g·kh·kw block).
  const uint64_t windows = kernel2d ? mul(c_g, groups) : groups;

  PlaneSums s;
  s.pairs = mul(k, m);
  if (weights) {
    const KcnnGranularity g = kernel2d ? KcnnGranularity::kernel2d : KcnnGranularity::filter3d;
    const KcnnOptions& wo = weights->opts;
    if (weights->granularity != g || weights->n != n || weights->c != c_g ||
        weights->kernels() != k || weights->kernel_size() != d || wo.planes != opts.planes ||
        wo.alphabet != opts.alphabet || wo.offset != opts.offset ||
        wo.scale_bits() != opts.scale_bits() || weights->planes.size() != (k * m * d + 63) / 64)
      throw std::invalid_argument("KCNN counts: the quantized weights do not match layer \"" +
                                  layer.name + "\" under these options");
    for (uint64_t q = 0; q < k; ++q)
      for (uint32_t pl = 0; pl < m; ++pl) {
        const uint64_t ones = weights->ones(q, pl);
        s.non_empty += ones > 0;
        s.ones += ones;
        s.minority += std::min(ones, d - ones);
      }
  } else {
    s.non_empty = s.pairs;
    s.ones = mul(s.pairs, d);
    s.minority = mul(s.pairs, d / 2);
    r.data_dependent_bound = pm1 || opts.zero_skip;
  }

  // Multiplications: one per (kernel, plane) and output (S_m·α_m), plus one per kernel for
  // β·T. Zero-skip also skips the multiply of an all-zero plane (its S_m is 0).
  const uint64_t plane_mults = opts.zero_skip ? s.non_empty : s.pairs;
  r.multiplications = mul(p, add(plane_mults, offset ? k : 0));

  // Additions per (kernel, plane) and output: a signed/masked sum of d operands takes d − 1
  // additions and accumulating α·S takes 1, so d in all (the float convention: the
  // accumulator starts at the bias). Zero-skip sums only the n₁ ones: n₁ − 1 + 1 = n₁, and
  // an empty plane costs nothing.
  const uint64_t plane_adds = opts.zero_skip ? s.ones : mul(s.pairs, d);
  // The offset β·T needs the window sum T: d − 1 additions per (kernel, output) when it is
  // recomputed, plus 1 to accumulate.
  r.additions_no_sharing = mul(p, add(plane_adds, offset ? mul(k, d) : 0));

  if (pm1) {
    // S = 2·Σ₊ − T = T − 2·Σ₋ with the shared T: sum the minority side (n − 1 additions for
    // n ≥ 1 entries, the ×2 is a shift), 1 to combine with T, 1 to accumulate; an empty
    // minority side (S = ±T) costs only the accumulation. So min(n₊, n₋) + 1 per plane.
    r.window_sum_additions = mul(mul(p, windows), d - 1);
    r.additions_with_sharing = add(mul(p, add(s.minority, s.pairs)), r.window_sum_additions);
  } else if (offset) {
    // zero_one: only β·T uses a window sum; sharing computes it once per window.
    r.window_sum_additions = mul(mul(p, windows), d - 1);
    r.additions_with_sharing = add(mul(p, add(plane_adds, k)), r.window_sum_additions);
  } else {
    r.window_sum_additions = 0;  // nothing to share
    r.additions_with_sharing = r.additions_no_sharing;
  }
  r.additions = opts.window_sum_sharing ? r.additions_with_sharing : r.additions_no_sharing;

  // Weights read per output: every (kernel, plane) record of d bits plus its scale, and β.
  const uint64_t per_kernel_bits = add(mul(m, add(d, b)), offset ? b : 0);
  r.weight_storage_bits = mul(k, per_kernel_bits);
  r.weight_bits_read = mul(p, r.weight_storage_bits);
  return r;
}

}  // namespace kq
