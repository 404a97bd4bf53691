#include "sim/datapath/vector_ops.hpp"

#include <algorithm>
#include <limits>

#include "models/common/float_formats.hpp"

namespace kq {

unsigned vector_ops_per_output(const Layer& l) {
  switch (l.type) {
    case LayerType::add:
      return 1;
    case LayerType::batchnorm:
      return 2;
    case LayerType::avgpool:
      return l.kh * l.kw;  // kh·kw − 1 adds and one scaling
    default:
      return 0;  // max and clip are exact
  }
}

std::vector<float> vector_layer(const Layer& l,
                                const std::vector<const std::vector<float>*>& inputs,
                                const std::vector<float>& weight, const std::vector<float>& bias,
                                NumFormat fmt) {
  const std::vector<float>& x = *inputs.at(0);
  std::vector<float> y(l.out.elements());
  switch (l.type) {
    case LayerType::relu:
      for (size_t i = 0; i < y.size(); ++i) {
        y[i] = std::max(0.0f, x[i]);
        if (l.relu_cap > 0) y[i] = std::min(y[i], round_to(fmt, l.relu_cap));
      }
      break;
    case LayerType::add: {
      const std::vector<float>& b = *inputs.at(1);
      for (size_t i = 0; i < y.size(); ++i) y[i] = round_to(fmt, x[i] + b[i]);
      break;
    }
    case LayerType::batchnorm: {
      const uint64_t plane = l.in.h * l.in.w;
      for (size_t i = 0; i < y.size(); ++i)
        y[i] = round_to(fmt, round_to(fmt, x[i] * weight[i / plane]) + bias[i / plane]);
      break;
    }
    case LayerType::maxpool:
    case LayerType::avgpool: {
      const float inv = round_to(fmt, 1.0f / static_cast<float>(l.kh * l.kw));
      for (uint64_t c = 0; c < l.out.c; ++c)
        for (uint64_t oy = 0; oy < l.out.h; ++oy)
          for (uint64_t ox = 0; ox < l.out.w; ++ox) {
            float m = -std::numeric_limits<float>::infinity(), s = 0;
            for (uint64_t ky = 0; ky < l.kh; ++ky) {
              const int64_t iy = static_cast<int64_t>(oy * l.sh + ky * l.dh) - l.ph;
              if (iy < 0 || iy >= static_cast<int64_t>(l.in.h)) continue;
              for (uint64_t kx = 0; kx < l.kw; ++kx) {
                const int64_t ix = static_cast<int64_t>(ox * l.sw + kx * l.dw) - l.pw;
                if (ix < 0 || ix >= static_cast<int64_t>(l.in.w)) continue;
                const float v = x[(c * l.in.h + iy) * l.in.w + ix];
                m = std::max(m, v);
                s = round_to(fmt, s + v);
              }
            }
            y[(c * l.out.h + oy) * l.out.w + ox] =
                l.type == LayerType::maxpool ? m : round_to(fmt, s * inv);
          }
      break;
    }
    default:
      break;
  }
  return y;
}

}  // namespace kq
