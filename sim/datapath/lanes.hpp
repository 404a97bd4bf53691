#pragma once
// Vector lanes for the fold kernels (GCC/Clang vector extensions): loads, stores, broadcasts
// and the narrow-float roundings, lane by lane. Every lane does exactly what the scalar code
// does to one value, so a kernel's result does not depend on the vector width. The golden
// reference has helpers of its own: it shares no code with the datapath it checks.
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "models/common/float_formats.hpp"

#if defined(__GNUC__) || defined(__clang__)
#define KQ_LANES_VECTORS 1
#define KQ_LANES_INLINE inline __attribute__((always_inline))
#else
#define KQ_LANES_INLINE inline
#endif
// The build targets baseline x86-64; kernels add an AVX2 clone chosen at run time.
#if defined(KQ_LANES_VECTORS) && defined(__x86_64__) && !defined(__AVX2__)
#define KQ_LANES_AVX2_CLONE 1
#endif

namespace kq::lanes {

#ifdef KQ_LANES_VECTORS
/// 8 lanes of T: one AVX2 register, or two SSE registers on baseline x86-64.
template <typename T>
struct Vec8 {
  typedef T type __attribute__((vector_size(8 * sizeof(T))));
};
typedef uint32_t U32x8 __attribute__((vector_size(32)));
typedef int32_t I32x8 __attribute__((vector_size(32)));
#endif

/// Values and rounding pass by reference: returning a vector wider than the target's
/// registers would change the ABI.
template <typename V, typename T>
KQ_LANES_INLINE void load(V& v, const T* p) {
  std::memcpy(&v, p, sizeof v);
}
template <typename V, typename T>
KQ_LANES_INLINE void store(T* p, const V& v) {
  std::memcpy(p, &v, sizeof v);
}
/// Every lane = x exactly (adding x to zero lanes would turn −0 into +0).
template <typename V, typename T>
KQ_LANES_INLINE void broadcast(V& v, T x) {
  T l[sizeof(V) / sizeof(T)];
  for (T& e : l) e = x;
  load(v, l);
}

/// round_to_fp16 on every lane, branch-free and bit for bit the scalar function: the normal
/// range keeps 10 fraction bits (round half to even by adding half an ulp plus the kept LSB),
/// the subnormal range rounds to multiples of 2^-24 (half to even: |x|·2^24 < 2^10, and adding
/// then subtracting 1.5·2^23 rounds a float that small to an integer in the default rounding
/// mode, as nearbyint does; the sign is put back, so −tiny gives −0), values past the largest
/// half go to ±inf, inf and NaN stay as they are.
template <typename V>
KQ_LANES_INLINE void round_fp16(V& x) {
  if constexpr (std::is_same_v<V, float>) {
    x = round_to_fp16(x);
  } else {
#ifdef KQ_LANES_VECTORS
    U32x8 u;
    std::memcpy(&u, &x, sizeof u);
    const U32x8 sign = u & 0x80000000u, a = u & 0x7fffffffu;
    const U32x8 normal = (u + 0xfffu + ((u >> 13) & 1u)) & 0xffffe000u;
    V ax;
    std::memcpy(&ax, &a, sizeof ax);
    const V t = ax * 16777216.0f;  // exact: a power of two, and |x| < 2^-14 where it is used
    const V r = ((t + 12582912.0f) - 12582912.0f) * 5.9604644775390625e-08f;
    U32x8 sub;
    std::memcpy(&sub, &r, sizeof sub);
    sub |= sign;
    const U32x8 inf = sign | 0x7f800000u;
    // Signed compares of values below 2^31 (a has no sign bit).
    const I32x8 ai = reinterpret_cast<I32x8>(a);
    const U32x8 out =
        reinterpret_cast<U32x8>(ai < 0x38800000   ? reinterpret_cast<I32x8>(sub)
                                : ai < 0x477ff000 ? reinterpret_cast<I32x8>(normal)
                                                  : (ai < 0x7f800000 ? reinterpret_cast<I32x8>(inf)
                                                                     : reinterpret_cast<I32x8>(u)));
    std::memcpy(&x, &out, sizeof x);
#endif
  }
}

/// round_to_bf16 on every lane: round half to even to 7 fraction bits; inf and NaN unchanged.
template <typename V>
KQ_LANES_INLINE void round_bf16(V& x) {
  if constexpr (std::is_same_v<V, float>) {
    x = round_to_bf16(x);
  } else {
#ifdef KQ_LANES_VECTORS
    U32x8 u;
    std::memcpy(&u, &x, sizeof u);
    const U32x8 r = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
    const I32x8 finite = reinterpret_cast<I32x8>(u & 0x7fffffffu) < 0x7f800000;
    const U32x8 out =
        reinterpret_cast<U32x8>(finite ? reinterpret_cast<I32x8>(r) : reinterpret_cast<I32x8>(u));
    std::memcpy(&x, &out, sizeof x);
#endif
  }
}

/// Rounding to a float format known at compile time (fp32: none).
template <NumFormat F, typename V>
KQ_LANES_INLINE void round(V& x) {
  if constexpr (F == NumFormat::fp16)
    round_fp16(x);
  else if constexpr (F == NumFormat::bf16)
    round_bf16(x);
}

}  // namespace kq::lanes
