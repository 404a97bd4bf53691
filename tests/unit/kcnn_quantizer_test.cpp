#include "models/quant/kcnn_quantizer.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "models/common/float_formats.hpp"
#include "models/workload/network_params.hpp"
#include "models/workload/synthetic.hpp"
#include "models/workload/workload.hpp"

using kq::KcnnAlphabet;
using kq::KcnnGranularity;
using kq::KcnnInit;
using kq::KcnnOffset;
using kq::KcnnOptions;
using kq::KcnnScaleFormat;

namespace {

std::vector<float> random_kernel(kq::Rng& rng, size_t d, double sd = 1.0) {
  std::vector<float> w(d);
  for (float& v : w) v = static_cast<float>(sd * rng.normal());
  return w;
}

// The three alphabet/offset combinations the options allow.
std::vector<KcnnOptions> alphabet_variants(uint32_t m) {
  KcnnOptions pm1;
  pm1.planes = m;
  KcnnOptions zo = pm1;
  zo.alphabet = KcnnAlphabet::zero_one;
  KcnnOptions zo_off = zo;
  zo_off.offset = KcnnOffset::per_kernel;
  return {pm1, zo, zo_off};
}

// Greedy residual init, written independently of the quantizer (methods.md §2.4 init a).
double greedy_pm1_error(const std::vector<float>& w, uint32_t m) {
  std::vector<double> r(w.begin(), w.end());
  for (uint32_t p = 0; p < m; ++p) {
    double a = 0;
    for (double v : r) a += std::fabs(v);
    a /= static_cast<double>(r.size());
    for (double& v : r) v -= v >= 0 ? a : -a;
  }
  double e = 0;
  for (double v : r) e += v * v;
  return e;
}

// ŵ of a KernelFit: β + Σ α_m·v(bit), v(0) = −1 (pm1) or 0.
std::vector<double> reconstruct(const kq::KernelFit& f, const KcnnOptions& o) {
  const double lo = o.alphabet == KcnnAlphabet::pm1 ? -1.0 : 0.0;
  std::vector<double> out(f.codes.size());
  for (size_t i = 0; i < f.codes.size(); ++i) {
    double v = f.beta;
    for (uint32_t p = 0; p < o.planes; ++p) v += f.alpha[p] * (((f.codes[i] >> p) & 1) ? 1.0 : lo);
    out[i] = v;
  }
  return out;
}

double sq_error_of(const std::vector<float>& w, const std::vector<double>& what) {
  double e = 0;
  for (size_t i = 0; i < w.size(); ++i) e += (w[i] - what[i]) * (w[i] - what[i]);
  return e;
}

kq::Tensor random_weight(std::vector<uint64_t> shape, uint64_t seed) {
  kq::Tensor t;
  t.shape = std::move(shape);
  t.data.resize(t.elements());
  kq::Rng rng(seed);
  for (float& v : t.data) v = static_cast<float>(0.05 * rng.normal());
  return t;
}

}  // namespace

TEST_CASE("KCNN options: defaults are valid and inconsistent options are rejected", "[unit]") {
  KcnnOptions o;
  REQUIRE_NOTHROW(o.validate());
  CHECK(o.planes == 2);
  CHECK(o.granularity == KcnnGranularity::kernel2d);
  CHECK(o.alphabet == KcnnAlphabet::pm1);
  CHECK(o.init == KcnnInit::greedy_residual);
  CHECK(o.max_iterations == 10);
  CHECK(o.ridge_delta == 1e-4);
  CHECK(o.scale_bits() == 32);
  auto bad = [](auto mutate) {
    KcnnOptions x;
    mutate(x);
    CHECK_THROWS_AS(x.validate(), std::invalid_argument);
  };
  bad([](KcnnOptions& x) { x.planes = 0; });
  bad([](KcnnOptions& x) { x.planes = 9; });
  bad([](KcnnOptions& x) { x.offset = KcnnOffset::per_kernel; });  // pm1 + offset
  bad([](KcnnOptions& x) { x.zero_skip = true; });                 // pm1 + zero-skip
  bad([](KcnnOptions& x) { x.ridge_delta = -1e-4; });
  bad([](KcnnOptions& x) { x.ridge_delta = NAN; });
  bad([](KcnnOptions& x) {
    x.scale_format = KcnnScaleFormat::fixed;
    x.fixed_bits = 1;
  });
  bad([](KcnnOptions& x) {
    x.scale_format = KcnnScaleFormat::fixed;
    x.fixed_bits = 25;
  });
  bad([](KcnnOptions& x) { x.alphabet = static_cast<KcnnAlphabet>(7); });
  KcnnOptions ok;
  ok.alphabet = KcnnAlphabet::zero_one;
  ok.offset = KcnnOffset::per_kernel;
  ok.zero_skip = true;
  ok.planes = 8;
  ok.scale_format = KcnnScaleFormat::fixed;
  ok.fixed_bits = 12;
  REQUIRE_NOTHROW(ok.validate());
  CHECK(ok.scale_bits() == 12);
  ok.scale_format = KcnnScaleFormat::fp16;
  CHECK(ok.scale_bits() == 16);
}

TEST_CASE("KCNN fit: the error trace never increases (M = 1..4, every alphabet and init)",
          "[unit]") {
  kq::Rng rng(11);
  size_t kernels = 0, improved = 0;
  // d = 1 and 3 take the direct nearest-level search, 9 and 27 the sorted-midpoint one.
  const size_t sizes[] = {9, 27, 9, 1, 9, 3};
  for (uint32_t m = 1; m <= 4; ++m)
    for (KcnnOptions o : alphabet_variants(m))
      for (KcnnInit init : {KcnnInit::greedy_residual, KcnnInit::fixed_point}) {
        o.init = init;
        for (int k = 0; k < 700; ++k) {
          const size_t d = sizes[k % 6];
          const auto w = random_kernel(rng, d);
          std::vector<double> trace;
          const kq::KernelFit f = kq::fit_kernel(w.data(), d, o, &trace);
          REQUIRE(trace.size() == f.iterations + 1);
          for (size_t t = 1; t < trace.size(); ++t) REQUIRE(trace[t] <= trace[t - 1]);
          REQUIRE(f.iterations <= o.max_iterations);
          // The reported error is that of the stored scales and codes...
          const auto what = reconstruct(f, o);
          REQUIRE(f.sq_error == Approx(sq_error_of(w, what)).epsilon(1e-9).margin(1e-15));
          // ...and every weight sits on its nearest stored level.
          const double lo = o.alphabet == KcnnAlphabet::pm1 ? -1.0 : 0.0;
          for (size_t i = 0; i < d; ++i) {
            const double mine = (w[i] - what[i]) * (w[i] - what[i]);
            for (uint32_t c = 0; c < (1u << m); ++c) {
              double level = f.beta;
              for (uint32_t p = 0; p < m; ++p) level += f.alpha[p] * (((c >> p) & 1) ? 1.0 : lo);
              REQUIRE(mine <= (w[i] - level) * (w[i] - level) + 1e-12);
            }
          }
          ++kernels;
          improved += trace.back() < trace.front();
        }
      }
  // The refinement must actually do something on most kernels (fixed-point init and M > 1).
  CHECK(kernels == 4 * 3 * 2 * 700);
  CHECK(improved > kernels / 2);

  // M = 5..8 (up to 256 levels) on a few kernels, both searches and both inits.
  for (uint32_t m = 5; m <= 8; ++m)
    for (KcnnOptions o : alphabet_variants(m))
      for (KcnnInit init : {KcnnInit::greedy_residual, KcnnInit::fixed_point})
        for (size_t d : {size_t{2}, size_t{9}, size_t{300}}) {
          o.init = init;
          const auto w = random_kernel(rng, d);
          std::vector<double> trace;
          const kq::KernelFit f = kq::fit_kernel(w.data(), d, o, &trace);
          for (size_t t = 1; t < trace.size(); ++t) REQUIRE(trace[t] <= trace[t - 1]);
          REQUIRE(f.sq_error ==
                  Approx(sq_error_of(w, reconstruct(f, o))).epsilon(1e-9).margin(1e-15));
          if (d == 300 && init == KcnnInit::fixed_point) {
            // The fixed-point init is a uniform 2^M-level quantizer, and refinement only
            // improves on it: at least 6 dB per bit, less 12 dB for the Gaussian's tails.
            double sig = 0;
            for (float v : w) sig += double{v} * v;
            CHECK(10 * std::log10(sig / f.sq_error) > 6.0 * (m - 2));
          }
        }
}

TEST_CASE("KCNN fit: refinement is never worse than the greedy init", "[unit]") {
  kq::Rng rng(12);
  for (uint32_t m = 1; m <= 4; ++m) {
    KcnnOptions o;
    o.planes = m;
    double sum_greedy = 0, sum_fit = 0;
    for (int k = 0; k < 2000; ++k) {
      const auto w = random_kernel(rng, 9);
      const double g = greedy_pm1_error(w, m);
      std::vector<double> trace;
      const kq::KernelFit f = kq::fit_kernel(w.data(), w.size(), o, &trace);
      // The trace starts at the same greedy init, computed independently here.
      REQUIRE(trace.front() == Approx(g).epsilon(1e-9).margin(1e-12));
      // Stored fp32 scales may round the double optimum by ~1e-7 relative.
      REQUIRE(f.sq_error <= g * (1 + 1e-6) + 1e-12);
      sum_greedy += g;
      sum_fit += f.sq_error;
    }
    if (m == 1) {
      // One plane: α = mean|w|, B = sign(w) is already the least-squares optimum.
      CHECK(sum_fit == Approx(sum_greedy).epsilon(1e-6));
    } else {
      CHECK(sum_fit < 0.97 * sum_greedy);
    }
  }
}

TEST_CASE("KCNN fit: a kernel built from known planes and scales is recovered exactly", "[unit]") {
  kq::Rng rng(13);
  for (uint32_t m = 1; m <= 4; ++m)
    for (bool offset : {false, true}) {
      KcnnOptions o;
      o.planes = m;
      if (offset) {
        o.alphabet = KcnnAlphabet::zero_one;
        o.offset = KcnnOffset::per_kernel;
      }
      const uint32_t n_codes = 1u << m;
      // Every code twice (well-conditioned B·Bᵀ), padded to a 3×3 kernel for small M.
      const size_t d = std::max<size_t>(9, 2 * n_codes);
      for (int trial = 0; trial < 200; ++trial) {
        std::vector<uint8_t> codes(d);
        for (size_t i = 0; i < d; ++i) codes[i] = static_cast<uint8_t>(i % n_codes);
        for (size_t i = d - 1; i > 0; --i) std::swap(codes[i], codes[rng.next_u64() % (i + 1)]);
        // Distinct |α| with ratio > 2 (well separated), in random plane order. Scales on a
        // 2^-12 grid make every weight exact in float, so the fit has nothing to round.
        auto grid = [](double v) { return std::nearbyint(v * 4096) / 4096; };
        std::vector<double> alpha(m);
        const double top = grid(0.25 + rng.uniform());
        for (uint32_t p = 0; p < m; ++p)
          alpha[p] = grid(top * std::pow(0.4, p) * (1.0 + 0.2 * rng.uniform()));
        std::vector<uint32_t> perm(m);
        for (uint32_t p = 0; p < m; ++p) perm[p] = p;
        for (uint32_t p = m - 1; p > 0; --p) std::swap(perm[p], perm[rng.next_u64() % (p + 1)]);
        const double beta = offset ? grid(rng.normal() * top) : 0.0;
        std::vector<float> w(d);
        for (size_t i = 0; i < d; ++i) {
          double v = beta;
          for (uint32_t p = 0; p < m; ++p) {
            const bool bit = (codes[i] >> perm[p]) & 1;
            v += alpha[p] * (bit ? 1.0 : (offset ? 0.0 : -1.0));
          }
          w[i] = static_cast<float>(v);
        }
        const kq::KernelFit f = kq::fit_kernel(w.data(), d, o, nullptr);
        REQUIRE(f.converged);
        for (uint32_t p = 0; p < m; ++p) {
          // Canonical order: plane p is the p-th largest |α|, i.e. original plane perm[p].
          REQUIRE(std::fabs(f.alpha[p] - alpha[p]) <= 1e-6 * alpha[p]);
          for (size_t i = 0; i < d; ++i)
            REQUIRE(((f.codes[i] >> p) & 1) == ((codes[i] >> perm[p]) & 1));
        }
        if (offset) REQUIRE(std::fabs(f.beta - beta) <= 1e-6 * std::max(std::fabs(beta), top));
        REQUIRE(f.sq_error <= 1e-10 * top * top * d);
      }
    }
}

TEST_CASE("KCNN fit: the mean error falls strictly as M grows", "[unit]") {
  for (const KcnnOptions& base : alphabet_variants(1)) {
    for (size_t d : {size_t{9}, size_t{64}}) {
      kq::Rng rng(14);
      std::vector<std::vector<float>> kernels;
      for (int k = 0; k < 2000; ++k) kernels.push_back(random_kernel(rng, d));
      double previous = INFINITY;
      for (uint32_t m = 1; m <= (d == 9 ? 4u : 6u); ++m) {
        KcnnOptions o = base;
        o.planes = m;
        double sum = 0;
        for (const auto& w : kernels) sum += kq::fit_kernel(w.data(), d, o).sq_error;
        const double mean = sum / static_cast<double>(kernels.size());
        INFO("alphabet " << kq::to_string(o.alphabet) << ", offset " << kq::to_string(o.offset)
                         << ", d " << d << ", M " << m);
        CHECK(mean < previous);
        previous = mean;
      }
    }
  }
}

TEST_CASE("KCNN fit: canonical form, degenerate kernels and bad input", "[unit]") {
  kq::Rng rng(15);
  for (uint32_t m = 1; m <= 4; ++m)
    for (const KcnnOptions& o : alphabet_variants(m))
      for (int k = 0; k < 200; ++k) {
        const auto w = random_kernel(rng, 9);
        const kq::KernelFit f = kq::fit_kernel(w.data(), 9, o);
        for (uint32_t p = 0; p + 1 < m; ++p)
          REQUIRE(std::fabs(f.alpha[p]) >= std::fabs(f.alpha[p + 1]));
        // α ≥ 0 wherever a plane can be flipped (pm1, or zero_one with the offset).
        if (o.alphabet == KcnnAlphabet::pm1 || o.has_offset())
          for (float a : f.alpha) REQUIRE(a >= 0);
      }

  for (uint32_t m = 1; m <= 4; ++m)
    for (const KcnnOptions& o : alphabet_variants(m)) {
      const std::vector<float> zero(9, 0.0f);
      std::vector<double> trace;
      const kq::KernelFit z = kq::fit_kernel(zero.data(), 9, o, &trace);
      CHECK(z.converged);
      CHECK(z.sq_error == 0);
      CHECK(z.beta == 0);
      for (float a : z.alpha) CHECK(a == 0);
      CHECK(trace == std::vector<double>{0.0});

      // Constant and two-valued kernels make planes identical or constant (B·Bᵀ singular):
      // δ keeps the solve finite, and with δ = 0 the update is skipped instead.
      for (double delta : {1e-4, 0.0}) {
        KcnnOptions od = o;
        od.ridge_delta = delta;
        const std::vector<float> flat(9, 0.25f);
        const kq::KernelFit c = kq::fit_kernel(flat.data(), 9, od);
        for (float a : c.alpha) CHECK(std::isfinite(a));
        const bool can_be_exact = o.alphabet == KcnnAlphabet::pm1 || o.has_offset();
        if (can_be_exact) CHECK(c.sq_error < 1e-10);
        const std::vector<float> two{0.5f, -0.5f, 0.5f, 0.5f, -0.5f, 0.5f, -0.5f, 0.5f, 0.5f};
        const kq::KernelFit t = kq::fit_kernel(two.data(), 9, od);
        for (float a : t.alpha) CHECK(std::isfinite(a));
        if (can_be_exact) CHECK(t.sq_error < 1e-10);
      }
    }

  KcnnOptions o;
  std::vector<float> w(9, 0.1f);
  w[4] = NAN;
  CHECK_THROWS_AS(kq::fit_kernel(w.data(), 9, o), std::invalid_argument);
  w[4] = INFINITY;
  CHECK_THROWS_AS(kq::fit_kernel(w.data(), 9, o), std::invalid_argument);
  CHECK_THROWS_AS(kq::fit_kernel(w.data(), 0, o), std::invalid_argument);
  o.planes = 0;
  w[4] = 0;
  CHECK_THROWS_AS(kq::fit_kernel(w.data(), 9, o), std::invalid_argument);
}

TEST_CASE("KCNN fit: fp16 and fixed-point scale storage errors are bounded", "[unit]") {
  kq::Rng rng(16);
  for (uint32_t m = 1; m <= 4; ++m)
    for (KcnnOptions o32 : alphabet_variants(m)) {
      KcnnOptions o16 = o32;
      o16.scale_format = KcnnScaleFormat::fp16;
      KcnnOptions ofx = o32;
      ofx.scale_format = KcnnScaleFormat::fixed;
      ofx.fixed_bits = 8;
      const double qmax = 127;
      for (int k = 0; k < 500; ++k) {
        const size_t d = 9;
        const auto w = random_kernel(rng, d, 0.05);
        const kq::KernelFit f32 = kq::fit_kernel(w.data(), d, o32);
        const kq::KernelFit f16 = kq::fit_kernel(w.data(), d, o16);
        const kq::KernelFit ffx = kq::fit_kernel(w.data(), d, ofx);
        // Both round the same double fit, so each scale moves by at most half an fp16 ulp
        // (2^-11 relative; 2^-25 absolute in the subnormal range) from the fp32 one...
        double moved = 0;
        for (uint32_t p = 0; p < m; ++p) {
          REQUIRE(kq::round_to_fp16(f16.alpha[p]) == f16.alpha[p]);
          const double dev = std::fabs(double{f16.alpha[p]} - f32.alpha[p]);
          REQUIRE(dev <= std::max(std::ldexp(std::fabs(double{f32.alpha[p]}), -11), 0x1p-24));
          moved += dev;
        }
        const double dev_beta = std::fabs(double{f16.beta} - f32.beta);
        REQUIRE(dev_beta <= std::max(std::ldexp(std::fabs(double{f32.beta}), -11), 0x1p-24));
        // ...so the error grows by at most ‖Bᵀ·Δα + Δβ‖ ≤ √d·(Σ|Δα| + |Δβ|), and the nearest
        // re-assignment can only lower it further.
        const double bound = std::sqrt(f32.sq_error) + std::sqrt(double(d)) * (moved + dev_beta);
        REQUIRE(f16.sq_error <= bound * bound * (1 + 1e-9) + 1e-18);

        // Fixed point: every scale is q·2^e with |q| ≤ 127, the largest using the top half.
        double qbig = 0;
        auto check_fixed = [&](float v) {
          const double q = std::ldexp(double{v}, -ffx.fixed_exponent);
          REQUIRE(q == std::nearbyint(q));
          REQUIRE(std::fabs(q) <= qmax);
          qbig = std::max(qbig, std::fabs(q));
        };
        for (float a : ffx.alpha) check_fixed(a);
        if (o32.has_offset()) check_fixed(ffx.beta);
        REQUIRE(qbig > qmax / 2);
        double moved_fx = 0;
        for (uint32_t p = 0; p < m; ++p) moved_fx += std::fabs(double{ffx.alpha[p]} - f32.alpha[p]);
        moved_fx += std::fabs(double{ffx.beta} - f32.beta);
        const double step = std::ldexp(1.0, ffx.fixed_exponent);
        REQUIRE(moved_fx <= (m + 1) * step * (0.5 + 1e-6) + 1e-7);
        const double bfx = std::sqrt(f32.sq_error) + std::sqrt(double(d)) * moved_fx;
        REQUIRE(ffx.sq_error <= bfx * bfx * (1 + 1e-9) + 1e-18);
      }
    }
}

TEST_CASE("KCNN layer: packing, per-kernel agreement, dequantize and bits per weight", "[unit]") {
  const kq::Tensor w = random_weight({6, 4, 3, 3}, 21);
  for (uint32_t m = 1; m <= 3; ++m)
    for (KcnnOptions o : alphabet_variants(m))
      for (KcnnScaleFormat fmt : {KcnnScaleFormat::fp32, KcnnScaleFormat::fp16}) {
        o.scale_format = fmt;
        const kq::KcnnLayerWeights q = kq::quantize_kcnn(w, 1, KcnnGranularity::kernel2d, o);
        REQUIRE(q.kernels() == 24);
        REQUIRE(q.kernel_size() == 9);
        REQUIRE(q.alpha.size() == 24 * m);
        REQUIRE(q.beta.size() == (o.has_offset() ? 24u : 0u));
        REQUIRE(q.planes.size() == (24 * m * 9 + 63) / 64);
        double sq_error = 0;
        for (uint64_t k = 0; k < 24; ++k) {
          // A layer is its kernels fitted one by one (fp32/fp16 round each scale alone).
          const kq::KernelFit f = kq::fit_kernel(w.data.data() + k * 9, 9, o);
          for (uint32_t p = 0; p < m; ++p) {
            REQUIRE(q.alpha[k * m + p] == f.alpha[p]);
            uint64_t ones = 0;
            for (uint64_t i = 0; i < 9; ++i) {
              const bool bit = (f.codes[i] >> p) & 1;
              REQUIRE(q.bit(k, p, i) == bit);
              // The documented packing: global bit (k·M + p)·9 + i, LSB first.
              const uint64_t g = (k * m + p) * 9 + i;
              REQUIRE(((q.planes[g / 64] >> (g % 64)) & 1) == bit);
              ones += bit;
            }
            REQUIRE(q.ones(k, p) == ones);
          }
          if (o.has_offset()) REQUIRE(q.beta[k] == f.beta);
          sq_error += f.sq_error;
        }
        CHECK(q.sq_error == Approx(sq_error).epsilon(1e-12));
        const kq::Tensor deq = q.dequantize();
        REQUIRE(deq.shape == w.shape);
        CHECK(kq::kcnn_weight_sqnr_db(q, w) == Approx(q.weight_sqnr_db()).margin(1e-4));
        CHECK(q.weight_sqnr_db() > 1.0 * m);  // a real fit, not noise
      }

  // methods.md §5 item 11: 3×3, M = 2: fp32 scales 2·(1 + 32/9) = 9.111, fp16 2·(1 + 16/9)
  // = 5.556 bits per weight.
  KcnnOptions o;
  kq::KcnnLayerWeights q = kq::quantize_kcnn(w, 1, KcnnGranularity::kernel2d, o);
  CHECK(q.bits_per_weight() == Approx(9.111).margin(1e-3));
  CHECK(q.storage_bits() == 24 * 2 * (9 + 32));
  o.scale_format = KcnnScaleFormat::fp16;
  q = kq::quantize_kcnn(w, 1, KcnnGranularity::kernel2d, o);
  CHECK(q.bits_per_weight() == Approx(5.556).margin(1e-3));
  // filter3d (R2): M·(1 + 16/36) with 36-weight filters; the offset adds b_α/d.
  q = kq::quantize_kcnn(w, 1, KcnnGranularity::filter3d, o);
  CHECK(q.kernels() == 6);
  CHECK(q.kernel_size() == 36);
  CHECK(q.bits_per_weight() == Approx(2.0 * (1 + 16.0 / 36)).epsilon(1e-12));
  o.alphabet = KcnnAlphabet::zero_one;
  o.offset = KcnnOffset::per_kernel;
  q = kq::quantize_kcnn(w, 1, KcnnGranularity::filter3d, o);
  CHECK(q.bits_per_weight() == Approx(2.0 * (1 + 16.0 / 36) + 16.0 / 36).epsilon(1e-12));
  CHECK(q.storage_bits() == 6 * (2 * (36 + 16) + 16));

  // Fixed point: one exponent for the whole layer, set by its largest scale.
  o = KcnnOptions{};
  o.scale_format = KcnnScaleFormat::fixed;
  o.fixed_bits = 10;
  q = kq::quantize_kcnn(w, 1, KcnnGranularity::kernel2d, o);
  const float amax = *std::max_element(q.alpha.begin(), q.alpha.end());
  CHECK(q.fixed_exponent == kq::kcnn_fixed_exponent(amax, 10));
  CHECK(std::ldexp(double{amax}, -q.fixed_exponent) > 255.5);
  for (float a : q.alpha) {
    const double qa = std::ldexp(double{a}, -q.fixed_exponent);
    REQUIRE(qa == std::nearbyint(qa));
    REQUIRE(qa <= 511);
  }
  CHECK(kq::kcnn_fixed_exponent(511.0, 10) == 0);
  CHECK(kq::kcnn_fixed_exponent(511.5, 10) == 1);
  CHECK(kq::kcnn_fixed_exponent(0.5, 10) == -9);  // 0.5·2^10 = 512 > 511, 0.5·2^9 = 256
  CHECK(kq::kcnn_fixed_exponent(0.0, 10) == 0);

  q = kq::quantize_kcnn(w, 1, KcnnGranularity::kernel2d, KcnnOptions{});
  q.sq_error = NAN;  // as imported
  CHECK_THROWS_AS(q.weight_sqnr_db(), std::logic_error);
}

TEST_CASE("KCNN layer: policy_1x1, fc layers and shape checks", "[unit]") {
  kq::Layer l;
  l.name = "pw";
  l.type = kq::LayerType::conv2d;
  l.in = {8, 4, 4};
  l.out = {6, 4, 4};
  l.kh = l.kw = 1;
  const kq::Tensor w = random_weight({6, 8, 1, 1}, 22);
  KcnnOptions o;  // M = 2 > k² = 1
  CHECK(kq::kcnn_layer_mode(l, o) == kq::KcnnLayerMode::float_kept);
  CHECK_FALSE(kq::quantize_kcnn_layer(l, w, o).has_value());
  o.policy_1x1 = kq::KcnnPolicy1x1::filter3d;
  auto q = kq::quantize_kcnn_layer(l, w, o);
  REQUIRE(q.has_value());
  CHECK(q->granularity == KcnnGranularity::filter3d);
  CHECK(q->kernels() == 6);
  CHECK(q->kernel_size() == 8);
  o.policy_1x1 = kq::KcnnPolicy1x1::bitplanes;
  q = kq::quantize_kcnn_layer(l, w, o);
  REQUIRE(q.has_value());
  CHECK(q->granularity == KcnnGranularity::kernel2d);
  CHECK(q->kernels() == 48);
  // Two ±1 planes can hit any single weight exactly (α₁ + α₂ = |w|).
  CHECK(q->sq_error < 1e-12 * q->sq_signal);
  o.planes = 1;  // k²/M = 1: not below 1, so planes even under keep_float
  o.policy_1x1 = kq::KcnnPolicy1x1::keep_float;
  CHECK(kq::kcnn_layer_mode(l, o) == kq::KcnnLayerMode::kernel2d);

  kq::Layer fc;
  fc.name = "fc";
  fc.type = kq::LayerType::fc;
  fc.in = {4, 2, 2};
  fc.out = {5, 1, 1};
  o = KcnnOptions{};
  o.policy_1x1 = kq::KcnnPolicy1x1::filter3d;
  const kq::Tensor wf = random_weight({5, 16}, 23);
  q = kq::quantize_kcnn_layer(fc, wf, o);
  REQUIRE(q.has_value());
  CHECK(q->kernel_size() == 16);
  CHECK(q->dequantize().shape == wf.shape);

  CHECK_THROWS_AS(kq::quantize_kcnn_layer(l, wf, o), std::invalid_argument);  // shape
  kq::Layer relu;
  relu.type = kq::LayerType::relu;
  CHECK_THROWS_AS(kq::kcnn_layer_mode(relu, o), std::invalid_argument);
  kq::Tensor bad = w;
  bad.data.pop_back();
  CHECK_THROWS_AS(kq::quantize_kcnn(bad, 1, KcnnGranularity::kernel2d, o), std::invalid_argument);
}

TEST_CASE("KCNN layer: quantization is deterministic to the byte", "[unit]") {
  const kq::Tensor w = random_weight({16, 8, 3, 3}, 24);
  for (KcnnOptions o : alphabet_variants(3)) {
    o.scale_format = KcnnScaleFormat::fp16;
    const auto a = kq::quantize_kcnn(w, 1, KcnnGranularity::kernel2d, o);
    const auto b = kq::quantize_kcnn(w, 1, KcnnGranularity::kernel2d, o);
    REQUIRE(a.planes.size() == b.planes.size());
    CHECK(std::memcmp(a.planes.data(), b.planes.data(), a.planes.size() * 8) == 0);
    CHECK(std::memcmp(a.alpha.data(), b.alpha.data(), a.alpha.size() * 4) == 0);
    CHECK(a.beta.size() == b.beta.size());
    if (!a.beta.empty()) CHECK(std::memcmp(a.beta.data(), b.beta.data(), a.beta.size() * 4) == 0);
    CHECK(a.sq_error == b.sq_error);
    // And a different tensor gives different bits (the comparison above can fail).
    const auto c =
        kq::quantize_kcnn(random_weight({16, 8, 3, 3}, 25), 1, KcnnGranularity::kernel2d, o);
    CHECK(std::memcmp(a.alpha.data(), c.alpha.data(), a.alpha.size() * 4) != 0);
  }
}

// Not a unit test: the speed target of the quantizer (all ResNet-50 conv weights, M = 4,
// T = 10, one core, < 5 s). Run with: kqsim_unit_tests "[.kcnn_bench]" -s
TEST_CASE("KCNN bench: quantize every ResNet-50 conv layer", "[.kcnn_bench]") {
  const kq::Workload wl =
      kq::load_workload(std::string(KQSIM_SOURCE_DIR) + "/workloads/resnet50.json");
  const kq::NetworkParams params = kq::synthetic_params(wl, 1);
  for (kq::KcnnPolicy1x1 policy :
       {kq::KcnnPolicy1x1::bitplanes, kq::KcnnPolicy1x1::keep_float, kq::KcnnPolicy1x1::filter3d}) {
    KcnnOptions o;
    o.planes = 4;
    o.policy_1x1 = policy;
    uint64_t weights = 0, quantized = 0;
    double err = 0, sig = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < wl.layers.size(); ++i) {
      const kq::Layer& l = wl.layers[i];
      if (l.type != kq::LayerType::conv2d) continue;
      weights += l.weight_params();
      const auto q = kq::quantize_kcnn_layer(l, params.layers[i].weight, o);
      if (!q) continue;
      quantized += l.weight_params();
      err += q->sq_error;
      sig += q->sq_signal;
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    WARN("ResNet-50 conv, M = 4, T = 10, policy_1x1 "
         << kq::to_string(policy) << ": " << quantized << " of " << weights << " weights in " << s
         << " s, SQNR " << 10 * std::log10(sig / err) << " dB");
    CHECK(weights > 23000000);
    CHECK(10 * std::log10(sig / err) > 15);
  }
}
