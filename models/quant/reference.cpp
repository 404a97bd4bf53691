#include "models/quant/reference.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kq {
namespace {

/// Direct convolution with accumulator type Acc. fc is a conv whose input is flattened.
template <typename Acc, typename In, typename W, typename B, typename Op>
std::vector<Acc> direct_conv(const Layer& l, const std::vector<In>& x, const std::vector<W>& w,
                             const std::vector<B>& bias, Op op) {
  if (l.type == LayerType::fc) {
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
  for (uint64_t n = 0; n < l.out.c; ++n) {
    const uint64_t g = n / ng;
    for (uint64_t oy = 0; oy < l.out.h; ++oy) {
      for (uint64_t ox = 0; ox < l.out.w; ++ox) {
        Acc acc = bias.empty() ? Acc{} : static_cast<Acc>(bias[n]);
        for (uint64_t c = 0; c < cg; ++c) {
          const uint64_t ci = g * cg + c;
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
    }
  }
  return y;
}

std::vector<double> pool(const Layer& l, const std::vector<double>& x) {
  std::vector<double> y(l.out.elements());
  const double inv = 1.0 / (static_cast<double>(l.kh) * l.kw);
  for (uint64_t c = 0; c < l.out.c; ++c)
    for (uint64_t oy = 0; oy < l.out.h; ++oy)
      for (uint64_t ox = 0; ox < l.out.w; ++ox) {
        double m = -std::numeric_limits<double>::infinity(), s = 0;
        for (uint64_t ky = 0; ky < l.kh; ++ky) {
          const int64_t iy = static_cast<int64_t>(oy * l.sh + ky * l.dh) - l.ph;
          if (iy < 0 || iy >= static_cast<int64_t>(l.in.h)) continue;
          for (uint64_t kx = 0; kx < l.kw; ++kx) {
            const int64_t ix = static_cast<int64_t>(ox * l.sw + kx * l.dw) - l.pw;
            if (ix < 0 || ix >= static_cast<int64_t>(l.in.w)) continue;
            const double v = x[(c * l.in.h + iy) * l.in.w + ix];
            m = std::max(m, v);
            s += v;
          }
        }
        y[(c * l.out.h + oy) * l.out.w + ox] = l.type == LayerType::maxpool ? m : s * inv;
      }
  return y;
}

}  // namespace

std::vector<double> reference_layer(const Layer& l,
                                    const std::vector<const std::vector<double>*>& inputs,
                                    const std::vector<double>& weight,
                                    const std::vector<double>& bias) {
  const std::vector<double>& x = *inputs.at(0);
  switch (l.type) {
    case LayerType::conv2d:
    case LayerType::fc:
      return direct_conv<double>(l, x, weight, bias,
                                 [](double a, double xi, double wi) { return a + xi * wi; });
    case LayerType::relu: {
      std::vector<double> y(x.size());
      for (size_t i = 0; i < x.size(); ++i) {
        y[i] = std::max(0.0, x[i]);
        if (l.relu_cap > 0) y[i] = std::min<double>(y[i], l.relu_cap);
      }
      return y;
    }
    case LayerType::maxpool:
    case LayerType::avgpool:
      return pool(l, x);
    case LayerType::add: {
      const std::vector<double>& b = *inputs.at(1);
      std::vector<double> y(x.size());
      for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] + b[i];
      return y;
    }
    case LayerType::batchnorm: {
      std::vector<double> y(x.size());
      const uint64_t plane = l.in.h * l.in.w;
      for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * weight[i / plane] + bias[i / plane];
      return y;
    }
  }
  return {};
}

std::vector<int64_t> reference_conv_integer(const Layer& l, const std::vector<int32_t>& input,
                                            const std::vector<int32_t>& weight,
                                            const std::vector<int64_t>& bias) {
  return direct_conv<int64_t>(l, input, weight, bias, [](int64_t a, int32_t xi, int32_t wi) {
    return a + static_cast<int64_t>(xi) * wi;
  });
}

std::vector<double> reference_conv_abs_sum(const Layer& l, const std::vector<double>& input,
                                           const std::vector<double>& weight,
                                           const std::vector<double>& bias) {
  std::vector<double> abias(bias.size());
  for (size_t i = 0; i < bias.size(); ++i) abias[i] = std::fabs(bias[i]);
  return direct_conv<double>(l, input, weight, abias,
                             [](double a, double xi, double wi) { return a + std::fabs(xi * wi); });
}

}  // namespace kq
