#include "models/quant/reference.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

// The conv loops hold the running sums of 8 filters × a few pixels in registers, 4 filters per
// GCC/Clang vector (4 doubles, or 4 int64). Each lane is one output's own IEEE double (or
// int64) arithmetic, the same operation as the scalar loop, so the lane count and the block
// shape change speed only, never a value. There is no fused multiply-add (ISO C++ mode keeps
// -ffp-contract=off). Other compilers run the same blocks with scalar lanes.
#if defined(__GNUC__) || defined(__clang__)
#define KQ_REF_VECTORS 1
#define KQ_REF_INLINE inline __attribute__((always_inline))
#else
#define KQ_REF_INLINE inline
#endif
#if defined(KQ_REF_VECTORS) && defined(__x86_64__) && !defined(__AVX2__)
#define KQ_REF_AVX2_CLONE 1
#endif

namespace kq {

namespace detail {
namespace {
bool g_reference_wide_simd = true;
}
void set_reference_wide_simd(bool enabled) {
  g_reference_wide_simd = enabled;
}
}  // namespace detail

namespace {

/// A conv2d as the reference loops see it; fc is the 1×1 conv of its flattened input on a
/// 1×1 image (in.elements() channels), so both share one loop nest.
struct ConvShape {
  uint64_t groups, cg, ng;  ///< groups, input channels and filters per group
  uint64_t h, w, oh, ow;    ///< input and output planes
  uint64_t kh, kw, sh, sw, dh, dw, ph, pw;
};

ConvShape conv_shape(const Layer& l) {
  if (l.type == LayerType::fc)
    return {1, l.in.elements(), l.out.c, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
  return {l.groups,
          l.in.c / l.groups,
          l.out.c / l.groups,
          l.in.h,
          l.in.w,
          l.out.h,
          l.out.w,
          l.kh,
          l.kw,
          l.sh,
          l.sw,
          l.dh,
          l.dw,
          l.ph,
          l.pw};
}

/// The taps [lo, hi) of a window at output coordinate o whose input coordinate
/// o·stride + t·dilation − pad lies inside [0, in). The coordinate grows with t, so the taps
/// inside the input are one contiguous range (possibly empty).
struct TapSpan {
  uint64_t lo = 0, hi = 0;
  bool operator==(const TapSpan& o) const { return lo == o.lo && hi == o.hi; }
};
TapSpan taps_inside(uint64_t o, uint64_t stride, uint64_t k, uint64_t dilation, uint64_t pad,
                    uint64_t in) {
  TapSpan s{k, 0};
  for (uint64_t t = 0; t < k; ++t) {
    const int64_t i = static_cast<int64_t>(o * stride + t * dilation) - static_cast<int64_t>(pad);
    if (i < 0 || i >= static_cast<int64_t>(in)) continue;
    s.lo = std::min(s.lo, t);
    s.hi = t + 1;
  }
  if (s.hi <= s.lo) s = {0, 0};
  return s;
}

/// Output pixels whose windows keep the same rows ky and columns kx inside the input, and
/// for each the offset of its window's origin in an input plane: tap (c, ty, tx) of pixel
/// (oy, ox) reads x[c·h·w + ty·dh·w + tx·dw + origin], origin = (oy·sh − ph)·w + ox·sw − pw.
struct PixelClass {
  TapSpan ky, kx;
  std::vector<uint64_t> pixels;  ///< oy·ow + ox, ascending
  std::vector<int64_t> origins;
};
std::vector<PixelClass> pixel_classes(const ConvShape& s) {
  std::vector<PixelClass> classes;
  for (uint64_t oy = 0; oy < s.oh; ++oy) {
    const TapSpan ky = taps_inside(oy, s.sh, s.kh, s.dh, s.ph, s.h);
    for (uint64_t ox = 0; ox < s.ow; ++ox) {
      const TapSpan kx = taps_inside(ox, s.sw, s.kw, s.dw, s.pw, s.w);
      auto it = std::find_if(classes.begin(), classes.end(),
                             [&](const PixelClass& c) { return c.ky == ky && c.kx == kx; });
      if (it == classes.end()) it = classes.insert(classes.end(), PixelClass{ky, kx, {}, {}});
      it->pixels.push_back(oy * s.ow + ox);
      it->origins.push_back(static_cast<int64_t>((oy * s.sh) * s.w + ox * s.sw) -
                            static_cast<int64_t>(s.ph * s.w + s.pw));
    }
  }
  return classes;
}

/// Filters per block: two 4-lane vectors.
constexpr uint64_t kFilterBlock = 8;

/// Filters of group g from n0 in one block: kFilterBlock, or single filters at the end.
inline uint64_t block_width(uint64_t ng, uint64_t n0) {
  return n0 + kFilterBlock <= ng ? kFilterBlock : 1;
}

/// The weights in the accumulator type (int32 → int64 is exact), packed per filter block:
/// block (g, n0) of width nb holds, from g·K·N + n0·K, the K taps × nb filters [c][ky][kx][j],
/// so the filters of one tap are adjacent and a block's weights are contiguous.
template <typename Acc, typename W>
std::vector<Acc> pack_filters(const ConvShape& s, const std::vector<W>& w) {
  const uint64_t k = s.cg * s.kh * s.kw;
  std::vector<Acc> p(w.size());
  for (uint64_t g = 0; g < s.groups; ++g)
    for (uint64_t n0 = 0; n0 < s.ng;) {
      const uint64_t nb = block_width(s.ng, n0);
      for (uint64_t j = 0; j < nb; ++j)
        for (uint64_t i = 0; i < k; ++i)
          p[(g * s.ng + n0) * k + i * nb + j] = static_cast<Acc>(w[(g * s.ng + n0 + j) * k + i]);
      n0 += nb;
    }
  return p;
}

#ifdef KQ_REF_VECTORS
template <typename T>
struct Vec4 {
  typedef T type __attribute__((vector_size(4 * sizeof(T))));
};
typedef uint64_t U64x4 __attribute__((vector_size(32)));
#endif
/// |v| lane by lane. Vectors clear the sign bit, which is what fabs does (signed zeros and
/// NaNs included). By reference: returning a vector wider than the target's registers would
/// change the ABI.
template <typename L>
KQ_REF_INLINE void abs_lanes(const L& v, L& out) {
  if constexpr (std::is_same_v<L, double>) {
    out = std::fabs(v);
  } else {
#ifdef KQ_REF_VECTORS
    out = reinterpret_cast<L>(reinterpret_cast<U64x4>(v) & (U64x4{} + 0x7fffffffffffffffull));
#endif
  }
}

template <typename L, typename T>
KQ_REF_INLINE void load_lanes(L& v, const T* p) {
  std::memcpy(&v, p, sizeof v);
}
/// Every lane = x exactly (a broadcast; adding x to zero lanes would turn −0 into +0).
template <typename L, typename T>
KQ_REF_INLINE void broadcast(L& v, T x) {
  T lanes[sizeof(L) / sizeof(T)];
  for (T& l : lanes) l = x;
  load_lanes(v, lanes);
}

// The operations of one tap on an output's sums (a: the value or the magnitude; a2: the
// magnitude of a dual op), lane by lane. `dual`: two sums per output; `own_m`: the magnitude
// sum has weights of its own (m), else it takes the value's product.

/// a = bias; a = a + x·w (double, or int64 from int32 operands).
template <typename A>
struct ValueOp {
  using Acc = A;
  static constexpr bool dual = false, own_m = false;
  const A* bias;  ///< nullptr: no bias
  A init(uint64_t n) const { return bias ? bias[n] : A{}; }
  A init2(uint64_t) const { return A{}; }
  template <typename L>
  static KQ_REF_INLINE void tap(L& a, L&, const L& x, const L& w, const L&) {
    a = a + x * w;
  }
};

/// a = |bias|; a = a + |x·w|: the scale of the float error bound.
struct MagnitudeOp {
  using Acc = double;
  static constexpr bool dual = false, own_m = false;
  const double* bias;
  double init(uint64_t n) const { return bias ? std::fabs(bias[n]) : 0.0; }
  double init2(uint64_t) const { return 0.0; }
  template <typename L>
  static KQ_REF_INLINE void tap(L& a, L&, const L& x, const L& w, const L&) {
    L m;
    abs_lanes<L>(x * w, m);
    a = a + m;
  }
};

/// Both in one pass over the input: a = bias + Σ x·w and a2 = |bias| + Σ |x·m|; with the
/// same weights (own_m false) the one product x·w feeds both.
template <bool OwnM>
struct ValueAndMagnitudeOp {
  using Acc = double;
  static constexpr bool dual = true, own_m = OwnM;
  const double* bias;
  double init(uint64_t n) const { return bias ? bias[n] : 0.0; }
  double init2(uint64_t n) const { return bias ? std::fabs(bias[n]) : 0.0; }
  template <typename L>
  static KQ_REF_INLINE void tap(L& a, L& a2, const L& x, const L& w, const L& m) {
    const L p = x * w;
    a = a + p;
    L abs_p;
    abs_lanes<L>(OwnM ? x * m : p, abs_p);
    a2 = a2 + abs_p;
  }
};

/// Weights of a filter block's channel chunk: they stay in L1 while every pixel of the
/// layer passes (a 3×3 layer: 28 channels of 8 filters in doubles).
constexpr uint64_t kChunkWeightBytes = 16 * 1024;

template <typename X, typename Op>
struct ConvArgs {
  using Acc = typename Op::Acc;
  ConvShape s;
  const X* x;
  const Acc* wt;  ///< pack_filters
  const Acc* mt;  ///< magnitude weights, pack_filters (dual ops)
  Op op;
  const std::vector<PixelClass>* classes;
  Acc* tile;   ///< running sums of a filter block: [pixel in class order][kFilterBlock]
  Acc* tile2;  ///< dual ops: the magnitudes
  Acc* y;
  Acc* y2;  ///< dual ops: the magnitudes
};

/// Channels [c0, c1) of the PB pixels pix[0..PB) (one class: the same taps inside the input)
/// × the NV·lanes filters from n0, continuing the running sums in `sums` (row i of pixel i).
/// Each sum takes op for the taps in ascending (c, ky, kx), skipping the taps outside the
/// input; with the channel chunks in ascending order these are the operations, in order, of
/// the plain direct convolution
///   for n, oy, ox: acc = init[n]; for c, ky, kx: if inside: acc = op(acc, x, w).
template <typename L, uint64_t NV, uint64_t PB, typename X, typename Op>
KQ_REF_INLINE void block(const ConvArgs<X, Op>& a, const PixelClass& pc, uint64_t first, uint64_t g,
                         uint64_t n0, uint64_t c0, uint64_t c1, typename Op::Acc* sums,
                         typename Op::Acc* sums2) {
  using Acc = typename Op::Acc;
  constexpr uint64_t lanes = sizeof(L) / sizeof(Acc);
  constexpr bool dual = Op::dual;
  const ConvShape& s = a.s;
  L acc[PB][NV], acc2[dual ? PB : 1][NV];
  int64_t origin[PB];
  for (uint64_t i = 0; i < PB; ++i) {
    origin[i] = pc.origins[first + i];
    for (uint64_t v = 0; v < NV; ++v) {
      load_lanes(acc[i][v], sums + i * kFilterBlock + v * lanes);
      if constexpr (dual) load_lanes(acc2[i][v], sums2 + i * kFilterBlock + v * lanes);
    }
  }
  const uint64_t k = s.cg * s.kh * s.kw;
  const X* xg = a.x + g * s.cg * s.h * s.w;
  constexpr uint64_t nb = NV * lanes;
  const Acc* wg = a.wt + (g * s.ng + n0) * k;
  const Acc* mg = Op::own_m ? a.mt + (g * s.ng + n0) * k : nullptr;
  for (uint64_t c = c0; c < c1; ++c)
    for (uint64_t ty = pc.ky.lo; ty < pc.ky.hi; ++ty)
      for (uint64_t tx = pc.kx.lo; tx < pc.kx.hi; ++tx) {
        // Inside the plane for every pixel of the class, so xt[origin] is too.
        const X* xt = xg + (c * s.h + ty * s.dh) * s.w + tx * s.dw;
        const uint64_t tap = ((c * s.kh + ty) * s.kw + tx) * nb;
        L w[NV], m[NV];
        for (uint64_t v = 0; v < NV; ++v) {
          load_lanes(w[v], wg + tap + v * lanes);
          if constexpr (Op::own_m)
            load_lanes(m[v], mg + tap + v * lanes);
          else
            m[v] = w[v];
        }
#pragma GCC unroll 8
        for (uint64_t i = 0; i < PB; ++i) {
          L xv;
          broadcast(xv, static_cast<Acc>(xt[origin[i]]));
#pragma GCC unroll 8
          for (uint64_t v = 0; v < NV; ++v) {
            Op::tap(acc[i][v], acc2[dual ? i : 0][v], xv, w[v], m[v]);
          }
        }
      }
  for (uint64_t i = 0; i < PB; ++i)
    for (uint64_t v = 0; v < NV; ++v) {
      std::memcpy(sums + i * kFilterBlock + v * lanes, &acc[i][v], sizeof(L));
      if constexpr (dual) std::memcpy(sums2 + i * kFilterBlock + v * lanes, &acc2[i][v], sizeof(L));
    }
}

/// A block of `rest` pixels, 0 ≤ rest ≤ Q.
template <typename L, uint64_t NV, uint64_t Q, typename X, typename Op>
KQ_REF_INLINE void tail(const ConvArgs<X, Op>& a, const PixelClass& pc, uint64_t first,
                        uint64_t rest, uint64_t g, uint64_t n0, uint64_t c0, uint64_t c1,
                        typename Op::Acc* sums, typename Op::Acc* sums2) {
  if constexpr (Q > 0) {
    if (rest == Q)
      block<L, NV, Q>(a, pc, first, g, n0, c0, c1, sums, sums2);
    else
      tail<L, NV, Q - 1>(a, pc, first, rest, g, n0, c0, c1, sums, sums2);
  }
}

/// Channels [c0, c1) of every pixel for filters [n0, n0 + NV·lanes): each class in blocks of
/// PB pixels and the rest in one smaller block.
template <typename L, uint64_t NV, uint64_t PB, typename X, typename Op>
KQ_REF_INLINE void chunk(const ConvArgs<X, Op>& a, uint64_t g, uint64_t n0, uint64_t c0,
                         uint64_t c1) {
  using Acc = typename Op::Acc;
  Acc* sums = a.tile;
  Acc* sums2 = a.tile2;
  const uint64_t step2 = Op::dual ? kFilterBlock : 0;
  for (const PixelClass& pc : *a.classes) {
    const uint64_t n = pc.pixels.size();
    uint64_t i = 0;
    for (; i + PB <= n; i += PB) {
      block<L, NV, PB>(a, pc, i, g, n0, c0, c1, sums, sums2);
      sums += PB * kFilterBlock, sums2 += PB * step2;
    }
    // The rest (fewer than PB) in one block too: a lone pixel's sums are dependency chains
    // the adder pipeline cannot overlap.
    tail<L, NV, PB - 1>(a, pc, i, n - i, g, n0, c0, c1, sums, sums2);
    sums += (n - i) * kFilterBlock, sums2 += (n - i) * step2;
  }
}

/// Every output of the layer: per group, filters in blocks of 8 (the rest one at a time);
/// per block, the channels in chunks whose weights stay in L1 while all pixels pass.
template <typename L, uint64_t PB, typename X, typename Op>
KQ_REF_INLINE void conv_body(const ConvArgs<X, Op>& a) {
  using Acc = typename Op::Acc;
  constexpr uint64_t lanes = sizeof(L) / sizeof(Acc), nv = kFilterBlock / lanes;
  const ConvShape& s = a.s;
  const uint64_t taps = s.kh * s.kw;
  const uint64_t chunk_channels = std::max<uint64_t>(
      1, kChunkWeightBytes / (Op::own_m ? 2 : 1) / (taps * kFilterBlock * sizeof(Acc)));
  for (uint64_t g = 0; g < s.groups; ++g)
    for (uint64_t n0 = 0; n0 < s.ng;) {
      const uint64_t nb = block_width(s.ng, n0);
      // The running sums start at the initial values, in the tile's pixel order.
      Acc* t = a.tile;
      Acc* t2 = a.tile2;
      for (const PixelClass& pc : *a.classes)
        for (size_t i = 0; i < pc.pixels.size(); ++i, t += kFilterBlock) {
          for (uint64_t j = 0; j < nb; ++j) t[j] = a.op.init(g * s.ng + n0 + j);
          if constexpr (Op::dual) {
            for (uint64_t j = 0; j < nb; ++j) t2[j] = a.op.init2(g * s.ng + n0 + j);
            t2 += kFilterBlock;
          }
        }
      for (uint64_t c0 = 0; c0 < s.cg; c0 += chunk_channels) {
        const uint64_t c1 = std::min(s.cg, c0 + chunk_channels);
        if (nb == kFilterBlock)
          chunk<L, nv, PB>(a, g, n0, c0, c1);
        else
          chunk<Acc, 1, 4>(a, g, n0, c0, c1);
      }
      t = a.tile, t2 = a.tile2;
      for (const PixelClass& pc : *a.classes)
        for (const uint64_t p : pc.pixels) {
          for (uint64_t j = 0; j < nb; ++j) {
            a.y[(g * s.ng + n0 + j) * s.oh * s.ow + p] = t[j];
            if constexpr (Op::dual) a.y2[(g * s.ng + n0 + j) * s.oh * s.ow + p] = t2[j];
          }
          t += kFilterBlock;
          if constexpr (Op::dual) t2 += kFilterBlock;
        }
      n0 += nb;
    }
}

#ifdef KQ_REF_VECTORS
// Baseline x86-64 splits each 4-lane vector into two SSE registers: the sums of 2 pixels × 8
// filters (dual: 1 pixel) fill them; AVX2 holds a vector in one register, so 4 pixels (dual:
// 2) fit.
template <typename X, typename Op>
void conv_base(const ConvArgs<X, Op>& a) {
  conv_body<typename Vec4<typename Op::Acc>::type, Op::dual ? 1 : 2>(a);
}
#ifdef KQ_REF_AVX2_CLONE
template <typename X, typename Op>
__attribute__((target("avx2"))) void conv_avx2(const ConvArgs<X, Op>& a) {
  conv_body<typename Vec4<typename Op::Acc>::type, Op::dual ? 2 : 4>(a);
}
bool use_avx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has && detail::g_reference_wide_simd;
}
#endif
#else
template <typename X, typename Op>
void conv_base(const ConvArgs<X, Op>& a) {
  conv_body<typename Op::Acc, 2>(a);
}
#endif

template <typename X, typename Op>
void run_conv(const ConvArgs<X, Op>& a) {
#ifdef KQ_REF_AVX2_CLONE
  if (use_avx2()) return conv_avx2(a);
#endif
  conv_base(a);
}

/// y (and, for a dual op, y2) of a conv/fc layer.
template <typename Op, typename X, typename W>
std::vector<typename Op::Acc> conv(const Layer& l, const std::vector<X>& x, const std::vector<W>& w,
                                   const Op& op, std::vector<typename Op::Acc>* y2 = nullptr,
                                   const std::vector<W>* m = nullptr) {
  using Acc = typename Op::Acc;
  ConvArgs<X, Op> a;
  a.s = conv_shape(l);
  const std::vector<Acc> wt = pack_filters<Acc>(a.s, w);
  const std::vector<Acc> mt = Op::own_m ? pack_filters<Acc>(a.s, *m) : std::vector<Acc>{};
  const std::vector<PixelClass> classes = pixel_classes(a.s);
  const uint64_t pixels = a.s.oh * a.s.ow;
  std::vector<Acc> tile(pixels * kFilterBlock), tile2(Op::dual ? tile.size() : 0);
  std::vector<Acc> y(a.s.groups * a.s.ng * pixels);
  if (y2) y2->assign(y.size(), Acc{});
  a.x = x.data();
  a.wt = wt.data();
  a.mt = Op::own_m ? mt.data() : nullptr;
  a.op = op;
  a.classes = &classes;
  a.tile = tile.data();
  a.tile2 = Op::dual ? tile2.data() : nullptr;
  a.y = y.data();
  a.y2 = y2 ? y2->data() : nullptr;
  run_conv(a);
  return y;
}

std::vector<double> pool(const Layer& l, const std::vector<double>& x) {
  std::vector<double> y(l.out.elements());
  const double inv = 1.0 / (static_cast<double>(l.kh) * l.kw);
  for (uint64_t c = 0; c < l.out.c; ++c)
    for (uint64_t oy = 0; oy < l.out.h; ++oy)
      for (uint64_t ox = 0; ox < l.out.w; ++ox) {
        double m = -std::numeric_limits<double>::infinity(), s = 0;
        for (uint64_t ky = 0; ky < l.kh; ++ky) {
          const int64_t iy = static_cast<int64_t>(oy * l.sh + ky * l.dh) - l.ph;
          if (iy < 0 || iy >= static_cast<int64_t>(l.in.h)) continue;
          for (uint64_t kx = 0; kx < l.kw; ++kx) {
            const int64_t ix = static_cast<int64_t>(ox * l.sw + kx * l.dw) - l.pw;
            if (ix < 0 || ix >= static_cast<int64_t>(l.in.w)) continue;
            const double v = x[(c * l.in.h + iy) * l.in.w + ix];
            m = std::max(m, v);
            s += v;
          }
        }
        y[(c * l.out.h + oy) * l.out.w + ox] = l.type == LayerType::maxpool ? m : s * inv;
      }
  return y;
}

template <typename T>
const T* bias_or_null(const std::vector<T>& b) {
  return b.empty() ? nullptr : b.data();
}

}  // namespace

std::vector<double> reference_layer(const Layer& l,
                                    const std::vector<const std::vector<double>*>& inputs,
                                    const std::vector<double>& weight,
                                    const std::vector<double>& bias) {
  const std::vector<double>& x = *inputs.at(0);
  switch (l.type) {
    case LayerType::conv2d:
    case LayerType::fc:
      return conv(l, x, weight, ValueOp<double>{bias_or_null(bias)});
    case LayerType::relu: {
      std::vector<double> y(x.size());
      for (size_t i = 0; i < x.size(); ++i) {
        y[i] = std::max(0.0, x[i]);
        if (l.relu_cap > 0) y[i] = std::min<double>(y[i], l.relu_cap);
      }
      return y;
    }
    case LayerType::maxpool:
    case LayerType::avgpool:
      return pool(l, x);
    case LayerType::add: {
      const std::vector<double>& b = *inputs.at(1);
      std::vector<double> y(x.size());
      for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] + b[i];
      return y;
    }
    case LayerType::batchnorm: {
      std::vector<double> y(x.size());
      const uint64_t plane = l.in.h * l.in.w;
      for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * weight[i / plane] + bias[i / plane];
      return y;
    }
  }
  return {};
}

std::vector<int64_t> reference_conv_integer(const Layer& l, const std::vector<int32_t>& input,
                                            const std::vector<int32_t>& weight,
                                            const std::vector<int64_t>& bias) {
  return conv(l, input, weight, ValueOp<int64_t>{bias_or_null(bias)});
}

std::vector<double> reference_conv_abs_sum(const Layer& l, const std::vector<double>& input,
                                           const std::vector<double>& weight,
                                           const std::vector<double>& bias) {
  return conv(l, input, weight, MagnitudeOp{bias_or_null(bias)});
}

ReferenceWithBound reference_conv_with_abs_sum(const Layer& l, const std::vector<double>& input,
                                               const std::vector<double>& weight,
                                               const std::vector<double>& magnitude_weight,
                                               const std::vector<double>& bias) {
  ReferenceWithBound r;
  if (&magnitude_weight == &weight || magnitude_weight == weight)
    r.values = conv(l, input, weight, ValueAndMagnitudeOp<false>{bias_or_null(bias)}, &r.abs_sums);
  else
    r.values = conv(l, input, weight, ValueAndMagnitudeOp<true>{bias_or_null(bias)}, &r.abs_sums,
                    &magnitude_weight);
  return r;
}

}  // namespace kq
