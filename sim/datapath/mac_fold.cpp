#include <algorithm>

#include "models/common/float_formats.hpp"
#include "sim/datapath/array_operands.hpp"

namespace kq {
namespace {

struct Ranges {
  uint64_t p0, p1, k0, k1, n0, n1;
};

Ranges fold_ranges(const ArrayOperands& o, const Step& s, Dataflow d) {
  switch (d) {
    case Dataflow::ws:
      return {s.t0, s.t0 + s.t_len, s.r0, s.r0 + s.r_len, s.c0, s.c0 + s.c_len};
    case Dataflow::os:
      return {s.r0, s.r0 + s.r_len, 0, o.k, s.c0, s.c0 + s.c_len};
    case Dataflow::is:
      return {s.c0, s.c0 + s.c_len, s.r0, s.r0 + s.r_len, 0, o.n};
  }
  return {};
}

// fp32 × fp32 → fp32 accumulate: plain float arithmetic (ISO C++17 mode does not contract
// into FMA, so each product and sum is rounded as a separate fp32 unit would).
void fold_fp32(ArrayOperands& o, const Ranges& r, uint64_t g) {
  const float* x = o.xf.data() + g * o.p * o.k;
  const float* w = o.wf.data() + g * o.k * o.n;
  float* acc = o.accf.data() + g * o.p * o.n;
  for (uint64_t p = r.p0; p < r.p1; ++p) {
    float* a = acc + p * o.n;
    for (uint64_t k = r.k0; k < r.k1; ++k) {
      const float xv = x[p * o.k + k];
      const float* wr = w + k * o.n;
      for (uint64_t n = r.n0; n < r.n1; ++n) a[n] = a[n] + xv * wr[n];
    }
  }
}

// Narrow float formats: the product is rounded to the multiplier format, the sum to the
// accumulator format.
void fold_narrow(ArrayOperands& o, const Ranges& r, uint64_t g) {
  const float* x = o.xf.data() + g * o.p * o.k;
  const float* w = o.wf.data() + g * o.k * o.n;
  float* acc = o.accf.data() + g * o.p * o.n;
  for (uint64_t p = r.p0; p < r.p1; ++p) {
    float* a = acc + p * o.n;
    for (uint64_t k = r.k0; k < r.k1; ++k) {
      const float xv = x[p * o.k + k];
      const float* wr = w + k * o.n;
      for (uint64_t n = r.n0; n < r.n1; ++n)
        a[n] = round_to(o.acc_format, a[n] + round_to(o.mult_format, xv * wr[n]));
    }
  }
}

void fold_int(ArrayOperands& o, const Ranges& r, uint64_t g) {
  const int32_t* x = o.xi.data() + g * o.p * o.k;
  const int32_t* w = o.wi.data() + g * o.k * o.n;
  int32_t* acc = o.acci.data() + g * o.p * o.n;
  for (uint64_t p = r.p0; p < r.p1; ++p) {
    int32_t* a = acc + p * o.n;
    for (uint64_t k = r.k0; k < r.k1; ++k) {
      const int32_t xv = x[p * o.k + k];
      const int32_t* wr = w + k * o.n;
      // Unsigned arithmetic gives the int32 adder's wrap-around without signed overflow UB.
      for (uint64_t n = r.n0; n < r.n1; ++n)
        a[n] =
            static_cast<int32_t>(static_cast<uint32_t>(a[n]) + static_cast<uint32_t>(xv * wr[n]));
    }
  }
}

}  // namespace

void mac_fold(ArrayOperands& ops, const Step& step, Dataflow dataflow) {
  const Ranges r = fold_ranges(ops, step, dataflow);
  if (ops.integer)
    fold_int(ops, r, step.group);
  else if (ops.mult_format == NumFormat::fp32 && ops.acc_format == NumFormat::fp32)
    fold_fp32(ops, r, step.group);
  else
    fold_narrow(ops, r, step.group);
}

}  // namespace kq
