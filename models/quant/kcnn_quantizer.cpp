#include "models/quant/kcnn_quantizer.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>

#include "models/common/float_formats.hpp"

namespace kq {

std::string_view to_string(KcnnGranularity g) {
  switch (g) {
    case KcnnGranularity::kernel2d:
      return "kernel2d";
    case KcnnGranularity::filter3d:
      return "filter3d";
  }
  return "unknown";
}

std::string_view to_string(KcnnAlphabet a) {
  switch (a) {
    case KcnnAlphabet::pm1:
      return "pm1";
    case KcnnAlphabet::zero_one:
      return "zero_one";
  }
  return "unknown";
}

std::string_view to_string(KcnnOffset o) {
  switch (o) {
    case KcnnOffset::none:
      return "none";
    case KcnnOffset::per_kernel:
      return "per_kernel";
  }
  return "unknown";
}

std::string_view to_string(KcnnInit i) {
  switch (i) {
    case KcnnInit::greedy_residual:
      return "greedy_residual";
    case KcnnInit::fixed_point:
      return "fixed_point";
  }
  return "unknown";
}

std::string_view to_string(KcnnScaleFormat f) {
  switch (f) {
    case KcnnScaleFormat::fp32:
      return "fp32";
    case KcnnScaleFormat::fp16:
      return "fp16";
    case KcnnScaleFormat::fixed:
      return "fixed";
  }
  return "unknown";
}

std::string_view to_string(KcnnPolicy1x1 p) {
  switch (p) {
    case KcnnPolicy1x1::keep_float:
      return "keep_float";
    case KcnnPolicy1x1::filter3d:
      return "filter3d";
    case KcnnPolicy1x1::bitplanes:
      return "bitplanes";
  }
  return "unknown";
}

std::string_view to_string(KcnnLayerMode m) {
  switch (m) {
    case KcnnLayerMode::float_kept:
      return "float_kept";
    case KcnnLayerMode::kernel2d:
      return "kernel2d";
    case KcnnLayerMode::filter3d:
      return "filter3d";
  }
  return "unknown";
}

void KcnnOptions::validate() const {
  auto fail = [](const std::string& m) { throw std::invalid_argument("KCNN options: " + m); };
  // Enum fields are checked too: a value cast from a bad integer would otherwise fall through
  // every switch silently.
  if (static_cast<uint8_t>(granularity) > 1) fail("granularity is not a known value");
  if (static_cast<uint8_t>(alphabet) > 1) fail("alphabet is not a known value");
  if (static_cast<uint8_t>(offset) > 1) fail("offset is not a known value");
  if (static_cast<uint8_t>(init) > 1) fail("init is not a known value");
  if (static_cast<uint8_t>(scale_format) > 2) fail("scale_format is not a known value");
  if (static_cast<uint8_t>(policy_1x1) > 2) fail("policy_1x1 is not a known value");
  if (planes < 1 || planes > kKcnnMaxPlanes)
    fail("planes must be in 1.." + std::to_string(kKcnnMaxPlanes) + ", got " +
         std::to_string(planes));
  if (offset == KcnnOffset::per_kernel && alphabet != KcnnAlphabet::zero_one)
    fail("offset per_kernel needs alphabet zero_one");
  if (zero_skip && alphabet != KcnnAlphabet::zero_one)
    fail("zero_skip needs alphabet zero_one (pm1 planes have no zeros)");
  if (!std::isfinite(ridge_delta) || ridge_delta < 0)
    fail("ridge_delta must be finite and >= 0, got " + std::to_string(ridge_delta));
  // 24 bits: a fixed-point scale q·2^e must stay exact as a float (24-bit significand).
  if (scale_format == KcnnScaleFormat::fixed && (fixed_bits < 2 || fixed_bits > 24))
    fail("fixed_bits must be in 2..24, got " + std::to_string(fixed_bits));
}

uint32_t KcnnOptions::scale_bits() const {
  switch (scale_format) {
    case KcnnScaleFormat::fp16:
      return 16;
    case KcnnScaleFormat::fixed:
      return fixed_bits;
    default:
      return 32;
  }
}

KcnnLayerMode kcnn_layer_mode(const Layer& layer, const KcnnOptions& opts) {
  if (layer.type != LayerType::conv2d && layer.type != LayerType::fc)
    throw std::invalid_argument("KCNN: layer \"" + layer.name + "\" (" +
                                std::string(to_string(layer.type)) + ") has no conv weights");
  if (opts.granularity == KcnnGranularity::filter3d) return KcnnLayerMode::filter3d;
  const uint64_t kk = layer.type == LayerType::conv2d ? uint64_t{layer.kh} * layer.kw : 1;
  if (kk < opts.planes) {
    switch (opts.policy_1x1) {
      case KcnnPolicy1x1::keep_float:
        return KcnnLayerMode::float_kept;
      case KcnnPolicy1x1::filter3d:
        return KcnnLayerMode::filter3d;
      case KcnnPolicy1x1::bitplanes:
        break;
    }
  }
  return KcnnLayerMode::kernel2d;
}

int kcnn_fixed_exponent(double maxabs, uint32_t bits) {
  if (!(maxabs > 0) || !std::isfinite(maxabs)) return 0;
  const double qmax = std::ldexp(1.0, static_cast<int>(bits) - 1) - 1.0;
  int e = 0;
  std::frexp(maxabs / qmax, &e);
  // The division rounds; settle e with exact power-of-two comparisons.
  while (std::ldexp(maxabs, -(e - 1)) <= qmax) --e;
  while (std::ldexp(maxabs, -e) > qmax) ++e;
  return e;
}

namespace {

constexpr uint32_t kMaxUnknowns = kKcnnMaxPlanes + 1;

/// Scales of one kernel in double: x[0..M) = α, x[M] = β (0 without an offset).
struct Scales {
  std::array<double, kMaxUnknowns> x{};
};

/// The 2^M levels of a kernel: level[code] = β + Σ_p α_p·(bit p of code ? 1 : lo). One
/// function for the fit, the error and dequantize(), so the reported error is exactly that of
/// the dequantized levels (before their rounding to float). Built incrementally, one addition
/// per level: level[c] = level[c without its lowest set bit] + α_p·(1 − lo).
template <uint32_t M>
inline void level_table(const double* alpha, double beta, double lo, double* level) {
  double v = beta;
  for (uint32_t p = 0; p < M; ++p) v += alpha[p] * lo;
  level[0] = v;
  double step[M];
  for (uint32_t p = 0; p < M; ++p) step[p] = alpha[p] * (1.0 - lo);
  for (uint32_t c = 1; c < (1u << M); ++c) level[c] = level[c & (c - 1)] + step[__builtin_ctz(c)];
}

void level_table(uint32_t m, const double* alpha, double beta, double lo, double* level) {
  switch (m) {
    case 1:
      return level_table<1>(alpha, beta, lo, level);
    case 2:
      return level_table<2>(alpha, beta, lo, level);
    case 3:
      return level_table<3>(alpha, beta, lo, level);
    case 4:
      return level_table<4>(alpha, beta, lo, level);
    case 5:
      return level_table<5>(alpha, beta, lo, level);
    case 6:
      return level_table<6>(alpha, beta, lo, level);
    case 7:
      return level_table<7>(alpha, beta, lo, level);
    default:
      return level_table<8>(alpha, beta, lo, level);
  }
}

float store_scale(double v, const KcnnOptions& o, int exponent) {
  float s = 0;
  switch (o.scale_format) {
    case KcnnScaleFormat::fp32:
      s = static_cast<float>(v);
      break;
    case KcnnScaleFormat::fp16:
      // Rounded to fp32 first: round_to_fp16 takes a float. The double rounding can differ
      // from a direct double→half rounding only at exact fp16 ties, and it is deterministic.
      s = round_to_fp16(static_cast<float>(v));
      break;
    case KcnnScaleFormat::fixed: {
      const double qmax = std::ldexp(1.0, static_cast<int>(o.fixed_bits) - 1) - 1.0;
      const double q = std::clamp(std::nearbyint(std::ldexp(v, -exponent)), -qmax, qmax);
      s = static_cast<float>(std::ldexp(q, exponent));
      break;
    }
  }
  if (!std::isfinite(s))
    throw std::invalid_argument("KCNN: a scale (" + std::to_string(v) + ") overflows " +
                                std::string(to_string(o.scale_format)));
  return s;
}

/// Fits one kernel vector after another (methods.md §2.4).
class Fitter {
 public:
  virtual ~Fitter() = default;
  /// Pass 1: the refined, canonical scales of w[0..d) (in double) into `out`.
  virtual void fit(const float* w, size_t d, Scales& out, uint32_t& iterations, bool& converged,
                   std::vector<double>* trace) = 0;
  /// Pass 2: nearest-level codes of w[0..d) for stored scales; returns Σ (w − ŵ)².
  virtual double assign_stored(const float* w, size_t d, const Scales& s, uint8_t* codes) = 0;
};

/// The fitter for M planes, with or without the offset β. M and the offset are template
/// parameters so that every loop over planes, levels and unknowns has a fixed trip count and
/// unrolls: a 3×3 kernel is only 9 weights, so this per-kernel overhead is most of the cost.
/// No allocation per kernel: the buffers grow to the largest kernel once.
template <uint32_t M, bool Offset>
class KernelFitter final : public Fitter {
  static constexpr uint32_t kCodes = 1u << M;
  static constexpr uint32_t kUnknowns = M + (Offset ? 1 : 0);
  static constexpr uint32_t kTri = kUnknowns * (kUnknowns + 1) / 2;

 public:
  explicit KernelFitter(const KcnnOptions& o)
      : o_(o), lo_(o.alphabet == KcnnAlphabet::pm1 ? -1.0 : 0.0) {
    for (uint32_t c = 0; c < kCodes; ++c) order_[c] = static_cast<uint8_t>(c);
    // Row c of Bᵀ (the plane values of code c, and 1 for β) and its outer product, fixed for
    // the options: the normal equations are then sums of table rows.
    for (uint32_t c = 0; c < kCodes; ++c) {
      double* f = feature_[c].data();
      for (uint32_t p = 0; p < M; ++p) f[p] = ((c >> p) & 1u) ? 1.0 : lo_;
      if (Offset) f[kUnknowns - 1] = 1.0;
      for (uint32_t a = 0, t = 0; a < kUnknowns; ++a)
        for (uint32_t b = 0; b <= a; ++b) outer_[c][t++] = f[a] * f[b];
    }
  }

  void fit(const float* w, size_t d, Scales& out, uint32_t& iterations, bool& converged,
           std::vector<double>* trace) override {
    if (trace) trace->clear();
    bool all_zero = true;
    for (size_t i = 0; i < d; ++i) {
      if (!std::isfinite(w[i]))
        throw std::invalid_argument("KCNN: non-finite weight at element " + std::to_string(i));
      all_zero &= w[i] == 0.0f;
    }
    iterations = 0;
    converged = false;
    if (all_zero) {
      // w = 0: every level would do; α = 0 is the defined answer (methods.md §2.4 step 5).
      out = Scales{};
      converged = true;
      if (trace) trace->push_back(0.0);
      return;
    }
    if (codes_.size() < d) {
      codes_.resize(d);
      next_.resize(d);
      resid_.resize(d);
    }
    Scales cur;
    if (o_.init == KcnnInit::greedy_residual) {
      init_greedy(w, d, cur);
      build_levels(cur, d);
    } else {
      init_fixed(w, d, cur);
      build_levels(cur, d);
      assign(w, d, codes_.data());
    }
    double err = error(w, d, codes_.data());
    if (trace) trace->push_back(err);
    converged = err == 0;  // nothing left to improve
    // Lloyd has converged when the nearest-level codes of α equal the codes α was solved
    // from. The ridge term only damps the steps while the codes move; for fixed codes its
    // iterates converge to the plain least-squares α, so an iteration that leaves the codes
    // unchanged takes that limit directly (δ = 0, dependent planes dropped), and the next
    // assignment decides whether that was the fixed point.
    bool solved_plain = false;  // α is the plain least-squares solution of codes_
    for (uint32_t t = 0; t < o_.max_iterations && !converged; ++t) {
      assign(w, d, next_.data());  // level_ holds the levels of `cur` here
      const bool changed = !std::equal(next_.begin(), next_.begin() + d, codes_.begin());
      if (!changed && solved_plain) {
        converged = true;
        break;
      }
      const double delta = changed ? o_.ridge_delta : 0.0;
      Scales nxt;
      const bool solved = solve(w, d, next_.data(), cur, delta, nxt);
      if (!solved) nxt = cur;
      build_levels(nxt, d);
      const double e = error(w, d, next_.data());
      // Both steps are exact minimisers, so only rounding can raise the error: keep the
      // previous fit then (the trace stays monotone by construction) and stop.
      if (!(e <= err)) {
        build_levels(cur, d);
        converged = true;
        break;
      }
      std::swap(codes_, next_);
      cur = nxt;
      err = e;
      ++iterations;
      if (trace) trace->push_back(e);
      // A failed solve (non-finite, so δ = 0) cannot do better on these codes either.
      solved_plain = delta == 0.0 || !solved;
      converged = e == 0;
    }
    canonicalize(cur);
    out = cur;
  }

  double assign_stored(const float* w, size_t d, const Scales& s, uint8_t* codes) override {
    build_levels(s, d);
    assign(w, d, codes);
    return error(w, d, codes);
  }

 private:
  /// The levels of scales `s` for kernels of d weights. A kernel with far fewer weights than
  /// levels (1×1 kernels) compares each weight with every level; otherwise the levels are
  /// sorted once and each weight binary-searches the midpoints, O(2^M·M + d·M) as
  /// methods.md §2.4 asks.
  void build_levels(const Scales& s, size_t d) {
    level_table<M>(s.x.data(), Offset ? s.x[M] : 0.0, lo_, level_.data());
    direct_ = 4 * d < kCodes;
    if (direct_) return;
    // Insertion sort by (level, code), a total order, so the result does not depend on the
    // starting permutation; starting from the previous order makes it nearly linear, since
    // α moves little between iterations and between neighbouring kernels.
    for (uint32_t i = 1; i < kCodes; ++i) {
      const uint8_t c = order_[i];
      const double v = level_[c];
      uint32_t j = i;
      while (j > 0) {
        const uint8_t prev = order_[j - 1];
        if (level_[prev] < v || (level_[prev] == v && prev < c)) break;
        order_[j] = prev;
        --j;
      }
      order_[j] = c;
    }
    for (uint32_t i = 0; i + 1 < kCodes; ++i)
      thresh_[i] = 0.5 * (level_[order_[i]] + level_[order_[i + 1]]);
    thresh_[kCodes - 1] = INFINITY;  // pads the search to a power of two
  }

  /// Nearest level; exact ties are broken deterministically (the direct search keeps the
  /// lower code, the sorted search the lower level). Both select without branching, since
  /// which side a weight falls on is unpredictable.
  void assign(const float* w, size_t d, uint8_t* codes) const {
    if (direct_) {
      for (size_t i = 0; i < d; ++i) {
        const double x = w[i];
        uint32_t best = 0;
        double best_dist = (x - level_[0]) * (x - level_[0]);
        for (uint32_t c = 1; c < kCodes; ++c) {
          const double dist = (x - level_[c]) * (x - level_[c]);
          const bool take = dist < best_dist;
          best = take ? c : best;
          best_dist = take ? dist : best_dist;
        }
        codes[i] = static_cast<uint8_t>(best);
      }
      return;
    }
    const double* t = thresh_.data();
    for (size_t i = 0; i < d; ++i) {
      const double x = w[i];
      // The number of thresholds below x, in M halving steps over the 2^M padded entries.
      uint32_t pos = 0;
      for (uint32_t step = kCodes / 2; step > 0; step /= 2)
        pos += step & (0u - static_cast<uint32_t>(t[pos + step - 1] < x));
      codes[i] = order_[pos];
    }
  }

  double error(const float* w, size_t d, const uint8_t* codes) const {
    double e = 0;
    for (size_t i = 0; i < d; ++i) {
      const double r = static_cast<double>(w[i]) - level_[codes[i]];
      e += r * r;
    }
    return e;
  }

  /// α = (B·Bᵀ + δI)⁻¹ (B·w + δ·α_old), with a ones row for β. B·Bᵀ and B·w are summed per
  /// distinct code (O(d + codes·M²) rather than O(M²·d)). An unknown whose Cholesky pivot
  /// vanishes (only possible with δ = 0: a constant plane, or two equal planes) is dropped,
  /// i.e. set to 0, which still gives a least-squares solution. False if the result is not
  /// finite.
  bool solve(const float* w, size_t d, const uint8_t* codes, const Scales& old, double delta,
             Scales& out) {
    uint32_t n_used = 0;
    for (size_t i = 0; i < d; ++i) {
      const uint8_t c = codes[i];
      if (count_[c] == 0) {
        used_[n_used++] = c;
        wsum_[c] = 0;
      }
      ++count_[c];
      wsum_[c] += w[i];
    }
    constexpr uint32_t k = kUnknowns;
    double gt[kTri] = {};
    double h[k] = {};
    for (uint32_t u = 0; u < n_used; ++u) {
      const uint8_t c = used_[u];
      const double n = count_[c];
      const double ws = wsum_[c];
      count_[c] = 0;  // leave the table clean for the next call
      for (uint32_t a = 0; a < k; ++a) h[a] += ws * feature_[c][a];
      for (uint32_t t = 0; t < kTri; ++t) gt[t] += n * outer_[c][t];
    }
    double g[k][k];
    for (uint32_t a = 0, t = 0; a < k; ++a)
      for (uint32_t b = 0; b <= a; ++b) g[a][b] = gt[t++];
    for (uint32_t a = 0; a < k; ++a) {
      g[a][a] += delta;
      h[a] += delta * old.x[a];
    }
    // Cholesky G = L·Lᵀ in the lower triangle of g; a dropped unknown gets a unit pivot and
    // zero couplings, so it solves to 0 and does not touch the others.
    bool dropped[k] = {};
    for (uint32_t j = 0; j < k; ++j) {
      const double diag = g[j][j];
      double s = diag;
      for (uint32_t p = 0; p < j; ++p) s -= g[j][p] * g[j][p];
      if (!(s > 1e-9 * diag)) {
        dropped[j] = true;
        g[j][j] = 1.0;
        for (uint32_t i = j + 1; i < k; ++i) g[i][j] = 0.0;
        continue;
      }
      const double l = std::sqrt(s);
      g[j][j] = l;
      for (uint32_t i = j + 1; i < k; ++i) {
        double v = g[i][j];
        for (uint32_t p = 0; p < j; ++p) v -= g[i][p] * g[j][p];
        g[i][j] = v / l;
      }
    }
    double y[k];
    for (uint32_t i = 0; i < k; ++i) {
      double v = h[i];
      for (uint32_t p = 0; p < i; ++p) v -= g[i][p] * y[p];
      y[i] = dropped[i] ? 0.0 : v / g[i][i];
    }
    out = Scales{};
    bool finite = true;
    for (uint32_t i = k; i-- > 0;) {
      double v = y[i];
      for (uint32_t p = i + 1; p < k; ++p) v -= g[p][i] * out.x[p];
      out.x[i] = v / g[i][i];
      finite &= std::isfinite(out.x[i]);
    }
    return finite;
  }

  /// Greedy residual (methods.md §2.4 init a). zero_one with an offset runs the ±1 greedy on
  /// w − mean(w) and rewrites α·s as 2α·b − α, which gives identical levels. zero_one without
  /// an offset takes, per plane, the side of the residual (positive or negative entries) whose
  /// mean removes the most energy.
  void init_greedy(const float* w, size_t d, Scales& s) {
    s = Scales{};
    const double inv_d = 1.0 / static_cast<double>(d);
    double mu = 0;
    if (Offset) {
      for (size_t i = 0; i < d; ++i) mu += w[i];
      mu *= inv_d;
    }
    for (size_t i = 0; i < d; ++i) {
      resid_[i] = w[i] - mu;
      codes_[i] = 0;
    }
    if (o_.alphabet == KcnnAlphabet::pm1 || Offset) {
      double sum_alpha = 0;
      for (uint32_t p = 0; p < M; ++p) {
        double mean_abs = 0;
        for (size_t i = 0; i < d; ++i) mean_abs += std::fabs(resid_[i]);
        mean_abs *= inv_d;
        for (size_t i = 0; i < d; ++i) {
          const bool plus = resid_[i] >= 0;  // sign(0) = +1
          codes_[i] = static_cast<uint8_t>(codes_[i] | (static_cast<uint32_t>(plus) << p));
          resid_[i] -= plus ? mean_abs : -mean_abs;
        }
        s.x[p] = Offset ? 2.0 * mean_abs : mean_abs;
        sum_alpha += mean_abs;
      }
      if (Offset) s.x[M] = mu - sum_alpha;
      return;
    }
    for (uint32_t p = 0; p < M; ++p) {
      double sp = 0, sn = 0;
      size_t np = 0, nn = 0;
      for (size_t i = 0; i < d; ++i) {
        if (resid_[i] > 0) {
          sp += resid_[i];
          ++np;
        } else if (resid_[i] < 0) {
          sn += resid_[i];
          ++nn;
        }
      }
      if (np == 0 && nn == 0) break;  // residual already zero: remaining α stay 0
      const double gp = np ? sp * sp / static_cast<double>(np) : 0.0;
      const double gn = nn ? sn * sn / static_cast<double>(nn) : 0.0;
      const bool positive = np > 0 && gp >= gn;
      const double a = positive ? sp / static_cast<double>(np) : sn / static_cast<double>(nn);
      for (size_t i = 0; i < d; ++i) {
        if (positive ? resid_[i] > 0 : resid_[i] < 0) {
          codes_[i] = static_cast<uint8_t>(codes_[i] | (1u << p));
          resid_[i] -= a;
        }
      }
      s.x[p] = a;
    }
  }

  /// Fixed-point init (methods.md §2.4 init b): α_m = 2^m·Δ, 2^M evenly spaced levels over
  /// the weights' range, as a fixed-point number split into its binary digits. pm1 levels are
  /// symmetric (±max|w|). zero_one with an offset starts at β = min w. zero_one without an
  /// offset is two's complement (the top plane weighs −2^(M−1)·Δ) so that both signs are
  /// covered; with M = 1 it covers [0, max w] or [min w, 0], whichever holds the larger
  /// magnitude.
  void init_fixed(const float* w, size_t d, Scales& s) const {
    s = Scales{};
    double lo = w[0], hi = w[0], amax = 0;
    for (size_t i = 0; i < d; ++i) {
      lo = std::min(lo, static_cast<double>(w[i]));
      hi = std::max(hi, static_cast<double>(w[i]));
      amax = std::max(amax, std::fabs(static_cast<double>(w[i])));
    }
    const double steps = static_cast<double>(kCodes - 1);
    double delta = 0;
    bool twos_complement = false;
    if (o_.alphabet == KcnnAlphabet::pm1) {
      delta = amax / steps;  // level spacing 2·α_1 = 2·amax/(2^M − 1)
    } else if (Offset) {
      delta = (hi - lo) / steps;
      s.x[M] = lo;
    } else if (M == 1) {
      delta = hi >= -lo ? hi : lo;
    } else {
      // Levels −2^(M−1)·Δ … (2^(M−1) − 1)·Δ must reach both min w and max w.
      const double half = std::ldexp(1.0, static_cast<int>(M) - 1);
      delta = std::max(-lo / half, hi / (half - 1));
      twos_complement = true;
    }
    for (uint32_t p = 0; p < M; ++p) s.x[p] = std::ldexp(delta, static_cast<int>(p));
    if (twos_complement) s.x[M - 1] = -s.x[M - 1];
  }

  /// Canonical on-chip order (methods.md §2.4 step 6): α ≥ 0 by flipping planes where the
  /// alphabet allows it (pm1: −α·s = α·(−s); zero_one with offset: −α·b = α·(1 − b) − α, the
  /// −α going into β), then planes by |α| descending, ties in plane order.
  void canonicalize(Scales& s) const {
    if (o_.alphabet == KcnnAlphabet::pm1) {
      for (uint32_t p = 0; p < M; ++p) s.x[p] = std::fabs(s.x[p]);
    } else if (Offset) {
      for (uint32_t p = 0; p < M; ++p)
        if (s.x[p] < 0) {
          s.x[M] += s.x[p];
          s.x[p] = -s.x[p];
        }
    }
    // Insertion sort: stable, and no allocation (std::stable_sort may take a buffer).
    for (uint32_t i = 1; i < M; ++i) {
      const double v = s.x[i];
      uint32_t j = i;
      for (; j > 0 && std::fabs(s.x[j - 1]) < std::fabs(v); --j) s.x[j] = s.x[j - 1];
      s.x[j] = v;
    }
  }

  const KcnnOptions& o_;
  const double lo_;  ///< value of a 0 bit: −1 (pm1) or 0 (zero_one)
  std::array<std::array<double, kTri>, kCodes> outer_{};         ///< f·fᵀ of each code's row
  std::array<std::array<double, kUnknowns>, kCodes> feature_{};  ///< row c of Bᵀ
  std::array<double, kCodes> level_{};
  std::array<uint8_t, kCodes> order_{};
  std::array<double, kCodes> thresh_{};
  std::array<uint32_t, kCodes> count_{};  ///< all zero between solve() calls
  std::array<double, kCodes> wsum_{};
  std::array<uint8_t, kCodes> used_{};
  bool direct_ = false;  ///< assign() compares with every level (set by build_levels)
  std::vector<uint8_t> codes_, next_;
  std::vector<double> resid_;
};

template <uint32_t M>
std::unique_ptr<Fitter> make_fitter_m(const KcnnOptions& o) {
  if (o.has_offset()) return std::make_unique<KernelFitter<M, true>>(o);
  return std::make_unique<KernelFitter<M, false>>(o);
}

/// The fitter for validated options.
std::unique_ptr<Fitter> make_fitter(const KcnnOptions& o) {
  switch (o.planes) {
    case 1:
      return make_fitter_m<1>(o);
    case 2:
      return make_fitter_m<2>(o);
    case 3:
      return make_fitter_m<3>(o);
    case 4:
      return make_fitter_m<4>(o);
    case 5:
      return make_fitter_m<5>(o);
    case 6:
      return make_fitter_m<6>(o);
    case 7:
      return make_fitter_m<7>(o);
    default:
      return make_fitter_m<8>(o);
  }
}

double max_abs_scale(const Scales& s, uint32_t m, bool offset) {
  double a = 0;
  for (uint32_t p = 0; p < m; ++p) a = std::max(a, std::fabs(s.x[p]));
  if (offset) a = std::max(a, std::fabs(s.x[m]));
  return a;
}

}  // namespace

KernelFit fit_kernel(const float* w, size_t d, const KcnnOptions& opts,
                     std::vector<double>* error_trace) {
  opts.validate();
  if (d == 0) throw std::invalid_argument("KCNN: empty kernel vector");
  const uint32_t m = opts.planes;
  const auto fitter = make_fitter(opts);
  Scales s;
  KernelFit r;
  fitter->fit(w, d, s, r.iterations, r.converged, error_trace);
  r.fixed_exponent =
      opts.scale_format == KcnnScaleFormat::fixed
          ? kcnn_fixed_exponent(max_abs_scale(s, m, opts.has_offset()), opts.fixed_bits)
          : 0;
  Scales stored;
  r.alpha.resize(m);
  for (uint32_t p = 0; p < m; ++p) {
    r.alpha[p] = store_scale(s.x[p], opts, r.fixed_exponent);
    stored.x[p] = r.alpha[p];
  }
  if (opts.has_offset()) {
    r.beta = store_scale(s.x[m], opts, r.fixed_exponent);
    stored.x[m] = r.beta;
  }
  r.codes.resize(d);
  r.sq_error = fitter->assign_stored(w, d, stored, r.codes.data());
  return r;
}

uint64_t KcnnLayerWeights::kernels() const {
  return granularity == KcnnGranularity::kernel2d ? n * c : n;
}

uint64_t KcnnLayerWeights::kernel_size() const {
  return granularity == KcnnGranularity::kernel2d ? kh * kw : c * kh * kw;
}

bool KcnnLayerWeights::bit(uint64_t kernel, uint32_t plane, uint64_t element) const {
  const uint64_t g = (kernel * opts.planes + plane) * kernel_size() + element;
  return (planes[g >> 6] >> (g & 63)) & 1u;
}

uint64_t KcnnLayerWeights::ones(uint64_t kernel, uint32_t plane) const {
  uint64_t g = (kernel * opts.planes + plane) * kernel_size();
  uint64_t left = kernel_size();
  uint64_t count = 0;
  while (left > 0) {
    const uint32_t shift = static_cast<uint32_t>(g & 63);
    const uint64_t take = std::min<uint64_t>(left, 64 - shift);
    uint64_t word = planes[g >> 6] >> shift;
    if (take < 64) word &= (uint64_t{1} << take) - 1;
    count += static_cast<uint64_t>(__builtin_popcountll(word));
    g += take;
    left -= take;
  }
  return count;
}

Tensor KcnnLayerWeights::dequantize() const {
  Tensor t;
  t.shape = weight_shape;
  const uint64_t k = kernels(), d = kernel_size();
  const uint32_t m = opts.planes;
  const double lo = opts.alphabet == KcnnAlphabet::pm1 ? -1.0 : 0.0;
  t.data.resize(k * d);
  double a[kKcnnMaxPlanes];
  double level[size_t{1} << kKcnnMaxPlanes];
  for (uint64_t q = 0; q < k; ++q) {
    for (uint32_t p = 0; p < m; ++p) a[p] = alpha[q * m + p];
    level_table(m, a, beta.empty() ? 0.0 : beta[q], lo, level);
    for (uint64_t i = 0; i < d; ++i) {
      uint32_t code = 0;
      for (uint32_t p = 0; p < m; ++p) code |= static_cast<uint32_t>(bit(q, p, i)) << p;
      t.data[q * d + i] = static_cast<float>(level[code]);
    }
  }
  return t;
}

double KcnnLayerWeights::weight_sqnr_db() const {
  if (std::isnan(sq_error) || std::isnan(sq_signal))
    throw std::logic_error(
        "KCNN: weight_sqnr_db() needs the quantizer's error; imported weights have none");
  if (sq_error == 0) return INFINITY;
  return 10.0 * std::log10(sq_signal / sq_error);
}

double KcnnLayerWeights::bits_per_weight() const {
  const double b = opts.scale_bits();
  const double d = static_cast<double>(kernel_size());
  return opts.planes * (1.0 + b / d) + (opts.has_offset() ? b / d : 0.0);
}

uint64_t KcnnLayerWeights::storage_bits() const {
  const uint64_t b = opts.scale_bits();
  return kernels() * (opts.planes * (kernel_size() + b) + (opts.has_offset() ? b : 0));
}

KcnnLayerWeights quantize_kcnn(const Tensor& weight, uint64_t groups, KcnnGranularity granularity,
                               const KcnnOptions& opts) {
  opts.validate();
  const auto& sh = weight.shape;
  if (sh.size() != 4 && sh.size() != 2)
    throw std::invalid_argument("KCNN: weight must be [N, C, kh, kw] or [N, K]");
  for (uint64_t v : sh)
    if (v == 0) throw std::invalid_argument("KCNN: weight has an empty dimension");
  if (weight.data.size() != weight.elements())
    throw std::invalid_argument("KCNN: weight data does not match its shape");
  if (groups == 0 || sh[0] % groups != 0)
    throw std::invalid_argument("KCNN: groups must divide the output channels");
  if (static_cast<uint8_t>(granularity) > 1)
    throw std::invalid_argument("KCNN: granularity is not a known value");

  KcnnLayerWeights q;
  q.opts = opts;
  q.granularity = granularity;
  q.n = sh[0];
  q.c = sh[1];
  q.kh = sh.size() == 4 ? sh[2] : 1;
  q.kw = sh.size() == 4 ? sh[3] : 1;
  q.groups = groups;
  q.weight_shape = sh;

  const uint32_t m = opts.planes;
  const bool offset = opts.has_offset();
  const uint64_t k = q.kernels(), d = q.kernel_size();
  const float* w = weight.data.data();

  const auto fitter = make_fitter(opts);
  q.alpha.resize(k * m);
  if (offset) q.beta.resize(k);
  q.planes.assign((k * m * d + 63) / 64, 0);
  std::vector<uint8_t> codes(d);
  uint32_t iterations = 0;
  bool converged = false;
  double sq_error = 0, sq_signal = 0;

  // Rounds kernel i's scales, re-assigns its weights to the nearest stored level and packs
  // the bits.
  auto store = [&](uint64_t i, const Scales& fitted) {
    Scales stored;
    for (uint32_t p = 0; p < m; ++p) {
      q.alpha[i * m + p] = store_scale(fitted.x[p], opts, q.fixed_exponent);
      stored.x[p] = q.alpha[i * m + p];
    }
    if (offset) {
      q.beta[i] = store_scale(fitted.x[m], opts, q.fixed_exponent);
      stored.x[m] = q.beta[i];
    }
    const float* wi = w + i * d;
    sq_error += fitter->assign_stored(wi, d, stored, codes.data());
    for (uint64_t e = 0; e < d; ++e) sq_signal += static_cast<double>(wi[e]) * wi[e];
    for (uint32_t p = 0; p < m; ++p) {
      const uint64_t base = (i * m + p) * d;
      for (uint64_t e = 0; e < d; ++e) {
        const uint64_t g = base + e;
        q.planes[g >> 6] |= static_cast<uint64_t>((codes[e] >> p) & 1u) << (g & 63);
      }
    }
  };

  if (opts.scale_format != KcnnScaleFormat::fixed) {
    // fp32/fp16 round each scale on its own: fit and store kernel by kernel.
    Scales fitted;
    for (uint64_t i = 0; i < k; ++i) {
      fitter->fit(w + i * d, d, fitted, iterations, converged, nullptr);
      store(i, fitted);
    }
  } else {
    // The fixed format's exponent depends on the largest scale of the whole layer: fit every
    // kernel first (keeping the double scales), then store.
    const uint32_t per = m + (offset ? 1 : 0);
    std::vector<double> kept(k * per);
    double maxabs = 0;
    Scales fitted;
    for (uint64_t i = 0; i < k; ++i) {
      fitter->fit(w + i * d, d, fitted, iterations, converged, nullptr);
      std::copy(fitted.x.begin(), fitted.x.begin() + per, kept.begin() + i * per);
      maxabs = std::max(maxabs, max_abs_scale(fitted, m, offset));
    }
    q.fixed_exponent = kcnn_fixed_exponent(maxabs, opts.fixed_bits);
    for (uint64_t i = 0; i < k; ++i) {
      std::copy(kept.begin() + i * per, kept.begin() + (i + 1) * per, fitted.x.begin());
      store(i, fitted);
    }
  }
  q.sq_error = sq_error;
  q.sq_signal = sq_signal;
  return q;
}

std::optional<KcnnLayerWeights> quantize_kcnn_layer(const Layer& layer, const Tensor& weight,
                                                    const KcnnOptions& opts) {
  opts.validate();
  const KcnnLayerMode mode = kcnn_layer_mode(layer, opts);
  if (mode == KcnnLayerMode::float_kept) return std::nullopt;
  const bool conv = layer.type == LayerType::conv2d;
  const std::vector<uint64_t> expected =
      conv ? std::vector<uint64_t>{layer.out.c, layer.in.c / layer.groups, layer.kh, layer.kw}
           : std::vector<uint64_t>{layer.out.c, layer.in.elements()};
  if (weight.shape != expected)
    throw std::invalid_argument("KCNN: weight shape does not match layer \"" + layer.name + "\"");
  return quantize_kcnn(
      weight, conv ? layer.groups : 1,
      mode == KcnnLayerMode::kernel2d ? KcnnGranularity::kernel2d : KcnnGranularity::filter3d,
      opts);
}

double kcnn_weight_sqnr_db(const KcnnLayerWeights& q, const Tensor& reference) {
  if (reference.shape != q.weight_shape || reference.data.size() != reference.elements())
    throw std::invalid_argument("KCNN: reference shape differs from the quantized layer");
  const Tensor deq = q.dequantize();
  double sig = 0, err = 0;
  for (size_t i = 0; i < reference.data.size(); ++i) {
    const double r = reference.data[i];
    const double e = r - static_cast<double>(deq.data[i]);
    sig += r * r;
    err += e * e;
  }
  if (err == 0) return INFINITY;
  return 10.0 * std::log10(sig / err);
}

}  // namespace kq
