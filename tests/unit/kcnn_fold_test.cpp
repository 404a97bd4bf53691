// The KCNN fold kernel runs filters in vector lanes; every accumulator must still be, bit for
// bit, the datapath's sequence of operations per filter: the plain per-filter loops below
// (the kernel as first written), over every option the kernel has.
#include <catch2/catch.hpp>
#include <cstring>

#include "models/common/float_formats.hpp"
#include "models/workload/synthetic.hpp"
#include "sim/datapath/array_operands.hpp"

namespace kq {
namespace {

/// Wrapping int32 arithmetic, as the integer adders and multipliers do.
inline int32_t wadd(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}
inline int32_t wmul(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) * static_cast<uint32_t>(b));
}

/// Float or integer number system of one fold, with the rounding of each operation.
struct FloatOps {
  NumFormat add, mul, acc;
  float sum(float a, float b) const { return round_to(add, a + b); }
  float product(float a, float b) const { return round_to(mul, a * b); }
  float accumulate(float a, float b) const { return round_to(acc, a + b); }
};
struct IntOps {
  int32_t sum(int32_t a, int32_t b) const { return wadd(a, b); }
  int32_t product(int32_t a, int32_t b) const { return wmul(a, b); }
  int32_t accumulate(int32_t a, int32_t b) const { return wadd(a, b); }
};

template <typename T, typename Ops>
void fold(const Ops& op, const KcnnOperands& k, uint64_t p_dim, uint64_t k_dim, uint64_t n_dim,
          const T* x_all, T* acc_all, const std::vector<T>& sel, const std::vector<T>& alpha,
          const std::vector<T>& beta, const std::vector<T>& side, std::vector<T>& plane_acc,
          std::vector<T>& window_acc, const Step& s) {
  const uint64_t g = s.group, m_dim = k.planes, win = k.window;
  const uint64_t c_dim = k_dim / win;
  const T* x = x_all + g * p_dim * k_dim;
  T* acc = acc_all + g * p_dim * n_dim;
  const uint64_t n0 = s.c0, n1 = s.c0 + s.c_len;
  const bool need_t = k.sharing || !beta.empty();
  std::vector<T> sums(n_dim);
  for (uint64_t p = s.t0; p < s.t0 + s.t_len; ++p) {
    T* a = acc + p * n_dim;
    for (uint64_t c = s.r0; c < s.r0 + s.r_len; ++c) {
      const T* xw = x + p * k_dim + c * win;
      T t{};
      if (need_t)
        for (uint64_t j = 0; j < win; ++j) t = op.sum(t, xw[j]);
      for (uint64_t m = 0; m < m_dim; ++m) {
        for (uint64_t n = n0; n < n1; ++n) sums[n] = T{};
        const T* sel_cm = sel.data() + ((g * c_dim + c) * m_dim + m) * win * n_dim;
        for (uint64_t j = 0; j < win; ++j) {
          const T xv = xw[j];
          const T* sj = sel_cm + j * n_dim;
          // A ±1 or 0/1 factor is exact: this is the add/sub (or masked add) of the plane.
          for (uint64_t n = n0; n < n1; ++n) sums[n] = op.sum(sums[n], sj[n] * xv);
        }
        if (k.sharing && !k.filter3d) {  // ±(2·Σ_side − T): doubling and sign are exact
          const T* sd = side.data() + ((g * c_dim + c) * m_dim + m) * n_dim;
          for (uint64_t n = n0; n < n1; ++n) sums[n] = sd[n] * op.sum(sums[n] + sums[n], -t);
        }
        if (k.filter3d) {
          T* pa = plane_acc.data() + ((g * p_dim + p) * m_dim + m) * n_dim;
          for (uint64_t n = n0; n < n1; ++n) pa[n] = op.sum(pa[n], sums[n]);
        } else {
          const T* al = alpha.data() + ((g * c_dim + c) * m_dim + m) * n_dim;
          for (uint64_t n = n0; n < n1; ++n) a[n] = op.accumulate(a[n], op.product(al[n], sums[n]));
        }
      }
      if (k.filter3d && need_t) {
        // The window sums are shared by every filter: accumulate them in the first filter
        // fold only (filter folds are the outer loop, so they are complete after it).
        if (s.c0 == 0) window_acc[g * p_dim + p] = op.sum(window_acc[g * p_dim + p], t);
      } else if (!beta.empty()) {
        const T* be = beta.data() + (g * c_dim + c) * n_dim;
        for (uint64_t n = n0; n < n1; ++n) a[n] = op.accumulate(a[n], op.product(be[n], t));
      }
    }
    if (k.filter3d && s.last_pass) {
      // Filter-wise scales apply once the plane sums cover every channel.
      const T t_all = need_t ? window_acc[g * p_dim + p] : T{};
      for (uint64_t m = 0; m < m_dim; ++m) {
        const T* pa = plane_acc.data() + ((g * p_dim + p) * m_dim + m) * n_dim;
        const T* al = alpha.data() + (g * m_dim + m) * n_dim;
        const T* sd = side.empty() ? nullptr : side.data() + (g * m_dim + m) * n_dim;
        for (uint64_t n = n0; n < n1; ++n) {
          // Sharing combines the whole filter's minority-side sum with T once, here.
          const T plane = k.sharing ? sd[n] * op.sum(pa[n] + pa[n], -t_all) : pa[n];
          a[n] = op.accumulate(a[n], op.product(al[n], plane));
        }
      }
      if (!beta.empty()) {
        const T* be = beta.data() + g * n_dim;
        for (uint64_t n = n0; n < n1; ++n) a[n] = op.accumulate(a[n], op.product(be[n], t_all));
      }
    }
  }
}

void plain_kcnn_fold(ArrayOperands& ops, const Step& step) {
  KcnnOperands& k = ops.kcnn;
  if (ops.integer)
    fold<int32_t>(IntOps{}, k, ops.p, ops.k, ops.n, ops.xi.data(), ops.acci.data(), k.seli,
                  k.alphai, k.betai, k.sidei, k.plane_acci, k.window_acci, step);
  else
    fold<float>(FloatOps{k.adder_format, ops.mult_format, ops.acc_format}, k, ops.p, ops.k, ops.n,
                ops.xf.data(), ops.accf.data(), k.self, k.alphaf, k.betaf, k.sidef, k.plane_accf,
                k.window_accf, step);
}

struct Variant {
  bool integer, filter3d, signed_planes, sharing, beta;
  uint64_t planes;
  NumFormat add, mul, acc;
};

ArrayOperands operands(const Variant& v, uint64_t seed) {
  const uint64_t groups = 2, p = 7, cg = 5, win = 9, n = 29, m = v.planes;
  ArrayOperands o;
  o.integer = v.integer;
  o.groups = groups, o.p = p, o.k = cg * win, o.n = n;
  o.mult_format = v.mul, o.acc_format = v.acc;
  KcnnOperands& k = o.kcnn;
  k.active = true;
  k.filter3d = v.filter3d, k.signed_planes = v.signed_planes, k.sharing = v.sharing;
  k.planes = m, k.window = win, k.adder_format = v.add;
  Rng r(seed);
  auto f = [&](double scale) {
    return round_to_fp16(static_cast<float>((r.uniform() - 0.5) * scale));
  };
  auto c = [&](int range) { return static_cast<int32_t>(r.next_u64() % (2 * range + 1)) - range; };
  const uint64_t scales = v.filter3d ? groups * m * n : groups * cg * m * n;
  const uint64_t betas = !v.beta ? 0 : v.filter3d ? groups * n : groups * cg * n;
  for (uint64_t i = 0; i < groups * p * o.k; ++i)
    v.integer ? o.xi.push_back(c(127)) : o.xf.push_back(f(8));
  for (uint64_t i = 0; i < groups * p * n; ++i)
    v.integer ? o.acci.push_back(c(1000)) : o.accf.push_back(f(4));
  for (uint64_t i = 0; i < groups * cg * m * win * n; ++i) {
    const int bit = static_cast<int>(r.next_u64() & 1);
    const int s = v.signed_planes ? (bit ? 1 : -1) : bit;
    v.integer ? k.seli.push_back(s) : k.self.push_back(static_cast<float>(s));
  }
  for (uint64_t i = 0; i < scales; ++i)
    v.integer ? k.alphai.push_back(c(300)) : k.alphaf.push_back(f(2));
  for (uint64_t i = 0; i < betas; ++i)
    v.integer ? k.betai.push_back(c(300)) : k.betaf.push_back(f(2));
  if (v.sharing)
    for (uint64_t i = 0; i < scales; ++i) {
      const int s = (r.next_u64() & 1) ? 1 : -1;
      v.integer ? k.sidei.push_back(s) : k.sidef.push_back(static_cast<float>(s));
    }
  if (v.filter3d) {
    if (v.integer)
      k.plane_acci.assign(groups * p * m * n, 0), k.window_acci.assign(groups * p, 0);
    else
      k.plane_accf.assign(groups * p * m * n, 0.0f), k.window_accf.assign(groups * p, 0.0f);
  }
  return o;
}

}  // namespace
}  // namespace kq

TEST_CASE("the vectorised KCNN fold equals the per-filter datapath bit for bit", "[unit]") {
  using kq::NumFormat;
  const bool wide = GENERATE(true, false);
  kq::detail::set_fold_wide_simd(wide);
  const NumFormat h = NumFormat::fp16, b = NumFormat::bf16, s = NumFormat::fp32;
  // integer, filter3d, signed planes, sharing, beta, planes, adder, multiplier, accumulator
  const std::vector<kq::Variant> variants = {{false, false, true, false, false, 2, h, h, s},
                                             {false, false, false, true, false, 3, s, s, s},
                                             {false, false, false, false, true, 2, b, h, s},
                                             {false, true, true, false, true, 2, h, h, s},
                                             {false, true, false, true, false, 3, h, h, h},
                                             {false, false, true, false, true, 4, h, b, b},
                                             {true, false, true, false, true, 2, s, s, s},
                                             {true, true, false, true, true, 3, s, s, s},
                                             {true, false, false, true, false, 2, s, s, s}};
  for (size_t vi = 0; vi < variants.size(); ++vi) {
    INFO("variant " << vi << " wide " << wide);
    kq::ArrayOperands a = kq::operands(variants[vi], 100 + vi);
    kq::ArrayOperands ref = a;
    // The ws fold order: per group, filter folds, pixel chunks, then channel folds.
    for (uint32_t g = 0; g < 2; ++g)
      for (const auto& cols : std::vector<std::pair<uint64_t, uint64_t>>{{0, 16}, {16, 13}})
        for (const auto& pix : std::vector<std::pair<uint64_t, uint64_t>>{{0, 4}, {4, 3}})
          for (const auto& ch : std::vector<std::pair<uint64_t, uint64_t>>{{0, 3}, {3, 2}}) {
            kq::Step st;
            st.group = g;
            st.c0 = cols.first, st.c_len = cols.second;
            st.t0 = pix.first, st.t_len = pix.second;
            st.r0 = ch.first, st.r_len = ch.second;
            st.first_pass = ch.first == 0;
            st.last_pass = ch.first == 3;
            kq::kcnn_fold(a, st);
            kq::plain_kcnn_fold(ref, st);
          }
    if (a.integer) {
      CHECK(a.acci == ref.acci);
    } else {
      REQUIRE(a.accf.size() == ref.accf.size());
      CHECK(std::memcmp(a.accf.data(), ref.accf.data(), a.accf.size() * sizeof(float)) == 0);
    }
  }
  kq::detail::set_fold_wide_simd(true);
}
