#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "models/common/num_format.hpp"

namespace kq {

/// Rounds a float to the nearest IEEE binary16 value (ties to even), returned as float.
/// Overflow gives ±inf, as the hardware format would.
inline float round_to_fp16(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  const uint32_t a = u & 0x7fffffffu;
  if (a >= 0x38800000u && a < 0x477ff000u) {
    // Normal binary16 range [2^-14, 65520): keep 10 of the 23 fraction bits, rounding to
    // nearest even by adding half an ulp (plus the kept LSB) before truncating.
    u += 0xfffu + ((u >> 13) & 1u);
    u &= 0xffffe000u;
    float r;
    std::memcpy(&r, &u, 4);
    return r;
  }
  if (!std::isfinite(x)) return x;
  if (a >= 0x477ff000u) return std::copysign(INFINITY, x);  // rounds past the largest half
  // Subnormal range: a fixed quantum of 2^-24.
  const float q = 5.9604644775390625e-08f;
  return std::nearbyint(x / q) * q;
}

/// Rounds a float to bfloat16 (8 exponent bits, 7 fraction bits), ties to even.
inline float round_to_bf16(float x) {
  if (!std::isfinite(x)) return x;
  uint32_t u;
  std::memcpy(&u, &x, 4);
  const uint32_t lsb = (u >> 16) & 1u;
  u += 0x7fffu + lsb;
  u &= 0xffff0000u;
  float r;
  std::memcpy(&r, &u, 4);
  return r;
}

/// Rounds to a float format; fp32 is the identity.
inline float round_to(NumFormat f, float x) {
  switch (f) {
    case NumFormat::fp16:
      return round_to_fp16(x);
    case NumFormat::bf16:
      return round_to_bf16(x);
    default:
      return x;
  }
}

/// Unit roundoff of a float format (half an ulp of 1).
inline double unit_roundoff(NumFormat f) {
  switch (f) {
    case NumFormat::fp16:
      return std::ldexp(1.0, -11);
    case NumFormat::bf16:
      return std::ldexp(1.0, -8);
    default:
      return std::ldexp(1.0, -24);
  }
}

}  // namespace kq
