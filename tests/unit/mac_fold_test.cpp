// The fold kernels keep blocks of accumulators in registers; every accumulator must still be,
// bit for bit, the PE chain's sequential a = a + x·w in ascending k (wrapping for int32).
#include <catch2/catch.hpp>
#include <cstring>
#include <tuple>

#include "models/common/float_formats.hpp"
#include "models/workload/synthetic.hpp"
#include "sim/datapath/array_operands.hpp"

namespace {

/// x[g][p][k], w[g][k][n], acc[g][p][n] of random values (floats of mixed magnitudes and
/// signs, signed zeros among them; int8-range codes).
kq::ArrayOperands operands(bool integer, uint64_t groups, uint64_t p, uint64_t k, uint64_t n,
                           uint64_t seed) {
  kq::ArrayOperands o;
  o.integer = integer;
  o.groups = groups, o.p = p, o.k = k, o.n = n;
  kq::Rng r(seed);
  auto f = [&]() {
    const double u = r.uniform();
    return u < 0.05 ? -0.0f : static_cast<float>((r.uniform() - 0.5) * (u < 0.5 ? 1e3 : 1e-2));
  };
  auto c = [&]() { return static_cast<int32_t>(r.next_u64() % 255) - 127; };
  for (uint64_t i = 0; i < groups * p * k; ++i) integer ? o.xi.push_back(c()) : o.xf.push_back(f());
  for (uint64_t i = 0; i < groups * k * n; ++i) integer ? o.wi.push_back(c()) : o.wf.push_back(f());
  for (uint64_t i = 0; i < groups * p * n; ++i)
    integer ? o.acci.push_back(c() * 1000) : o.accf.push_back(f());
  return o;
}

/// The fold as the PE chain computes it, one accumulator at a time.
void plain_fold(kq::ArrayOperands& o, const kq::Step& s, kq::Dataflow d) {
  uint64_t p0 = s.t0, p1 = s.t0 + s.t_len, k0 = s.r0, k1 = s.r0 + s.r_len, n0 = s.c0,
           n1 = s.c0 + s.c_len;
  if (d == kq::Dataflow::os) p0 = s.r0, p1 = s.r0 + s.r_len, k0 = 0, k1 = o.k;
  if (d == kq::Dataflow::is) p0 = s.c0, p1 = s.c0 + s.c_len, n0 = 0, n1 = o.n;
  const uint64_t g = s.group;
  for (uint64_t p = p0; p < p1; ++p)
    for (uint64_t n = n0; n < n1; ++n)
      for (uint64_t k = k0; k < k1; ++k) {
        if (o.integer) {
          uint32_t& a = reinterpret_cast<uint32_t&>(o.acci[(g * o.p + p) * o.n + n]);
          a += static_cast<uint32_t>(o.xi[(g * o.p + p) * o.k + k]) *
               static_cast<uint32_t>(o.wi[(g * o.k + k) * o.n + n]);
        } else {
          float& a = o.accf[(g * o.p + p) * o.n + n];
          a = kq::round_to(o.acc_format,
                           a + kq::round_to(o.mult_format, o.xf[(g * o.p + p) * o.k + k] *
                                                               o.wf[(g * o.k + k) * o.n + n]));
        }
      }
}

}  // namespace

TEST_CASE("blocked folds equal the sequential PE chain bit for bit", "[unit]") {
  using kq::NumFormat;
  const bool wide = GENERATE(true, false);
  kq::detail::set_fold_wide_simd(wide);
  // (integer, multiplier format, accumulator format)
  const std::vector<std::tuple<bool, NumFormat, NumFormat>> systems = {
      {false, NumFormat::fp32, NumFormat::fp32}, {false, NumFormat::fp16, NumFormat::fp32},
      {false, NumFormat::fp16, NumFormat::fp16}, {false, NumFormat::bf16, NumFormat::fp32},
      {false, NumFormat::fp32, NumFormat::bf16}, {true, NumFormat::int8, NumFormat::int32}};
  for (const auto& [integer, mul, acc] : systems)
    for (const kq::Dataflow d : {kq::Dataflow::ws, kq::Dataflow::os, kq::Dataflow::is}) {
      INFO("integer " << integer << " formats " << static_cast<int>(mul) << " "
                      << static_cast<int>(acc) << " dataflow " << static_cast<int>(d) << " wide "
                      << wide);
      // p, k, n off every block size; slices starting inside the operand planes.
      const uint64_t p = 23, k = 37, n = 29;
      kq::ArrayOperands a = operands(integer, 2, p, k, n, 11 + integer);
      a.mult_format = mul, a.acc_format = acc;
      kq::ArrayOperands b = a;
      for (const auto& sl : std::vector<std::vector<uint64_t>>{{0, 16, 0, 16, 0, 23},
                                                               {16, 21, 16, 13, 3, 17},
                                                               {5, 1, 28, 1, 22, 1},
                                                               {0, 37, 0, 29, 0, 23}}) {
        kq::Step s;
        s.group = 1;
        // ws: rows = k, cols = n, stream = p; os: rows = p, cols = n; is: rows = k, cols = p.
        s.r0 = d == kq::Dataflow::os ? sl[4] : sl[0];
        s.r_len = d == kq::Dataflow::os ? sl[5] : sl[1];
        s.c0 = d == kq::Dataflow::is ? sl[4] : sl[2];
        s.c_len = d == kq::Dataflow::is ? sl[5] : sl[3];
        s.t0 = sl[4], s.t_len = sl[5];
        kq::mac_fold(a, s, d);
        plain_fold(b, s, d);
      }
      if (integer)
        CHECK(a.acci == b.acci);
      else
        CHECK(std::memcmp(a.accf.data(), b.accf.data(), a.accf.size() * sizeof(float)) == 0);
    }
  kq::detail::set_fold_wide_simd(true);
}
