#include "sim/datapath/network_state.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "models/common/float_formats.hpp"
#include "models/quant/reference.hpp"
#include "models/quant/uniform_quantizer.hpp"
#include "sim/datapath/vector_ops.hpp"

namespace kq {
namespace {

std::vector<double> to_double(const std::vector<float>& v) {
  return {v.begin(), v.end()};
}

/// What a KQ layer's array multiplies by: the code (uniform codebook, scaled at the output)
/// or the LUT value, per weight position [N, C/g, kh, kw].
std::vector<double> kq_array_weights(const KqLayerWeights& q, const Layer& l) {
  const uint64_t win = l.type == LayerType::fc ? 1 : uint64_t{l.kh} * l.kw;
  std::vector<double> w(q.indices.size() * win);
  for (size_t k = 0; k < q.indices.size(); ++k)
    for (uint64_t j = 0; j < win; ++j) {
      const int32_t code = q.codebook_codes[q.indices[k] * win + j];
      w[k * win + j] = q.lut.empty() ? code : q.lut[static_cast<size_t>(code)];
    }
  return w;
}

/// Higham's γ_n = n·u / (1 − n·u): the relative error bound of n rounded operations.
double gamma_n(double n, double u) {
  return n * u / (1.0 - n * u);
}

/// a holds exactly the values of b, bit for bit (signed zeros too).
bool same_bits(const std::vector<double>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const double bi = b[i];
    if (std::memcmp(&a[i], &bi, sizeof bi) != 0) return false;
  }
  return true;
}

std::vector<float> rounded(const std::vector<float>& v, NumFormat f) {
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = round_to(f, v[i]);
  return out;
}

}  // namespace

NetworkState::NetworkState(const Workload& w, const ArchConfig& arch, const NetworkParams& params,
                           bool check_reference, const QuantizedNetwork* quantized)
    : w_(&w),
      arch_(&arch),
      params_(&params),
      quantized_(quantized),
      check_(check_reference),
      integer_(!is_float(arch.activation_format)) {
  outputs_.resize(w.layers.size());
  output_scales_.assign(w.layers.size(), 1.0);
  golden_.resize(w.layers.size());
  quality_.resize(w.layers.size());
  golden_input_ = to_double(params.input.data);
  if (integer_) {
    const QuantizedTensor q =
        quantize_per_tensor(params.input.data, width_bits(arch.activation_format));
    input_scale_ = q.scales[0];
    input_.resize(q.codes.size());
    for (size_t i = 0; i < q.codes.size(); ++i)
      input_[i] = static_cast<float>(q.codes[i] * input_scale_);
  } else {
    input_ = rounded(params.input.data, arch.activation_format);
  }
}

const std::vector<float>& NetworkState::input_of(size_t li, size_t which) const {
  const int src = w_->layers[li].inputs.at(which);
  return src < 0 ? input_ : outputs_[static_cast<size_t>(src)];
}

double NetworkState::input_scale_of(size_t li, size_t which) const {
  const int src = w_->layers[li].inputs.at(which);
  return src < 0 ? input_scale_ : output_scales_[static_cast<size_t>(src)];
}

void NetworkState::golden_layer(size_t li) {
  const Layer& l = w_->layers[li];
  std::vector<const std::vector<double>*> ins;
  for (int src : l.inputs)
    ins.push_back(src < 0 ? &golden_input_ : &golden_[static_cast<size_t>(src)]);
  golden_[li] = reference_layer(l, ins, to_double(params_->layers[li].weight.data),
                                to_double(params_->layers[li].bias.data));
  quality_[li].output_sqnr_db = sqnr_db(golden_[li], to_double(outputs_[li]));
}

void NetworkState::store_output(size_t li, std::vector<float> values) {
  if (integer_) {
    // Requantize per tensor, calibrated on this output (what an int8 design writes to DRAM).
    const QuantizedTensor q = quantize_per_tensor(values, width_bits(arch_->activation_format));
    output_scales_[li] = q.scales[0];
    for (size_t i = 0; i < values.size(); ++i)
      values[i] = static_cast<float>(q.codes[i] * q.scales[0]);
  } else {
    for (float& v : values) v = round_to(arch_->activation_format, v);
  }
  outputs_[li] = std::move(values);
  golden_layer(li);
}

ArrayOperands& NetworkState::begin_array_layer(size_t li) {
  const Layer& l = w_->layers[li];
  const GemmDims g = l.gemm();
  ArrayOperands& o = ops_;
  o = ArrayOperands{};
  o.integer = integer_;
  o.mult_format = arch_->array.multiplier_format;
  o.acc_format = arch_->accumulator_format;
  o.groups = l.type == LayerType::fc ? 1 : l.groups;
  o.p = g.p, o.k = g.k, o.n = g.n;
  const std::vector<float>& x = input_of(li, 0);
  const LayerParams& lp = params_->layers[li];
  const uint64_t cg = l.type == LayerType::fc ? l.in.elements() : l.in.c / l.groups;
  const uint64_t kh = l.type == LayerType::fc ? 1 : l.kh, kw = l.type == LayerType::fc ? 1 : l.kw;
  const uint64_t h_in = l.type == LayerType::fc ? 1 : l.in.h,
                 w_in = l.type == LayerType::fc ? 1 : l.in.w;
  const uint64_t w_out = l.type == LayerType::fc ? 1 : l.out.w;

  // Weights: integer designs quantize per output channel; a KQ design decodes its kernels
  // (index → codebook row) into codes (or LUT values).
  std::vector<float> wvals = lp.weight.data;
  std::vector<int32_t>& wcodes = weight_codes_;
  const KqLayerWeights* kqw = quantized_ ? quantized_->kq_layer(li) : nullptr;
  kq_scaled_output_ = false;
  kq_scale_ = 1;
  if (kqw) {
    const uint64_t win = kh * kw, kernels = l.out.c * cg;
    const bool uniform = kqw->lut.empty();
    wcodes.assign(kernels * win, 0);
    for (uint64_t q = 0; q < kernels; ++q)
      for (uint64_t j = 0; j < win; ++j) {
        const int32_t code = kqw->codebook_codes[kqw->indices[q] * win + j];
        wcodes[q * win + j] = code;
        wvals[q * win + j] =
            uniform ? static_cast<float>(code) : kqw->lut[static_cast<size_t>(code)];
      }
    if (integer_) {
      weight_scales_.assign(l.out.c, kqw->scale);  // dequantization: acc · s_x · s
    } else if (uniform) {
      kq_scaled_output_ = true;
      kq_scale_ = kqw->scale;
    }
  } else if (integer_) {
    QuantizedTensor q = quantize_per_channel(wvals, l.out.c, width_bits(arch_->weight_format));
    weight_scales_ = std::move(q.scales);
    wcodes = std::move(q.codes);
  } else {
    wvals = rounded(wvals, arch_->weight_format);
  }
  const double sx = input_scale_of(li, 0);
  act_scale_ = sx;

  // im2col: x[g][p][k] with k = c·kh·kw + ky·kw + kx (the [N, C, kh, kw] weight order).
  const size_t xsize = o.groups * o.p * o.k;
  if (integer_)
    o.xi.assign(xsize, 0);
  else
    o.xf.assign(xsize, 0.0f);
  for (uint64_t gi = 0; gi < o.groups; ++gi)
    for (uint64_t p = 0; p < o.p; ++p) {
      const uint64_t oy = p / w_out, ox = p % w_out;
      for (uint64_t c = 0; c < cg; ++c)
        for (uint64_t ky = 0; ky < kh; ++ky) {
          const int64_t iy =
              static_cast<int64_t>(oy * l.sh + ky * l.dh) - (l.type == LayerType::fc ? 0 : l.ph);
          for (uint64_t kx = 0; kx < kw; ++kx) {
            const int64_t ix =
                static_cast<int64_t>(ox * l.sw + kx * l.dw) - (l.type == LayerType::fc ? 0 : l.pw);
            if (iy < 0 || ix < 0 || iy >= static_cast<int64_t>(h_in) ||
                ix >= static_cast<int64_t>(w_in))
              continue;
            const float v = x[((gi * cg + c) * h_in + iy) * w_in + ix];
            const size_t dst = (gi * o.p + p) * o.k + (c * kh + ky) * kw + kx;
            if (integer_)
              o.xi[dst] = static_cast<int32_t>(std::lround(v / sx));
            else
              o.xf[dst] = v;
          }
        }
    }
  // Weights as [g][k][n]; the bias initialises the accumulators.
  const size_t wsize = o.groups * o.k * o.n;
  if (integer_)
    o.wi.assign(wsize, 0);
  else
    o.wf.assign(wsize, 0.0f);
  for (uint64_t gi = 0; gi < o.groups; ++gi)
    for (uint64_t n = 0; n < o.n; ++n)
      for (uint64_t k = 0; k < o.k; ++k) {
        const size_t src = (gi * o.n + n) * o.k + k;
        const size_t dst = (gi * o.k + k) * o.n + n;
        if (integer_)
          o.wi[dst] = wcodes[src];
        else
          o.wf[dst] = wvals[src];
      }
  const size_t asize = o.groups * o.p * o.n;
  std::vector<int64_t>& bias_codes = bias_codes_;
  bias_codes.clear();
  if (integer_) {
    o.acci.assign(asize, 0);
    if (!lp.bias.data.empty()) bias_codes = quantize_bias(lp.bias.data, sx, weight_scales_);
  } else {
    o.accf.assign(asize, 0.0f);
  }
  // A scaled KQ output adds the bias after the scale multiply, so its accumulators start at 0.
  if (!lp.bias.data.empty() && !kq_scaled_output_)
    for (uint64_t gi = 0; gi < o.groups; ++gi)
      for (uint64_t p = 0; p < o.p; ++p)
        for (uint64_t n = 0; n < o.n; ++n) {
          const size_t dst = (gi * o.p + p) * o.n + n;
          if (integer_)
            o.acci[dst] = static_cast<int32_t>(bias_codes[gi * o.n + n]);
          else
            o.accf[dst] = round_to(o.acc_format, lp.bias.data[gi * o.n + n]);
        }
  kcnn_weights_.clear();
  kcnn_magnitudes_.clear();
  if (kqw && arch_->kq->datapath == KqDatapath::response_reuse) {
    // Response reuse keeps the codebook and the indices apart: the array computes codeword
    // responses and gathers them by index.
    KqReuseOperands& r = o.kq_reuse;
    r.active = true;
    r.codewords = kqw->codewords;
    r.window = kh * kw;
    r.indices = kqw->indices;
    for (const int32_t code : kqw->codebook_codes) {
      if (integer_)
        r.codebooki.push_back(code);
      else
        r.codebookf.push_back(kqw->lut.empty() ? static_cast<float>(code)
                                               : kqw->lut[static_cast<size_t>(code)]);
    }
    o.wf.clear(), o.wi.clear();
  }
  if (const KcnnLayerWeights* kw = quantized_ ? quantized_->kcnn_layer(li) : nullptr)
    prepare_kcnn(li, *kw);
  return o;
}

void NetworkState::prepare_kcnn(size_t li, const KcnnLayerWeights& kw) {
  const Layer& l = w_->layers[li];
  ArrayOperands& o = ops_;
  KcnnOperands& k = o.kcnn;
  const KcnnOptions& opt = kw.opts;
  k.active = true;
  k.filter3d = kw.granularity == KcnnGranularity::filter3d;
  k.sharing = opt.alphabet == KcnnAlphabet::pm1 && opt.window_sum_sharing;
  k.signed_planes = opt.alphabet == KcnnAlphabet::pm1 && !k.sharing;
  k.planes = opt.planes;
  k.window = kw.kh * kw.kw;
  k.adder_format = arch_->array.adder_format;
  const uint64_t m_dim = k.planes, win = k.window, cg = o.k / win, ng = o.n;
  const bool offset = !kw.beta.empty();
  // Integer designs keep fixed-point scales as integer codes: value = code·2^e.
  const double step = std::ldexp(1.0, kw.fixed_exponent);
  auto code = [&](float v) { return static_cast<int32_t>(std::lround(v / step)); };
  const size_t sel_size = o.groups * cg * m_dim * win * ng;
  const size_t alpha_size = k.filter3d ? o.groups * m_dim * ng : o.groups * cg * m_dim * ng;
  const size_t beta_size = !offset ? 0 : k.filter3d ? o.groups * ng : o.groups * cg * ng;
  if (integer_) {
    k.seli.assign(sel_size, 0), k.alphai.assign(alpha_size, 0), k.betai.assign(beta_size, 0);
    if (k.sharing) k.sidei.assign(alpha_size, 0);
  } else {
    k.self.assign(sel_size, 0), k.alphaf.assign(alpha_size, 0), k.betaf.assign(beta_size, 0);
    if (k.sharing) k.sidef.assign(alpha_size, 0);
  }
  const uint64_t plane_elems = k.filter3d ? cg * win : win;
  kcnn_weights_.assign(l.out.c * cg * win, 0.0);
  kcnn_magnitudes_.assign(l.out.c * cg * win, 0.0);
  for (uint64_t g = 0; g < o.groups; ++g)
    for (uint64_t nl = 0; nl < ng; ++nl) {
      const uint64_t n = g * ng + nl;
      for (uint64_t c = 0; c < cg; ++c) {
        // kernel2d: kernel n·cg + c, elements j; filter3d: kernel n, elements c·win + j.
        const uint64_t q = k.filter3d ? n : n * cg + c;
        const uint64_t e0 = k.filter3d ? c * win : 0;
        const float* al = kw.alpha.data() + q * m_dim;
        const float be = offset ? kw.beta[q] : 0.0f;
        for (uint64_t m = 0; m < m_dim; ++m) {
          // Sharing sums the plane's minority side (docs/KCNN.md): the +1 positions when they
          // are at most half, else the −1 positions, and flips the sign of the result.
          const uint64_t plus = k.sharing ? kw.ones(q, static_cast<uint32_t>(m)) : 0;
          const bool sum_plus = plus <= plane_elems - plus;
          for (uint64_t j = 0; j < win; ++j) {
            const bool bit = kw.bit(q, static_cast<uint32_t>(m), e0 + j);
            const int s = k.signed_planes ? (bit ? 1 : -1)
                          : k.sharing     ? (bit == sum_plus ? 1 : 0)
                                          : (bit ? 1 : 0);
            const size_t dst = (((g * cg + c) * m_dim + m) * win + j) * ng + nl;
            if (integer_)
              k.seli[dst] = s;
            else
              k.self[dst] = static_cast<float>(s);
            // The level this bit contributes: +α, −α (pm1) or α·bit (zero_one).
            const double level =
                opt.alphabet == KcnnAlphabet::pm1 ? (bit ? 1.0 : -1.0) : (bit ? 1.0 : 0.0);
            kcnn_weights_[(n * cg + c) * win + j] += static_cast<double>(al[m]) * level;
            // Under sharing a plane sum is 2·Σ₊ − T: intermediate magnitudes up to 3·Σ|x|.
            kcnn_magnitudes_[(n * cg + c) * win + j] +=
                std::fabs(static_cast<double>(al[m])) * (k.sharing ? 3.0 : std::fabs(level));
          }
          if (k.filter3d ? c == 0 : true) {
            const size_t dst =
                k.filter3d ? (g * m_dim + m) * ng + nl : ((g * cg + c) * m_dim + m) * ng + nl;
            if (integer_)
              k.alphai[dst] = code(al[m]);
            else
              k.alphaf[dst] = al[m];
            if (k.sharing) {
              if (integer_)
                k.sidei[dst] = sum_plus ? 1 : -1;
              else
                k.sidef[dst] = sum_plus ? 1.0f : -1.0f;
            }
          }
        }
        if (offset) {
          for (uint64_t j = 0; j < win; ++j) {
            kcnn_weights_[(n * cg + c) * win + j] += be;
            kcnn_magnitudes_[(n * cg + c) * win + j] += std::fabs(static_cast<double>(be));
          }
          if (k.filter3d ? c == 0 : true) {
            const size_t dst = k.filter3d ? g * ng + nl : (g * cg + c) * ng + nl;
            if (integer_)
              k.betai[dst] = code(be);
            else
              k.betaf[dst] = be;
          }
        }
      }
    }
  if (k.filter3d) {
    if (integer_) {
      k.plane_acci.assign(o.groups * o.p * m_dim * ng, 0), k.window_acci.assign(o.groups * o.p, 0);
    } else {
      k.plane_accf.assign(o.groups * o.p * m_dim * ng, 0.0f),
          k.window_accf.assign(o.groups * o.p, 0.0f);
    }
  }
  o.wf.clear(), o.wi.clear();  // the planes replace the weight matrix
  if (integer_) {
    // Integer weights Σ code(α)·B (+ code(β)) are exact: the integer reference uses them, and
    // results dequantize by s_x·2^e.
    weight_codes_.resize(kcnn_weights_.size());
    for (size_t i = 0; i < kcnn_weights_.size(); ++i)
      weight_codes_[i] = static_cast<int32_t>(std::lround(kcnn_weights_[i] / step));
    weight_scales_.assign(l.out.c, step);
    const LayerParams& lp = params_->layers[li];
    bias_codes_.clear();
    std::fill(o.acci.begin(), o.acci.end(), 0);
    if (!lp.bias.data.empty()) {
      bias_codes_ = quantize_bias(lp.bias.data, act_scale_, weight_scales_);
      for (uint64_t g = 0; g < o.groups; ++g)
        for (uint64_t p = 0; p < o.p; ++p)
          for (uint64_t n = 0; n < ng; ++n)
            o.acci[(g * o.p + p) * ng + n] = static_cast<int32_t>(bias_codes_[g * ng + n]);
    }
  }
}

void NetworkState::finish_array_layer(size_t li) {
  const Layer& l = w_->layers[li];
  const ArrayOperands& o = ops_;
  // Accumulators [g][p][n] → output [channel][p].
  std::vector<float> y(l.out.elements());
  std::vector<double> acc_values(l.out.elements());
  for (uint64_t gi = 0; gi < o.groups; ++gi)
    for (uint64_t p = 0; p < o.p; ++p)
      for (uint64_t n = 0; n < o.n; ++n) {
        const size_t src = (gi * o.p + p) * o.n + n;
        const uint64_t ch = gi * o.n + n;
        const size_t dst = ch * o.p + p;
        acc_values[dst] =
            integer_ ? static_cast<double>(o.acci[src]) : static_cast<double>(o.accf[src]);
        // Integer designs dequantize at the output stage: acc · s_x · s_w[n].
        y[dst] = integer_ ? static_cast<float>(o.acci[src] * act_scale_ * weight_scales_[ch])
                 : kq_scaled_output_
                     ? round_to(o.acc_format, round_to(o.acc_format, static_cast<float>(kq_scale_) *
                                                                         o.accf[src]) +
                                                  (params_->layers[li].bias.data.empty()
                                                       ? 0.0f
                                                       : params_->layers[li].bias.data[ch]))
                     : o.accf[src];
      }
  if (check_) {
    ReferenceCheck& c = quality_[li].check;
    const LayerParams& lp = params_->layers[li];
    c.compared = acc_values.size();
    if (integer_) {
      // Exact integer reference on the same codes (the input in its [C, H, W] layout, not the
      // hardware's im2col copy).
      const std::vector<float>& xin = input_of(li, 0);
      std::vector<int32_t> x(xin.size());
      for (size_t i = 0; i < xin.size(); ++i)
        x[i] = static_cast<int32_t>(std::lround(xin[i] / act_scale_));
      const std::vector<int64_t> ref = reference_conv_integer(l, x, weight_codes_, bias_codes_);
      c.kind = "exact";
      for (size_t i = 0; i < ref.size(); ++i) {
        const double err = std::fabs(static_cast<double>(ref[i]) - acc_values[i]);
        if (err != 0) ++c.violations;
        c.max_abs_error = std::max(c.max_abs_error, err);
      }
    } else if (!kcnn_weights_.empty()) {
      // A KCNN output passes through at most win (plane sum) + 2 (sharing, scaling) roundings
      // and an accumulation chain of C·(M+1) + 1 terms: |err| ≤ γ_n(u)·(|b| + Σ_c Σ_m
      // |α_m|·Σ_j |x_j| (+|β|·Σ_j |x_j|)) with u the widest unit roundoff of the datapath.
      const KcnnOperands& k = o.kcnn;
      const double u = std::max({unit_roundoff(k.adder_format), unit_roundoff(o.mult_format),
                                 unit_roundoff(o.acc_format)});
      const double n_ops = static_cast<double>(k.window + 4 + (o.k / k.window) * (k.planes + 1));
      check_float(li, acc_values, kcnn_weights_, kcnn_magnitudes_, gamma_n(n_ops, u) + 1e-12);
    } else {
      // Each output is bias + K rounded products + K rounded sums: |err| ≤ (u_mul·(1+γ) +
      // γ_K(u_acc))·(|b| + Σ|x·w|), with a 1e-12 relative allowance for the double reference.
      // KQ: the weights are the decoded codes (or LUT values) the array multiplies.
      const std::vector<double> wd = quantized_ && quantized_->kq_layer(li)
                                         ? kq_array_weights(*quantized_->kq_layer(li), l)
                                         : to_double(rounded(lp.weight.data, arch_->weight_format));
      const double u_mul =
          o.mult_format == NumFormat::fp32 ? std::ldexp(1.0, -24) : unit_roundoff(o.mult_format);
      // Response reuse: a product passes through k² table additions and C gathers.
      const double depth =
          o.kq_reuse.active ? static_cast<double>(o.kq_reuse.window + o.k / o.kq_reuse.window + 1)
                            : static_cast<double>(o.k);
      const double g = gamma_n(depth, unit_roundoff(o.acc_format));
      check_float(li, acc_values, wd, wd, u_mul * (1 + g) + g + 1e-12);
    }
  }
  store_output(li, std::move(y));
  if (check_) {
    // The layer alone: this design's stored output against the float layer (double, original
    // weights) on the same input, so a layer's own quantization error is not mixed with what
    // its input inherited. When the check ran that very layer (an fp32 design: the same
    // weights and bias, bit for bit), its values are reused.
    if (!check_ref_is_float_layer_) {
      const LayerParams& lp = params_->layers[li];
      const std::vector<double> xd = to_double(input_of(li, 0));
      check_ref_ = reference_layer(l, {&xd}, to_double(lp.weight.data), to_double(lp.bias.data));
    }
    quality_[li].layer_sqnr_db = sqnr_db(check_ref_, to_double(outputs_[li]));
  }
  check_ref_.clear();
  check_ref_is_float_layer_ = false;
}

void NetworkState::check_float(size_t li, const std::vector<double>& acc_values,
                               const std::vector<double>& wd, const std::vector<double>& mag_w,
                               double rel) {
  const Layer& l = w_->layers[li];
  ReferenceCheck& c = quality_[li].check;
  // A scaled KQ output adds its bias after the array: the accumulators hold Σ code·x alone.
  const std::vector<double> bd =
      kq_scaled_output_ ? std::vector<double>{}
                        : to_double(rounded(params_->layers[li].bias.data, ops_.acc_format));
  const std::vector<double> xd = to_double(input_of(li, 0));
  ReferenceWithBound r = reference_conv_with_abs_sum(l, xd, wd, mag_w, bd);
  const std::vector<double>& ref = r.values;
  const std::vector<double>& mag = r.abs_sums;
  c.kind = "bound";
  for (size_t i = 0; i < ref.size(); ++i) {
    const double err = std::fabs(ref[i] - acc_values[i]);
    const double bound = rel * mag[i];
    c.max_abs_error = std::max(c.max_abs_error, err);
    if (err > bound) ++c.violations;
    if (bound > 0)
      c.max_error_over_bound = std::max(c.max_error_over_bound, err / bound);
    else if (err > 0)
      c.max_error_over_bound = std::numeric_limits<double>::infinity();
  }
  // The layer on the input as stored: finish_array_layer's layer SQNR reuses it when these
  // were the original weights and bias.
  check_ref_ = std::move(r.values);
  check_ref_is_float_layer_ = same_bits(wd, params_->layers[li].weight.data) &&
                              same_bits(bd, params_->layers[li].bias.data);
}

void NetworkState::run_vector_layer(size_t li) {
  const Layer& l = w_->layers[li];
  const LayerParams& lp = params_->layers[li];
  std::vector<const std::vector<float>*> ins;
  for (size_t i = 0; i < l.inputs.size(); ++i) ins.push_back(&input_of(li, i));
  // Integer designs run the vector unit in fp32 on dequantized values and requantize after.
  const NumFormat fmt = integer_ ? NumFormat::fp32 : arch_->activation_format;
  const std::vector<float> wv = rounded(lp.weight.data, fmt), bv = rounded(lp.bias.data, fmt);
  std::vector<float> y = vector_layer(l, ins, wv, bv, fmt);
  if (check_) {
    ReferenceCheck& c = quality_[li].check;
    std::vector<std::vector<double>> xd;
    for (const auto* v : ins) xd.push_back(to_double(*v));
    std::vector<const std::vector<double>*> xp;
    for (const auto& v : xd) xp.push_back(&v);
    const std::vector<double> ref = reference_layer(l, xp, to_double(wv), to_double(bv));
    // The magnitude each output's rounding error scales with.
    std::vector<const std::vector<double>*> abs_in;
    std::vector<std::vector<double>> abs_x;
    for (const auto& v : xd) {
      std::vector<double> a(v.size());
      for (size_t i = 0; i < v.size(); ++i) a[i] = std::fabs(v[i]);
      abs_x.push_back(std::move(a));
    }
    for (const auto& v : abs_x) abs_in.push_back(&v);
    std::vector<double> aw(wv.size()), ab(bv.size());
    for (size_t i = 0; i < wv.size(); ++i) aw[i] = std::fabs(wv[i]);
    for (size_t i = 0; i < bv.size(); ++i) ab[i] = std::fabs(bv[i]);
    const std::vector<double> mag = reference_layer(l, abs_in, aw, ab);
    const unsigned ops = vector_ops_per_output(l);
    const double rel = ops ? gamma_n(ops + 1.0, unit_roundoff(fmt)) + 1e-12 : 0.0;
    c.kind = ops ? "bound" : "exact";
    c.compared = ref.size();
    for (size_t i = 0; i < ref.size(); ++i) {
      const double err = std::fabs(ref[i] - static_cast<double>(y[i]));
      const double bound = rel * mag[i];
      c.max_abs_error = std::max(c.max_abs_error, err);
      if (err > bound) ++c.violations;
      if (bound > 0) c.max_error_over_bound = std::max(c.max_error_over_bound, err / bound);
    }
  }
  store_output(li, std::move(y));
}

}  // namespace kq
