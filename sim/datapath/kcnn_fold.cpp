#include <vector>

#include "models/common/float_formats.hpp"
#include "sim/datapath/array_operands.hpp"
#include "sim/datapath/lanes.hpp"

namespace kq {
namespace {

/// The number system of one fold: float formats known at compile time, each operation
/// rounded to its unit's format (lane by lane, sim/datapath/lanes.hpp), or wrapping int32
/// (uint32 lanes: two's-complement adders and multipliers without signed-overflow UB).
template <NumFormat Add, NumFormat Mul, NumFormat Acc>
struct FloatOps {
  using T = float;
  /// r = a + b (adder), r = a·b (multiplier), r = a + b (accumulator); by reference:
  /// returning a vector wider than the target's registers would change the ABI.
  template <typename V>
  static KQ_LANES_INLINE void sum(V& r, const V& a, const V& b) {
    r = a + b;
    lanes::round<Add>(r);
  }
  template <typename V>
  static KQ_LANES_INLINE void product(V& r, const V& a, const V& b) {
    r = a * b;
    lanes::round<Mul>(r);
  }
  template <typename V>
  static KQ_LANES_INLINE void accumulate(V& r, const V& a, const V& b) {
    r = a + b;
    lanes::round<Acc>(r);
  }
};
struct IntOps {
  using T = uint32_t;
  template <typename V>
  static KQ_LANES_INLINE void sum(V& r, const V& a, const V& b) {
    r = a + b;
  }
  template <typename V>
  static KQ_LANES_INLINE void product(V& r, const V& a, const V& b) {
    r = a * b;
  }
  template <typename V>
  static KQ_LANES_INLINE void accumulate(V& r, const V& a, const V& b) {
    r = a + b;
  }
};

/// One fold's operands in the lane type T (float, or int32 viewed as uint32).
template <typename T>
struct Fold {
  const KcnnOperands* k;
  uint64_t p_dim, k_dim, n_dim, c_dim, g;
  const T* x;  ///< [p][k] of the group
  T* acc;      ///< [p][n] of the group
  const T *sel, *alpha, *beta, *side;
  T *plane_acc, *window_acc;
  const Step* s;
};

/// Σ_j x_j over a window in the adder format, for the offset β·T and for sharing's 2·Σ₊ − T.
template <typename Ops, typename T>
KQ_LANES_INLINE T window_sum(const T* xw, uint64_t win) {
  T t{};
  for (uint64_t j = 0; j < win; ++j) Ops::sum(t, t, xw[j]);
  return t;
}

/// Output pixel p × filters [n, n + NV·lanes): its M plane sums of every channel of the fold
/// (adder format), each scaled by its α (multiplier format) and accumulated (accumulator
/// format) in ascending channel and plane order; lanes are filters, each lane the scalar
/// datapath's own sequence of operations.
template <typename V, uint64_t NV, typename Ops, typename T>
KQ_LANES_INLINE void column_block(const Fold<T>& f, uint64_t p, uint64_t n) {
  constexpr uint64_t lanes = sizeof(V) / sizeof(T);
  const KcnnOperands& k = *f.k;
  const Step& s = *f.s;
  const uint64_t m_dim = k.planes, win = k.window, nd = f.n_dim;
  const bool need_t = k.sharing || f.beta;
  V a[NV];
  for (uint64_t v = 0; v < NV; ++v) lanes::load(a[v], f.acc + p * nd + n + v * lanes);
  for (uint64_t c = s.r0; c < s.r0 + s.r_len; ++c) {
    const T* xw = f.x + p * f.k_dim + c * win;
    const T t = need_t ? window_sum<Ops>(xw, win) : T{};
    for (uint64_t m = 0; m < m_dim; ++m) {
      V sums[NV];
      for (uint64_t v = 0; v < NV; ++v) lanes::broadcast(sums[v], T{});
      const T* sel_cm = f.sel + ((f.g * f.c_dim + c) * m_dim + m) * win * nd + n;
      for (uint64_t j = 0; j < win; ++j) {
        V xv;
        lanes::broadcast(xv, xw[j]);
        // A ±1 or 0/1 factor is exact: this is the add/sub (or masked add) of the plane.
        for (uint64_t v = 0; v < NV; ++v) {
          V sj;
          lanes::load(sj, sel_cm + j * nd + v * lanes);
          Ops::sum(sums[v], sums[v], sj * xv);
        }
      }
      const uint64_t cm = ((f.g * f.c_dim + c) * m_dim + m) * nd + n;
      if (k.sharing && !k.filter3d) {  // ±(2·Σ_side − T): doubling and sign are exact
        V minus_t;
        lanes::broadcast(minus_t, static_cast<T>(-t));
        for (uint64_t v = 0; v < NV; ++v) {
          V sd;
          lanes::load(sd, f.side + cm + v * lanes);
          V d;
          Ops::sum(d, sums[v] + sums[v], minus_t);
          sums[v] = sd * d;
        }
      }
      if (k.filter3d) {
        T* pa = f.plane_acc + ((f.g * f.p_dim + p) * m_dim + m) * nd + n;
        for (uint64_t v = 0; v < NV; ++v) {
          V q;
          lanes::load(q, pa + v * lanes);
          Ops::sum(q, q, sums[v]);
          lanes::store(pa + v * lanes, q);
        }
      } else {
        for (uint64_t v = 0; v < NV; ++v) {
          V al;
          lanes::load(al, f.alpha + cm + v * lanes);
          V prod;
          Ops::product(prod, al, sums[v]);
          Ops::accumulate(a[v], a[v], prod);
        }
      }
    }
    if (k.filter3d && need_t) {
      // The window sums are shared by every filter: accumulate them in the first filter
      // fold only (filter folds are the outer loop, so they are complete after it), and
      // once per pixel (by its first column block).
      if (s.c0 == 0 && n == s.c0)
        Ops::sum(f.window_acc[f.g * f.p_dim + p], f.window_acc[f.g * f.p_dim + p], t);
    } else if (f.beta) {
      V tv;
      lanes::broadcast(tv, t);
      for (uint64_t v = 0; v < NV; ++v) {
        V be;
        lanes::load(be, f.beta + (f.g * f.c_dim + c) * nd + n + v * lanes);
        V prod;
        Ops::product(prod, be, tv);
        Ops::accumulate(a[v], a[v], prod);
      }
    }
  }
  if (k.filter3d && s.last_pass) {
    // Filter-wise scales apply once the plane sums cover every channel.
    const T t_all = need_t ? f.window_acc[f.g * f.p_dim + p] : T{};
    V tv, minus_t;
    lanes::broadcast(tv, t_all);
    lanes::broadcast(minus_t, static_cast<T>(-t_all));
    for (uint64_t m = 0; m < m_dim; ++m) {
      const T* pa = f.plane_acc + ((f.g * f.p_dim + p) * m_dim + m) * nd + n;
      const uint64_t gm = (f.g * m_dim + m) * nd + n;
      for (uint64_t v = 0; v < NV; ++v) {
        V plane, al;
        lanes::load(plane, pa + v * lanes);
        lanes::load(al, f.alpha + gm + v * lanes);
        if (k.sharing) {
          // Sharing combines the whole filter's minority-side sum with T once, here.
          V sd;
          lanes::load(sd, f.side + gm + v * lanes);
          V d;
          Ops::sum(d, plane + plane, minus_t);
          plane = sd * d;
        }
        V prod;
        Ops::product(prod, al, plane);
        Ops::accumulate(a[v], a[v], prod);
      }
    }
    if (f.beta)
      for (uint64_t v = 0; v < NV; ++v) {
        V be;
        lanes::load(be, f.beta + f.g * nd + n + v * lanes);
        V prod;
        Ops::product(prod, be, tv);
        Ops::accumulate(a[v], a[v], prod);
      }
  }
  for (uint64_t v = 0; v < NV; ++v) lanes::store(f.acc + p * nd + n + v * lanes, a[v]);
}

/// Every pixel of the fold; its filters in blocks of 16 (two vectors), 8, then one by one.
template <typename V, typename Ops, typename T>
KQ_LANES_INLINE void fold_body(const Fold<T>& f) {
  constexpr uint64_t lanes = sizeof(V) / sizeof(T);
  const Step& s = *f.s;
  const uint64_t n1 = s.c0 + s.c_len;
  for (uint64_t p = s.t0; p < s.t0 + s.t_len; ++p) {
    uint64_t n = s.c0;
    for (; n + 2 * lanes <= n1; n += 2 * lanes) column_block<V, 2, Ops>(f, p, n);
    for (; n + lanes <= n1; n += lanes) column_block<V, 1, Ops>(f, p, n);
    for (; n < n1; ++n) column_block<T, 1, Ops>(f, p, n);
  }
}

#ifdef KQ_LANES_VECTORS
template <typename Ops, typename T>
void fold_base(const Fold<T>& f) {
  fold_body<typename lanes::Vec8<T>::type, Ops>(f);
}
#ifdef KQ_LANES_AVX2_CLONE
template <typename Ops, typename T>
__attribute__((target("avx2"))) void fold_avx2(const Fold<T>& f) {
  fold_body<typename lanes::Vec8<T>::type, Ops>(f);
}
#endif
#else
template <typename Ops, typename T>
void fold_base(const Fold<T>& f) {
  fold_body<T, Ops>(f);
}
#endif

template <typename Ops, typename T>
void run(const Fold<T>& f) {
#ifdef KQ_LANES_AVX2_CLONE
  if (detail::fold_wide_simd()) return fold_avx2<Ops>(f);
#endif
  fold_base<Ops>(f);
}

template <typename T>
const T* data_or_null(const std::vector<T>& v) {
  return v.empty() ? nullptr : v.data();
}

template <typename T, typename S>
Fold<T> make_fold(const ArrayOperands& o, const Step& step, const S* x, S* acc,
                  const std::vector<S>& sel, const std::vector<S>& alpha,
                  const std::vector<S>& beta, const std::vector<S>& side, std::vector<S>& plane_acc,
                  std::vector<S>& window_acc) {
  static_assert(sizeof(T) == sizeof(S), "int32 operands viewed as uint32 lanes");
  const KcnnOperands& k = o.kcnn;
  const uint64_t g = step.group;
  auto c = [](const S* p) { return reinterpret_cast<const T*>(p); };
  return {&k,
          o.p,
          o.k,
          o.n,
          o.k / k.window,
          g,
          c(x + g * o.p * o.k),
          reinterpret_cast<T*>(acc + g * o.p * o.n),
          c(sel.data()),
          c(data_or_null(alpha)),
          c(data_or_null(beta)),
          c(data_or_null(side)),
          reinterpret_cast<T*>(plane_acc.empty() ? nullptr : plane_acc.data()),
          reinterpret_cast<T*>(window_acc.empty() ? nullptr : window_acc.data()),
          &step};
}

/// The float datapath with its three formats as template arguments.
template <NumFormat Add, NumFormat Mul>
void run_float_acc(NumFormat acc, const Fold<float>& f) {
  switch (acc) {
    case NumFormat::fp16:
      return run<FloatOps<Add, Mul, NumFormat::fp16>>(f);
    case NumFormat::bf16:
      return run<FloatOps<Add, Mul, NumFormat::bf16>>(f);
    default:
      return run<FloatOps<Add, Mul, NumFormat::fp32>>(f);
  }
}
template <NumFormat Add>
void run_float_mul(NumFormat mul, NumFormat acc, const Fold<float>& f) {
  switch (mul) {
    case NumFormat::fp16:
      return run_float_acc<Add, NumFormat::fp16>(acc, f);
    case NumFormat::bf16:
      return run_float_acc<Add, NumFormat::bf16>(acc, f);
    default:
      return run_float_acc<Add, NumFormat::fp32>(acc, f);
  }
}
void run_float(NumFormat add, NumFormat mul, NumFormat acc, const Fold<float>& f) {
  switch (add) {
    case NumFormat::fp16:
      return run_float_mul<NumFormat::fp16>(mul, acc, f);
    case NumFormat::bf16:
      return run_float_mul<NumFormat::bf16>(mul, acc, f);
    default:
      return run_float_mul<NumFormat::fp32>(mul, acc, f);
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
    run<IntOps>(make_fold<uint32_t>(ops, step, ops.xi.data(), ops.acci.data(), k.seli, k.alphai,
                                    k.betai, k.sidei, k.plane_acci, k.window_acci));
  else
    run_float(k.adder_format, ops.mult_format, ops.acc_format,
              make_fold<float>(ops, step, ops.xf.data(), ops.accf.data(), k.self, k.alphaf, k.betaf,
                               k.sidef, k.plane_accf, k.window_accf));
}

}  // namespace kq
