#include "models/sweep/design_quality.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

#include "models/common/input_error.hpp"

namespace kq {

std::string quantizer_key(const ArchConfig& arch) {
  if (arch.kcnn) {
    const KcnnOptions& o = *arch.kcnn;
    return fmt::format("kcnn g{} m{} a{} o{} i{} t{} d{:a} s{} b{} p{}",
                       static_cast<int>(o.granularity), o.planes, static_cast<int>(o.alphabet),
                       static_cast<int>(o.offset), static_cast<int>(o.init), o.max_iterations,
                       o.ridge_delta, static_cast<int>(o.scale_format), o.fixed_bits,
                       static_cast<int>(o.policy_1x1));
  }
  if (arch.kq) {
    const KqOptions& o = *arch.kq;
    std::string k = fmt::format(
        "kq d{} t{} s{} b{} q{} v{} fc{}", o.default_codewords, o.max_iterations, o.seed,
        o.codebook_bits, static_cast<int>(o.codebook_quant), o.side_value_bits, o.count_fc ? 1 : 0);
    for (const auto& [kernel, n] : o.codewords_by_kernel)
      k += fmt::format(" k{}x{}={}", kernel.first, kernel.second, n);
    // Layer names are restricted to A-Z a-z 0-9 _ . : / + -: no separator ambiguity.
    for (const auto& [layer, n] : o.codewords_by_layer) k += fmt::format(" l{}={}", layer, n);
    return k;
  }
  return "";
}

bool counts_need_weights(const ArchConfig& arch) {
  return arch.kcnn && (arch.kcnn->window_sum_sharing || arch.kcnn->zero_skip);
}

FittedWeights fit_weights(const Workload& w, const ArchConfig& arch, const NetworkParams& params,
                          const std::string& weights_npz) {
  FittedWeights f;
  try {
    f.weights = quantize_network(w, arch, params, weights_npz);
  } catch (const std::invalid_argument& e) {
    throw InputError(weights_npz.empty() ? arch.file : weights_npz, arch.kq ? "/kq" : "/kcnn",
                     e.what());
  }
  // The network figure of report.json: Σ w² / Σ (w − ŵ)² over every quantized layer.
  double err = 0, sig = 0;
  bool known = true;
  for (size_t i = 0; i < w.layers.size(); ++i) {
    if (const KcnnLayerWeights* k = f.weights.kcnn_layer(i)) {
      if (std::isnan(k->sq_error)) known = false;
      err += k->sq_error;
      sig += k->sq_signal;
    } else if (const KqLayerWeights* q = f.weights.kq_layer(i)) {
      if (i < f.weights.imported.size() && f.weights.imported[i]) {
        known = false;
        continue;
      }
      const Tensor deq = q->dequantize();
      const Tensor& orig = params.layers[i].weight;
      for (size_t k = 0; k < orig.data.size(); ++k) {
        const double d = static_cast<double>(orig.data[k]) - deq.data[k];
        err += d * d;
        sig += static_cast<double>(orig.data[k]) * orig.data[k];
      }
    }
  }
  if (known && err > 0) f.weight_sqnr_db = 10.0 * std::log10(sig / err);
  return f;
}

namespace {

/// A layer's KCNN storage figures from its geometry and the options alone.
KcnnLayerWeights kcnn_shape(const Layer& l, const KcnnOptions& o, KcnnLayerMode mode) {
  KcnnLayerWeights k;
  k.opts = o;
  k.granularity =
      mode == KcnnLayerMode::filter3d ? KcnnGranularity::filter3d : KcnnGranularity::kernel2d;
  if (l.type == LayerType::fc) {
    k.n = l.out.c;
    k.c = l.in.elements();
  } else {
    k.n = l.out.c;
    k.c = l.in.c / l.groups;
    k.kh = l.kh;
    k.kw = l.kw;
    k.groups = l.groups;
  }
  return k;
}

/// A layer's KQ storage figures from its geometry and the options alone.
KqLayerWeights kq_shape(const Layer& l, const KqOptions& o) {
  KqLayerWeights q;
  q.geometry = kq_geometry(l);
  q.codewords = o.codewords(l);
  q.index_bits = index_bits_for(q.codewords);
  q.codebook_bits = o.codebook_bits;
  q.codebook_quant = o.codebook_quant;
  q.side_info_bits = o.side_info_bits();
  return q;
}

}  // namespace

double bits_per_weight(const Workload& w, const ArchConfig& arch, const QuantizedNetwork* fitted) {
  double bits = 0, weights = 0;
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const Layer& l = w.layers[i];
    if (!l.on_array()) continue;
    const double n = static_cast<double>(l.weight_params());
    if (arch.kq) {
      if (!arch.kq->applies_to(l)) continue;
      const KqLayerWeights* q = fitted ? fitted->kq_layer(i) : nullptr;
      bits +=
          static_cast<double>(q ? q->storage_bits(true) : kq_shape(l, *arch.kq).storage_bits(true));
      weights += n;
    } else if (arch.kcnn) {
      const KcnnLayerWeights* k = fitted ? fitted->kcnn_layer(i) : nullptr;
      const KcnnLayerMode mode = kcnn_layer_mode(l, *arch.kcnn);
      bits += n * (k ? k->bits_per_weight()
                   : mode == KcnnLayerMode::float_kept
                       ? width_bits(arch.weight_format)
                       : kcnn_shape(l, *arch.kcnn, mode).bits_per_weight());
      weights += n;
    } else {
      bits += n * width_bits(arch.weight_format);
      weights += n;
    }
  }
  return weights > 0 ? bits / weights : 0.0;
}

}  // namespace kq
