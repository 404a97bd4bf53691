#include <vector>

#include "models/common/float_formats.hpp"
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
/// All-fp32 datapath: plain float arithmetic (ISO C++17 does not contract into FMA), so the
/// per-element format switch stays out of the inner loops.
struct Fp32Ops {
  float sum(float a, float b) const { return a + b; }
  float product(float a, float b) const { return a * b; }
  float accumulate(float a, float b) const { return a + b; }
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

}  // namespace

void kcnn_fold(ArrayOperands& ops, const Step& step) {
  KcnnOperands& k = ops.kcnn;
  if (!k.active) {
    // A layer kept in float: a MAC fold over the channel slice's windows (GEMM rows).
    Step gemm = step;
    gemm.r0 = step.r0 * k.window;
    gemm.r_len = step.r_len * k.window;
    mac_fold(ops, gemm, Dataflow::ws);
    return;
  }
  if (ops.integer)
    fold<int32_t>(IntOps{}, k, ops.p, ops.k, ops.n, ops.xi.data(), ops.acci.data(), k.seli,
                  k.alphai, k.betai, k.sidei, k.plane_acci, k.window_acci, step);
  else if (k.adder_format == NumFormat::fp32 && ops.mult_format == NumFormat::fp32 &&
           ops.acc_format == NumFormat::fp32)
    fold<float>(Fp32Ops{}, k, ops.p, ops.k, ops.n, ops.xf.data(), ops.accf.data(), k.self, k.alphaf,
                k.betaf, k.sidef, k.plane_accf, k.window_accf, step);
  else
    fold<float>(FloatOps{k.adder_format, ops.mult_format, ops.acc_format}, k, ops.p, ops.k, ops.n,
                ops.xf.data(), ops.accf.data(), k.self, k.alphaf, k.betaf, k.sidef, k.plane_accf,
                k.window_accf, step);
}

}  // namespace kq
