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

/// Output pixels [p, p + PB) × filters [n, n + NV·lanes): their M plane sums of every channel
/// of the fold (adder format), each scaled by its α (multiplier format) and accumulated
/// (accumulator format) in ascending channel and plane order. Lanes are filters and each
/// lane does the scalar datapath's own sequence of operations; the PB pixels are independent
/// chains that keep the adders' pipeline busy.
template <typename V, uint64_t NV, uint64_t PB, typename Ops, typename T>
KQ_LANES_INLINE void column_block(const Fold<T>& f, uint64_t p, uint64_t n) {
  constexpr uint64_t lanes = sizeof(V) / sizeof(T);
  const KcnnOperands& k = *f.k;
  const Step& s = *f.s;
  const uint64_t m_dim = k.planes, win = k.window, nd = f.n_dim;
  const bool need_t = k.sharing || f.beta;
  V a[PB][NV];
  for (uint64_t i = 0; i < PB; ++i)
    for (uint64_t v = 0; v < NV; ++v) lanes::load(a[i][v], f.acc + (p + i) * nd + n + v * lanes);
  for (uint64_t c = s.r0; c < s.r0 + s.r_len; ++c) {
    const T* xw[PB];
    T t[PB];
    for (uint64_t i = 0; i < PB; ++i) {
      xw[i] = f.x + (p + i) * f.k_dim + c * win;
      t[i] = need_t ? window_sum<Ops>(xw[i], win) : T{};
    }
    for (uint64_t m = 0; m < m_dim; ++m) {
      V sums[PB][NV];
      for (uint64_t i = 0; i < PB; ++i)
        for (uint64_t v = 0; v < NV; ++v) lanes::broadcast(sums[i][v], T{});
      const T* sel_cm = f.sel + ((f.g * f.c_dim + c) * m_dim + m) * win * nd + n;
      for (uint64_t j = 0; j < win; ++j) {
        V sj[NV];
        for (uint64_t v = 0; v < NV; ++v) lanes::load(sj[v], sel_cm + j * nd + v * lanes);
#pragma GCC unroll 8
        for (uint64_t i = 0; i < PB; ++i) {
          V xv;
          lanes::broadcast(xv, xw[i][j]);
          // A ±1 or 0/1 factor is exact: this is the add/sub (or masked add) of the plane.
          for (uint64_t v = 0; v < NV; ++v) Ops::sum(sums[i][v], sums[i][v], sj[v] * xv);
        }
      }
      const uint64_t cm = ((f.g * f.c_dim + c) * m_dim + m) * nd + n;
      for (uint64_t i = 0; i < PB; ++i) {
        if (k.sharing && !k.filter3d) {  // ±(2·Σ_side − T): doubling and sign are exact
          V minus_t;
          lanes::broadcast(minus_t, static_cast<T>(-t[i]));
          for (uint64_t v = 0; v < NV; ++v) {
            V sd, d;
            lanes::load(sd, f.side + cm + v * lanes);
            Ops::sum(d, sums[i][v] + sums[i][v], minus_t);
            sums[i][v] = sd * d;
          }
        }
        if (k.filter3d) {
          T* pa = f.plane_acc + ((f.g * f.p_dim + p + i) * m_dim + m) * nd + n;
          for (uint64_t v = 0; v < NV; ++v) {
            V q;
            lanes::load(q, pa + v * lanes);
            Ops::sum(q, q, sums[i][v]);
            lanes::store(pa + v * lanes, q);
          }
        } else {
          for (uint64_t v = 0; v < NV; ++v) {
            V al, prod;
            lanes::load(al, f.alpha + cm + v * lanes);
            Ops::product(prod, al, sums[i][v]);
            Ops::accumulate(a[i][v], a[i][v], prod);
          }
        }
      }
    }
    for (uint64_t i = 0; i < PB; ++i) {
      if (k.filter3d && need_t) {
        // The window sums are shared by every filter: accumulate them in the first filter
        // fold only (filter folds are the outer loop, so they are complete after it), and
        // once per pixel (by its first column block).
        T& wa = f.window_acc[f.g * f.p_dim + p + i];
        if (s.c0 == 0 && n == s.c0) Ops::sum(wa, wa, t[i]);
      } else if (f.beta) {
        V tv;
        lanes::broadcast(tv, t[i]);
        for (uint64_t v = 0; v < NV; ++v) {
          V be, prod;
          lanes::load(be, f.beta + (f.g * f.c_dim + c) * nd + n + v * lanes);
          Ops::product(prod, be, tv);
          Ops::accumulate(a[i][v], a[i][v], prod);
        }
      }
    }
  }
  if (k.filter3d && s.last_pass) {
    // Filter-wise scales apply once the plane sums cover every channel.
    for (uint64_t i = 0; i < PB; ++i) {
      const T t_all = need_t ? f.window_acc[f.g * f.p_dim + p + i] : T{};
      V tv, minus_t;
      lanes::broadcast(tv, t_all);
      lanes::broadcast(minus_t, static_cast<T>(-t_all));
      for (uint64_t m = 0; m < m_dim; ++m) {
        const T* pa = f.plane_acc + ((f.g * f.p_dim + p + i) * m_dim + m) * nd + n;
        const uint64_t gm = (f.g * m_dim + m) * nd + n;
        for (uint64_t v = 0; v < NV; ++v) {
          V plane, al, prod;
          lanes::load(plane, pa + v * lanes);
          lanes::load(al, f.alpha + gm + v * lanes);
          if (k.sharing) {
            // Sharing combines the whole filter's minority-side sum with T once, here.
            V sd, d;
            lanes::load(sd, f.side + gm + v * lanes);
            Ops::sum(d, plane + plane, minus_t);
            plane = sd * d;
          }
          Ops::product(prod, al, plane);
          Ops::accumulate(a[i][v], a[i][v], prod);
        }
      }
      if (f.beta)
        for (uint64_t v = 0; v < NV; ++v) {
          V be, prod;
          lanes::load(be, f.beta + f.g * nd + n + v * lanes);
          Ops::product(prod, be, tv);
          Ops::accumulate(a[i][v], a[i][v], prod);
        }
    }
  }
  for (uint64_t i = 0; i < PB; ++i)
    for (uint64_t v = 0; v < NV; ++v) lanes::store(f.acc + (p + i) * nd + n + v * lanes, a[i][v]);
}

/// Filters [n, n + NV·lanes) of every pixel of the fold: PB pixels at a time, the rest one by
/// one.
template <typename V, uint64_t NV, uint64_t PB, typename Ops, typename T>
KQ_LANES_INLINE void pixel_blocks(const Fold<T>& f, uint64_t n) {
  const Step& s = *f.s;
  uint64_t p = s.t0;
  for (; p + PB <= s.t0 + s.t_len; p += PB) column_block<V, NV, PB, Ops>(f, p, n);
  for (; p < s.t0 + s.t_len; ++p) column_block<V, NV, 1, Ops>(f, p, n);
}

/// Every pixel of the fold; its filters in blocks of 16 (two vectors), 8, then one by one.
template <typename V, uint64_t PB, typename Ops, typename T>
KQ_LANES_INLINE void fold_body(const Fold<T>& f) {
  constexpr uint64_t lanes = sizeof(V) / sizeof(T);
  const Step& s = *f.s;
  const uint64_t n1 = s.c0 + s.c_len;
  uint64_t n = s.c0;
  for (; n + 2 * lanes <= n1; n += 2 * lanes) pixel_blocks<V, 2, PB, Ops>(f, n);
  for (; n + lanes <= n1; n += lanes) pixel_blocks<V, 1, PB, Ops>(f, n);
  for (; n < n1; ++n) pixel_blocks<T, 1, PB, Ops>(f, n);
}

#ifdef KQ_LANES_VECTORS
// Baseline x86-64 splits an 8-lane vector into two SSE registers: 2 pixels; AVX2: 4.
template <typename Ops, typename T>
void fold_base(const Fold<T>& f) {
  fold_body<typename lanes::Vec8<T>::type, 2, Ops>(f);
}
#ifdef KQ_LANES_AVX2_CLONE
template <typename Ops, typename T>
__attribute__((target("avx2"))) void fold_avx2(const Fold<T>& f) {
  fold_body<typename lanes::Vec8<T>::type, 4, Ops>(f);
}
#endif
#else
template <typename Ops, typename T>
void fold_base(const Fold<T>& f) {
  fold_body<T, 4, Ops>(f);
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
