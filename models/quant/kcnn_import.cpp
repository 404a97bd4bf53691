#include "models/quant/kcnn_import.hpp"

#include <fmt/format.h>

#include <cmath>
#include <set>
#include <stdexcept>

#include "models/common/float_formats.hpp"
#include "models/common/input_error.hpp"

namespace kq {
namespace {

std::string shape_str(const std::vector<uint64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

/// The C-order multi-index of flat element i, for messages a user can look up in NumPy.
std::string index_str(uint64_t i, const std::vector<uint64_t>& shape) {
  std::vector<uint64_t> idx(shape.size());
  for (size_t k = shape.size(); k-- > 0;) {
    idx[k] = shape[k] ? i % shape[k] : 0;
    i = shape[k] ? i / shape[k] : 0;
  }
  return shape_str(idx);
}

void check_shape(const NpyArray& a, const std::vector<uint64_t>& expected, const std::string& file,
                 const std::string& name, const std::string& what) {
  if (a.shape != expected)
    throw InputError(file, name,
                     fmt::format("expected shape {} ({}), got {}", shape_str(expected), what,
                                 shape_str(a.shape)));
}

void check_scale_dtype(const NpyArray& a, const std::string& file, const std::string& name) {
  if (a.dtype != NpyDtype::f4 && a.dtype != NpyDtype::f2)
    throw InputError(file, name,
                     fmt::format("dtype {} not accepted: scales must be float32 (<f4) or "
                                 "float16 (<f2)",
                                 to_string(a.dtype)));
}

/// Finite and exactly what the scale format stores, so the simulated datapath computes with
/// the file's values and not silently rounded ones.
void check_scales(const NpyArray& a, const KcnnOptions& opts, int exponent, const std::string& file,
                  const std::string& name) {
  const double qmax = std::ldexp(1.0, static_cast<int>(opts.fixed_bits) - 1) - 1.0;
  for (uint64_t i = 0; i < a.values.size(); ++i) {
    const double v = a.values[i];
    if (!std::isfinite(v))
      throw InputError(
          file, name,
          fmt::format("element {} is {}: scales must be finite", index_str(i, a.shape), v));
    switch (opts.scale_format) {
      case KcnnScaleFormat::fp32:
        break;  // f4 and f2 values are floats already
      case KcnnScaleFormat::fp16:
        if (static_cast<double>(round_to_fp16(static_cast<float>(v))) != v)
          throw InputError(file, name,
                           fmt::format("element {} is {:.9g}, not representable in fp16 "
                                       "(scale_format fp16)",
                                       index_str(i, a.shape), v));
        break;
      case KcnnScaleFormat::fixed: {
        const double q = std::ldexp(v, -exponent);
        if (q != std::nearbyint(q) || std::fabs(q) > qmax)
          throw InputError(
              file, name,
              fmt::format("element {} is {:.9g}, not a multiple of the layer's step 2^{} "
                          "(scale_format fixed, {} bits)",
                          index_str(i, a.shape), v, exponent, opts.fixed_bits));
        break;
      }
    }
  }
}

const NpyArray* find(const std::map<std::string, NpyArray>& arrays, const std::string& name) {
  const auto it = arrays.find(name);
  return it == arrays.end() ? nullptr : &it->second;
}

}  // namespace

std::string kcnn_planes_array(const std::string& layer) {
  return layer + ".kcnn_planes";
}
std::string kcnn_alpha_array(const std::string& layer) {
  return layer + ".kcnn_alpha";
}
std::string kcnn_beta_array(const std::string& layer) {
  return layer + ".kcnn_beta";
}

bool is_kcnn_array_name(const std::string& name) {
  return name.find(".kcnn_") != std::string::npos;
}

std::optional<KcnnLayerWeights> import_kcnn_layer(const std::map<std::string, NpyArray>& arrays,
                                                  const std::string& file, const Layer& layer,
                                                  const KcnnOptions& opts) {
  opts.validate();
  const std::string planes_name = kcnn_planes_array(layer.name);
  const std::string alpha_name = kcnn_alpha_array(layer.name);
  const std::string beta_name = kcnn_beta_array(layer.name);
  const NpyArray* planes = find(arrays, planes_name);
  const NpyArray* alpha = find(arrays, alpha_name);
  const NpyArray* beta = find(arrays, beta_name);
  if (!planes && !alpha && !beta) return std::nullopt;
  const std::string& first = planes ? planes_name : alpha ? alpha_name : beta_name;

  if (layer.type != LayerType::conv2d && layer.type != LayerType::fc)
    throw InputError(file, first,
                     fmt::format("layer \"{}\" ({}) has no conv weights to hold KCNN planes",
                                 layer.name, to_string(layer.type)));
  const KcnnLayerMode mode = kcnn_layer_mode(layer, opts);
  if (mode == KcnnLayerMode::float_kept)
    throw InputError(file, first,
                     fmt::format("layer \"{}\" is kept float (kernel {}x{} < {} planes, "
                                 "policy_1x1 keep_float)",
                                 layer.name, layer.kh, layer.kw, opts.planes));
  if (!planes) throw InputError(file, planes_name, fmt::format("missing (the file has {})", first));
  if (!alpha)
    throw InputError(file, alpha_name, fmt::format("missing (the file has {})", planes_name));
  if (opts.has_offset() && !beta)
    throw InputError(file, beta_name, "missing (offset per_kernel needs one β per kernel)");
  if (!opts.has_offset() && beta)
    throw InputError(file, beta_name, "unexpected: the options have no offset (offset none)");

  const bool conv = layer.type == LayerType::conv2d;
  KcnnLayerWeights q;
  q.opts = opts;
  q.granularity =
      mode == KcnnLayerMode::kernel2d ? KcnnGranularity::kernel2d : KcnnGranularity::filter3d;
  q.groups = conv ? layer.groups : 1;
  q.n = layer.out.c;
  q.c = conv ? layer.in.c / layer.groups : layer.in.elements();
  q.kh = conv ? layer.kh : 1;
  q.kw = conv ? layer.kw : 1;
  q.weight_shape =
      conv ? std::vector<uint64_t>{q.n, q.c, q.kh, q.kw} : std::vector<uint64_t>{q.n, q.c};
  const uint64_t m = opts.planes;
  const bool k2d = q.granularity == KcnnGranularity::kernel2d;

  // Planes: the C-order flattening of [N, C, M, kh, kw] / [N, M, C, kh, kw] is exactly the
  // packed bit order, so bit g of the layer is element g of the array.
  if (planes->dtype != NpyDtype::i1 && planes->dtype != NpyDtype::f4)
    throw InputError(file, planes_name,
                     fmt::format("dtype {} not accepted: planes must be int8 (|i1) or float32 "
                                 "(<f4) with values 0 and 1",
                                 to_string(planes->dtype)));
  check_shape(
      *planes,
      k2d ? std::vector<uint64_t>{q.n, q.c, m, q.kh, q.kw}
          : std::vector<uint64_t>{q.n, m, q.c, q.kh, q.kw},
      file, planes_name,
      k2d ? "[N, C/groups, M, kh, kw] for kernel2d" : "[N, M, C/groups, kh, kw] for filter3d");
  q.planes.assign((planes->values.size() + 63) / 64, 0);
  for (uint64_t g = 0; g < planes->values.size(); ++g) {
    const double v = planes->values[g];
    if (v == 1.0)
      q.planes[g >> 6] |= uint64_t{1} << (g & 63);
    else if (v != 0.0)
      throw InputError(
          file, planes_name,
          fmt::format("element {} is {}: plane bits must be 0 or 1 ({})",
                      index_str(g, planes->shape), v,
                      opts.alphabet == KcnnAlphabet::pm1 ? "0 means -1, 1 means +1" : "0 and 1"));
  }

  check_scale_dtype(*alpha, file, alpha_name);
  check_shape(*alpha, k2d ? std::vector<uint64_t>{q.n, q.c, m} : std::vector<uint64_t>{q.n, m},
              file, alpha_name, k2d ? "[N, C/groups, M] for kernel2d" : "[N, M] for filter3d");
  if (beta) {
    check_scale_dtype(*beta, file, beta_name);
    check_shape(*beta, k2d ? std::vector<uint64_t>{q.n, q.c} : std::vector<uint64_t>{q.n}, file,
                beta_name, k2d ? "[N, C/groups] for kernel2d" : "[N] for filter3d");
  }
  if (opts.scale_format == KcnnScaleFormat::fixed) {
    double maxabs = 0;
    for (double v : alpha->values)
      if (std::isfinite(v)) maxabs = std::max(maxabs, std::fabs(v));
    if (beta)
      for (double v : beta->values)
        if (std::isfinite(v)) maxabs = std::max(maxabs, std::fabs(v));
    q.fixed_exponent = kcnn_fixed_exponent(maxabs, opts.fixed_bits);
  }
  check_scales(*alpha, opts, q.fixed_exponent, file, alpha_name);
  q.alpha.assign(alpha->values.begin(), alpha->values.end());
  if (beta) {
    check_scales(*beta, opts, q.fixed_exponent, file, beta_name);
    q.beta.assign(beta->values.begin(), beta->values.end());
  }
  return q;
}

std::vector<std::optional<KcnnLayerWeights>> import_kcnn_arrays(
    const std::map<std::string, NpyArray>& arrays, const std::string& file, const Workload& w,
    const KcnnOptions& opts) {
  std::vector<std::optional<KcnnLayerWeights>> out(w.layers.size());
  std::set<std::string> used;
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const Layer& l = w.layers[i];
    out[i] = import_kcnn_layer(arrays, file, l, opts);
    for (const auto& name :
         {kcnn_planes_array(l.name), kcnn_alpha_array(l.name), kcnn_beta_array(l.name)})
      used.insert(name);
  }
  for (const auto& [name, arr] : arrays)
    if (is_kcnn_array_name(name) && !used.count(name))
      throw InputError(file, name,
                       "no layer of the workload has this KCNN array (expected "
                       "\"<layer>.kcnn_planes\", \"<layer>.kcnn_alpha\" or "
                       "\"<layer>.kcnn_beta\")");
  return out;
}

std::vector<std::optional<KcnnLayerWeights>> import_kcnn_weights(const std::string& path,
                                                                 const Workload& w,
                                                                 const KcnnOptions& opts) {
  return import_kcnn_arrays(read_npz(path), path, w, opts);
}

}  // namespace kq
