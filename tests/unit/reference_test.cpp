// The golden reference visits a conv's operations in blocks of pixels × filters; each output
// must still be, bit for bit, the plain direct convolution written out here (bias, then the
// taps inside the input in ascending (c, ky, kx)).
#include "models/quant/reference.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>

#include "models/workload/synthetic.hpp"

namespace {

template <typename Acc, typename X, typename W, typename B, typename Op>
std::vector<Acc> direct_conv(const kq::Layer& l, const std::vector<X>& x, const std::vector<W>& w,
                             const std::vector<B>& bias, Op op) {
  if (l.type == kq::LayerType::fc) {
    const uint64_t k = l.in.elements(), n = l.out.c;
    std::vector<Acc> y(n);
    for (uint64_t o = 0; o < n; ++o) {
      Acc acc = bias.empty() ? Acc{} : static_cast<Acc>(bias[o]);
      for (uint64_t i = 0; i < k; ++i) acc = op(acc, x[i], w[o * k + i]);
      y[o] = acc;
    }
    return y;
  }
  const uint64_t cg = l.in.c / l.groups, ng = l.out.c / l.groups;
  std::vector<Acc> y(l.out.elements());
  for (uint64_t n = 0; n < l.out.c; ++n)
    for (uint64_t oy = 0; oy < l.out.h; ++oy)
      for (uint64_t ox = 0; ox < l.out.w; ++ox) {
        Acc acc = bias.empty() ? Acc{} : static_cast<Acc>(bias[n]);
        for (uint64_t c = 0; c < cg; ++c) {
          const uint64_t ci = n / ng * cg + c;
          for (uint64_t ky = 0; ky < l.kh; ++ky) {
            const int64_t iy = static_cast<int64_t>(oy * l.sh + ky * l.dh) - l.ph;
            if (iy < 0 || iy >= static_cast<int64_t>(l.in.h)) continue;
            for (uint64_t kx = 0; kx < l.kw; ++kx) {
              const int64_t ix = static_cast<int64_t>(ox * l.sw + kx * l.dw) - l.pw;
              if (ix < 0 || ix >= static_cast<int64_t>(l.in.w)) continue;
              acc = op(acc, x[(ci * l.in.h + iy) * l.in.w + ix],
                       w[((n * cg + c) * l.kh + ky) * l.kw + kx]);
            }
          }
        }
        y[(n * l.out.h + oy) * l.out.w + ox] = acc;
      }
  return y;
}

kq::Layer conv(uint64_t c, uint64_t h, uint64_t w, uint64_t n, uint32_t k, uint32_t s, uint32_t p,
               uint32_t d, uint32_t groups, bool ceil_out) {
  kq::Layer l;
  l.name = "t";
  l.type = kq::LayerType::conv2d;
  l.in = {c, h, w};
  l.kh = l.kw = k;
  l.sh = s, l.sw = s;
  l.ph = p;
  l.pw = k > 2 ? p + 1 : p;  // unequal paddings too
  l.dh = l.dw = d;
  l.groups = groups;
  auto out = [&](uint64_t in, uint32_t pad) {
    const int64_t span = static_cast<int64_t>(in) + 2 * pad - d * (k - 1) - 1;
    return static_cast<uint64_t>((ceil_out ? span + s - 1 : span) / s + 1);
  };
  l.out = {n, out(h, l.ph), out(w, l.pw)};
  return l;
}

std::vector<double> normals(size_t n, uint64_t seed) {
  kq::Rng r(seed);
  std::vector<double> v(n);
  for (double& x : v) x = r.normal();
  return v;
}

template <typename T>
bool bit_identical(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

}  // namespace

TEST_CASE("the blocked reference equals the direct convolution bit for bit", "[unit]") {
  // Both vector widths (AVX2 and baseline x86-64 group the outputs differently).
  const bool wide = GENERATE(true, false);
  kq::detail::set_reference_wide_simd(wide);
  const auto value = [](double a, double x, double w) { return a + x * w; };
  const auto magnitude = [](double a, double x, double w) { return a + std::fabs(x * w); };
  const auto integer = [](int64_t a, int32_t x, int32_t w) {
    return a + static_cast<int64_t>(x) * w;
  };
  // (c, h, w, n, k, stride, pad, dilation, groups, ceil): paddings, strides, dilation,
  // grouped and depthwise, filter counts off the block size, pixels off the block size,
  // windows wider than the input, and ceil-rounded outputs whose last windows start outside.
  const std::vector<std::vector<uint64_t>> shapes = {
      {3, 11, 13, 17, 3, 1, 1, 1, 1, 0}, {5, 9, 10, 16, 3, 2, 1, 1, 1, 0},
      {4, 12, 7, 9, 7, 2, 3, 1, 1, 0},   {6, 8, 8, 12, 3, 1, 2, 2, 3, 0},
      {8, 7, 9, 8, 3, 1, 1, 1, 8, 0},    {4, 6, 5, 24, 1, 1, 0, 1, 1, 0},
      {2, 5, 6, 3, 1, 2, 0, 1, 1, 1},    {3, 3, 4, 10, 5, 1, 2, 1, 1, 0},
      {2, 10, 9, 5, 3, 3, 0, 1, 1, 1},   {16, 4, 4, 33, 3, 1, 1, 1, 1, 0}};
  for (const auto& sh : shapes) {
    const kq::Layer l = conv(sh[0], sh[1], sh[2], sh[3], static_cast<uint32_t>(sh[4]),
                             static_cast<uint32_t>(sh[5]), static_cast<uint32_t>(sh[6]),
                             static_cast<uint32_t>(sh[7]), static_cast<uint32_t>(sh[8]), sh[9]);
    INFO("c " << sh[0] << " h " << sh[1] << " w " << sh[2] << " n " << sh[3] << " k " << sh[4]
              << " s " << sh[5] << " p " << sh[6] << " d " << sh[7] << " g " << sh[8]);
    const uint64_t seed = sh[0] * 131 + sh[3];
    const std::vector<double> x = normals(l.in.elements(), seed);
    std::vector<double> w = normals(l.out.c * l.in.c / l.groups * l.kh * l.kw, seed + 1);
    std::vector<double> b = normals(l.out.c, seed + 2);
    // Signed zeros and a non-finite weight: a skipped tap and an added 0·w differ there.
    b[0] = -0.0;
    w[1] = std::numeric_limits<double>::infinity();
    const std::vector<double> m = normals(w.size(), seed + 3);
    for (const std::vector<double>& bias : {b, std::vector<double>{}}) {
      std::vector<double> abs_bias(bias.size());
      for (size_t i = 0; i < bias.size(); ++i) abs_bias[i] = std::fabs(bias[i]);
      const std::vector<double> ref = direct_conv<double>(l, x, w, bias, value);
      CHECK(bit_identical(kq::reference_layer(l, {&x}, w, bias), ref));
      const std::vector<double> mag = direct_conv<double>(l, x, w, abs_bias, magnitude);
      CHECK(bit_identical(kq::reference_conv_abs_sum(l, x, w, bias), mag));
      const kq::ReferenceWithBound both = kq::reference_conv_with_abs_sum(l, x, w, m, bias);
      CHECK(bit_identical(both.values, ref));
      CHECK(bit_identical(both.abs_sums, direct_conv<double>(l, x, m, abs_bias, magnitude)));
      const kq::ReferenceWithBound same = kq::reference_conv_with_abs_sum(l, x, w, w, bias);
      CHECK(bit_identical(same.values, ref));
      CHECK(bit_identical(same.abs_sums, mag));
    }
    std::vector<int32_t> xi(x.size()), wi(w.size());
    for (size_t i = 0; i < x.size(); ++i) xi[i] = static_cast<int32_t>(std::lround(x[i] * 1e5));
    for (size_t i = 0; i < w.size(); ++i)
      wi[i] = static_cast<int32_t>(std::lround((i == 1 ? 3.0 : w[i]) * 1e6));
    std::vector<int64_t> bi(b.size());
    for (size_t i = 0; i < b.size(); ++i) bi[i] = std::llround(b[i] * 1e12);
    CHECK(kq::reference_conv_integer(l, xi, wi, bi) ==
          direct_conv<int64_t>(l, xi, wi, bi, integer));
  }
  // fc: the flattened input against every filter.
  kq::Layer fc;
  fc.type = kq::LayerType::fc;
  fc.in = {7, 3, 2};
  fc.out = {19, 1, 1};
  const std::vector<double> x = normals(fc.in.elements(), 5);
  const std::vector<double> w = normals(fc.in.elements() * 19, 6);
  const std::vector<double> b = normals(19, 7);
  CHECK(
      bit_identical(kq::reference_layer(fc, {&x}, w, b), direct_conv<double>(fc, x, w, b, value)));
  std::vector<double> abs_b(b.size());
  for (size_t i = 0; i < b.size(); ++i) abs_b[i] = std::fabs(b[i]);
  CHECK(bit_identical(kq::reference_conv_abs_sum(fc, x, w, b),
                      direct_conv<double>(fc, x, w, abs_b, magnitude)));
  kq::detail::set_reference_wide_simd(true);
}
