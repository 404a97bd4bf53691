#include <algorithm>
#include <cstring>

#include "models/common/float_formats.hpp"
#include "sim/datapath/array_operands.hpp"
#include "sim/datapath/lanes.hpp"

// The folds keep a block of accumulators (a few output pixels × 16 columns) in registers
// across the fold's reduction slice, 8 columns per vector (sim/datapath/lanes.hpp). Each lane
// is one accumulator's own arithmetic in ascending k, the operation of the scalar PE chain,
// so vector width and block shape change speed only.

namespace kq {

namespace detail {
namespace {
bool g_fold_wide_simd = true;
}
void set_fold_wide_simd(bool enabled) {
  g_fold_wide_simd = enabled;
}
bool fold_wide_simd() {
#ifdef KQ_LANES_AVX2_CLONE
  static const bool has = __builtin_cpu_supports("avx2");
  return has && g_fold_wide_simd;
#else
  return false;
#endif
}
}  // namespace detail

namespace {

struct Ranges {
  uint64_t p0, p1, k0, k1, n0, n1;
};

Ranges fold_ranges(const ArrayOperands& o, const Step& s, Dataflow d) {
  switch (d) {
    case Dataflow::ws:
      return {s.t0, s.t0 + s.t_len, s.r0, s.r0 + s.r_len, s.c0, s.c0 + s.c_len};
    case Dataflow::os:
      return {s.r0, s.r0 + s.r_len, 0, o.k, s.c0, s.c0 + s.c_len};
    case Dataflow::is:
      return {s.c0, s.c0 + s.c_len, s.r0, s.r0 + s.r_len, 0, o.n};
  }
  return {};
}

/// fp32 × fp32 → fp32 accumulate: plain float arithmetic (ISO C++17 mode does not contract
/// into FMA, so each product and sum is rounded as a separate fp32 unit would). Narrow float
/// formats round the product to the multiplier format and the sum to the accumulator format.
template <NumFormat Mul, NumFormat Acc>
struct FloatMac {
  template <typename V>
  static KQ_LANES_INLINE void apply(V& a, const V& x, const V& w) {
    V p = x * w;
    lanes::round<Mul>(p);
    a = a + p;
    lanes::round<Acc>(a);
  }
};
/// int32 codes, accumulating in two's-complement int32: unsigned lanes give the adder's
/// wrap-around (and the product's low 32 bits) without signed-overflow UB.
struct Int32Mac {
  template <typename V>
  static KQ_LANES_INLINE void apply(V& a, const V& x, const V& w) {
    a = a + x * w;
  }
};

/// The operands of one fold's GEMM slice, T being the lane type (float or uint32_t).
template <typename T>
struct Slice {
  const T* x;  ///< [p][k], row stride k_dim
  const T* w;  ///< [k][n], row stride n_dim
  T* acc;      ///< [p][n], row stride n_dim
  uint64_t k_dim, n_dim, k0, k1;
};

/// Accumulators of pixels [p, p + PB) × columns [n, n + NV·lanes): loaded once, then every k
/// of the slice in ascending order, stored once.
template <typename V, uint64_t NV, uint64_t PB, typename T, typename Mac>
KQ_LANES_INLINE void block(const Slice<T>& s, uint64_t p, uint64_t n) {
  constexpr uint64_t lanes = sizeof(V) / sizeof(T);
  V acc[PB][NV];
  for (uint64_t i = 0; i < PB; ++i)
    for (uint64_t v = 0; v < NV; ++v)
      lanes::load(acc[i][v], s.acc + (p + i) * s.n_dim + n + v * lanes);
  for (uint64_t k = s.k0; k < s.k1; ++k) {
    V w[NV];
    for (uint64_t v = 0; v < NV; ++v) lanes::load(w[v], s.w + k * s.n_dim + n + v * lanes);
#pragma GCC unroll 8
    for (uint64_t i = 0; i < PB; ++i) {
      V xv;
      lanes::broadcast(xv, s.x[(p + i) * s.k_dim + k]);
#pragma GCC unroll 8
      for (uint64_t v = 0; v < NV; ++v) Mac::apply(acc[i][v], xv, w[v]);
    }
  }
  for (uint64_t i = 0; i < PB; ++i)
    for (uint64_t v = 0; v < NV; ++v)
      lanes::store(s.acc + (p + i) * s.n_dim + n + v * lanes, acc[i][v]);
}

/// Pixels [p0, p1) in blocks of PB, the rest (fewer than PB) in one smaller block.
template <typename V, uint64_t NV, uint64_t PB, typename T, typename Mac>
KQ_LANES_INLINE void pixels(const Slice<T>& s, uint64_t p0, uint64_t p1, uint64_t n) {
  uint64_t p = p0;
  for (; p + PB <= p1; p += PB) block<V, NV, PB, T, Mac>(s, p, n);
  if constexpr (PB > 1) {
    if (p1 - p >= PB / 2) {
      block<V, NV, PB / 2, T, Mac>(s, p, n);
      p += PB / 2;
    }
    for (; p < p1; ++p) block<V, NV, 1, T, Mac>(s, p, n);
  }
}

/// The whole slice: columns in blocks of 16 (two vectors), then 8, then one at a time.
template <typename V, uint64_t PB, typename T, typename Mac>
KQ_LANES_INLINE void fold_body(const Slice<T>& s, const Ranges& r) {
  constexpr uint64_t lanes = sizeof(V) / sizeof(T);
  uint64_t n = r.n0;
  for (; n + 2 * lanes <= r.n1; n += 2 * lanes) pixels<V, 2, PB, T, Mac>(s, r.p0, r.p1, n);
  for (; n + lanes <= r.n1; n += lanes) pixels<V, 1, PB, T, Mac>(s, r.p0, r.p1, n);
  for (; n < r.n1; ++n) pixels<T, 1, 4, T, Mac>(s, r.p0, r.p1, n);
}

#ifdef KQ_LANES_VECTORS
// Baseline x86-64 splits an 8-lane vector into two SSE registers: 2 pixels × 16 columns fill
// 8 of them; AVX2 holds a vector in one register, so 4 pixels fit.
template <typename T, typename Mac>
void fold_base(const Slice<T>& s, const Ranges& r) {
  fold_body<typename lanes::Vec8<T>::type, 2, T, Mac>(s, r);
}
#ifdef KQ_LANES_AVX2_CLONE
template <typename T, typename Mac>
__attribute__((target("avx2"))) void fold_avx2(const Slice<T>& s, const Ranges& r) {
  fold_body<typename lanes::Vec8<T>::type, 4, T, Mac>(s, r);
}
#endif
#else
template <typename T, typename Mac>
void fold_base(const Slice<T>& s, const Ranges& r) {
  fold_body<T, 4, T, Mac>(s, r);
}
#endif

template <typename T, typename Mac>
void fold_blocked(const Slice<T>& s, const Ranges& r) {
#ifdef KQ_LANES_AVX2_CLONE
  if (detail::fold_wide_simd()) return fold_avx2<T, Mac>(s, r);
#endif
  fold_base<T, Mac>(s, r);
}

template <NumFormat Mul>
void fold_float_acc(NumFormat acc, const Slice<float>& s, const Ranges& r) {
  switch (acc) {
    case NumFormat::fp16:
      return fold_blocked<float, FloatMac<Mul, NumFormat::fp16>>(s, r);
    case NumFormat::bf16:
      return fold_blocked<float, FloatMac<Mul, NumFormat::bf16>>(s, r);
    default:
      return fold_blocked<float, FloatMac<Mul, NumFormat::fp32>>(s, r);
  }
}

void fold_float(ArrayOperands& o, const Ranges& r, uint64_t g) {
  const Slice<float> s{o.xf.data() + g * o.p * o.k,
                       o.wf.data() + g * o.k * o.n,
                       o.accf.data() + g * o.p * o.n,
                       o.k,
                       o.n,
                       r.k0,
                       r.k1};
  switch (o.mult_format) {
    case NumFormat::fp16:
      return fold_float_acc<NumFormat::fp16>(o.acc_format, s, r);
    case NumFormat::bf16:
      return fold_float_acc<NumFormat::bf16>(o.acc_format, s, r);
    default:
      return fold_float_acc<NumFormat::fp32>(o.acc_format, s, r);
  }
}

void fold_int(ArrayOperands& o, const Ranges& r, uint64_t g) {
  static_assert(sizeof(int32_t) == sizeof(uint32_t), "int32 codes viewed as uint32 lanes");
  const Slice<uint32_t> s{reinterpret_cast<const uint32_t*>(o.xi.data() + g * o.p * o.k),
                          reinterpret_cast<const uint32_t*>(o.wi.data() + g * o.k * o.n),
                          reinterpret_cast<uint32_t*>(o.acci.data() + g * o.p * o.n),
                          o.k,
                          o.n,
                          r.k0,
                          r.k1};
  fold_blocked<uint32_t, Int32Mac>(s, r);
}

}  // namespace

void mac_fold(ArrayOperands& ops, const Step& step, Dataflow dataflow) {
  const Ranges r = fold_ranges(ops, step, dataflow);
  if (ops.integer)
    fold_int(ops, r, step.group);
  else
    fold_float(ops, r, step.group);
}

}  // namespace kq
