#include "models/common/float_formats.hpp"
#include "sim/datapath/array_operands.hpp"

namespace kq {
namespace {

template <typename T, typename Sum, typename Mul>
void reuse_fold(ArrayOperands& o, const Step& s, const std::vector<T>& codebook,
                std::vector<T>& table, const T* x_all, T* acc_all, Sum sum, Mul mul) {
  KqReuseOperands& r = o.kq_reuse;
  const uint64_t g = s.group, win = r.window, cg = o.k / win, k_dim = r.codewords;
  const T* x = x_all + g * o.p * o.k;
  if (s.first_pass && s.c0 == 0) table.assign(s.t_len * cg * k_dim, T{});  // a new chunk
  for (uint64_t p = s.t0; p < s.t0 + s.t_len; ++p)
    for (uint64_t c = 0; c < cg; ++c) {
      const T* xw = x + p * o.k + c * win;
      T* row = table.data() + ((p - s.t0) * cg + c) * k_dim;
      for (uint64_t j = s.c0; j < s.c0 + s.c_len; ++j) {
        const T* cw = codebook.data() + j * win;
        T acc = row[j];
        for (uint64_t i = s.r0; i < s.r0 + s.r_len; ++i) acc = sum(acc, mul(cw[i], xw[i]));
        row[j] = acc;
      }
    }
  if (!s.gather) return;
  T* acc = acc_all + g * o.p * o.n;
  const uint32_t* idx = r.indices.data() + g * o.n * cg;
  for (uint64_t p = s.t0; p < s.t0 + s.t_len; ++p) {
    const T* rows = table.data() + (p - s.t0) * cg * k_dim;
    for (uint64_t n = 0; n < o.n; ++n) {
      T a = acc[p * o.n + n];
      for (uint64_t c = 0; c < cg; ++c) a = sum(a, rows[c * k_dim + idx[n * cg + c]]);
      acc[p * o.n + n] = a;
    }
  }
}

}  // namespace

void kq_reuse_fold(ArrayOperands& ops, const Step& step) {
  KqReuseOperands& r = ops.kq_reuse;
  if (ops.integer) {
    // Two's-complement int32 adders and multipliers: exact for codes × int8 activations.
    reuse_fold<int32_t>(
        ops, step, r.codebooki, r.tablei, ops.xi.data(), ops.acci.data(),
        [](int32_t a, int32_t b) {
          return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
        },
        [](int32_t a, int32_t b) { return a * b; });
  } else {
    const NumFormat mul = ops.mult_format, acc = ops.acc_format;
    reuse_fold<float>(
        ops, step, r.codebookf, r.tablef, ops.xf.data(), ops.accf.data(),
        [acc](float a, float b) { return round_to(acc, a + b); },
        [mul](float a, float b) { return round_to(mul, a * b); });
  }
}

}  // namespace kq
