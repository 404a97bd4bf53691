#include "models/quant/kq_import.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>

#include "models/common/input_error.hpp"

namespace kq {
namespace {

constexpr const char* kSuffixes[] = {".kq_indices", ".kq_codebook", ".kq_scale", ".kq_lut"};

std::string shape_str(const std::vector<uint64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

/// Splits "<layer><suffix>" into layer name and suffix index; -1 if no KQ suffix matches.
int split_member(const std::string& member, std::string& layer) {
  for (int i = 0; i < 4; ++i) {
    const std::string suffix = kSuffixes[i];
    if (member.size() > suffix.size() &&
        member.compare(member.size() - suffix.size(), suffix.size(), suffix) == 0) {
      layer = member.substr(0, member.size() - suffix.size());
      return i;
    }
  }
  return -1;
}

/// Checks that every element is a finite integer in [lo, hi] and returns them. `what` names
/// the range in the message.
std::vector<int64_t> integers_in(const NpyArray& a, const std::string& file,
                                 const std::string& member, int64_t lo, int64_t hi,
                                 const std::string& what) {
  std::vector<int64_t> out(a.values.size());
  for (size_t i = 0; i < a.values.size(); ++i) {
    const double v = a.values[i];
    if (!std::isfinite(v) || v != std::floor(v))
      throw InputError(file, member, fmt::format("element {} = {} is not an integer", i, v));
    if (v < static_cast<double>(lo) || v > static_cast<double>(hi))
      throw InputError(file, member, fmt::format("element {} = {} is outside {}", i, v, what));
    out[i] = static_cast<int64_t>(v);
  }
  return out;
}

void expect_shape(const NpyArray& a, const std::vector<uint64_t>& shape, const std::string& file,
                  const std::string& member) {
  if (a.shape != shape)
    throw InputError(
        file, member,
        fmt::format("expected shape {}, got {}", shape_str(shape), shape_str(a.shape)));
}

struct LayerArrays {
  const NpyArray* part[4] = {nullptr, nullptr, nullptr, nullptr};
};

KqLayerWeights import_layer(const Layer& l, const LayerArrays& arrays, const std::string& file,
                            const KqOptions& o) {
  const std::string name_idx = l.name + kSuffixes[0], name_cb = l.name + kSuffixes[1],
                    name_scale = l.name + kSuffixes[2], name_lut = l.name + kSuffixes[3];
  const NpyArray* idx = arrays.part[0];
  const NpyArray* cb = arrays.part[1];
  const NpyArray* scale = arrays.part[2];
  const NpyArray* lut = arrays.part[3];
  if (!idx) throw InputError(file, name_idx, "missing (the layer has other KQ arrays)");
  if (!cb) throw InputError(file, name_cb, "missing (the layer has other KQ arrays)");
  const bool uniform = o.codebook_quant == KqCodebookQuant::uniform;
  if (uniform && lut)
    throw InputError(file, name_lut,
                     "a LUT codebook, but the options say codebook_quant = uniform");
  if (!uniform && scale)
    throw InputError(file, name_scale,
                     "a uniform-codebook scale, but the options say "
                     "codebook_quant = lut");

  KqLayerWeights w;
  w.geometry = kq_geometry(l);
  const KqGeometry& g = w.geometry;

  // Codebook first: its rows define K, the range of the indices.
  if (cb->shape.size() != 3 || cb->shape[1] != g.kh || cb->shape[2] != g.kw || cb->shape[0] == 0)
    throw InputError(file, name_cb,
                     fmt::format("expected shape [K, {}, {}] with K >= 1, got {}", g.kh, g.kw,
                                 shape_str(cb->shape)));
  if (cb->shape[0] > (uint64_t{1} << 31))
    throw InputError(file, name_cb, fmt::format("K = {} codewords exceeds 2^31", cb->shape[0]));
  w.codewords = static_cast<uint32_t>(cb->shape[0]);
  w.index_bits = index_bits_for(w.codewords);
  w.codebook_bits = o.codebook_bits;
  w.codebook_quant = o.codebook_quant;
  w.side_info_bits = o.side_info_bits();

  // One index per kernel (n, c): [N, C/g] for conv, [N, C·H·W] for fc.
  expect_shape(*idx, {g.out_channels, g.in_channels_per_group}, file, name_idx);
  for (int64_t v :
       integers_in(*idx, file, name_idx, 0, int64_t{w.codewords} - 1,
                   fmt::format("[0, K) with K = {} (rows of {})", w.codewords, name_cb)))
    w.indices.push_back(static_cast<uint32_t>(v));

  const int64_t half = int64_t{1} << (o.codebook_bits - 1);
  if (scale) {
    if (!(scale->shape.empty() || scale->shape == std::vector<uint64_t>{1}))
      throw InputError(file, name_scale,
                       fmt::format("expected shape [1] or [], got {}", shape_str(scale->shape)));
    const double s = scale->values[0];
    if (!std::isfinite(s) || !(s > 0) || !std::isfinite(static_cast<float>(s)) ||
        !(static_cast<float>(s) > 0))
      throw InputError(file, name_scale,
                       fmt::format("the scale {} is not a finite positive float", s));
    w.scale = static_cast<float>(s);
    for (int64_t v : integers_in(
             *cb, file, name_cb, -half, half - 1,
             fmt::format("the {}-bit code range [{}, {}]", o.codebook_bits, -half, half - 1)))
      w.codebook_codes.push_back(static_cast<int32_t>(v));
  } else if (lut) {
    const uint64_t levels = uint64_t{1} << o.codebook_bits;
    expect_shape(*lut, {levels}, file, name_lut);
    for (size_t i = 0; i < lut->values.size(); ++i) {
      const float v = static_cast<float>(lut->values[i]);
      if (!std::isfinite(v))
        throw InputError(file, name_lut, fmt::format("element {} is not a finite float", i));
      w.lut.push_back(v);
    }
    for (int64_t v : integers_in(*cb, file, name_cb, 0, static_cast<int64_t>(levels) - 1,
                                 fmt::format("the LUT index range [0, {}]", levels - 1)))
      w.codebook_codes.push_back(static_cast<int32_t>(v));
  } else {
    // An unquantized codebook: float values, quantized here like a fitted one.
    std::vector<float> values(cb->values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      values[i] = static_cast<float>(cb->values[i]);
      if (!std::isfinite(values[i]))
        throw InputError(file, name_cb, fmt::format("element {} is not a finite float", i));
    }
    QuantizedCodebook q = quantize_codebook(values, o.codebook_quant, o.codebook_bits);
    w.codebook_codes = std::move(q.codes);
    w.scale = q.scale;
    w.lut = std::move(q.lut);
  }
  w.check_consistent();  // guards this function, not the file: every field was checked above
  return w;
}

}  // namespace

std::vector<std::optional<KqLayerWeights>> import_kq_arrays(
    const std::map<std::string, NpyArray>& arrays, const std::string& file, const Workload& w,
    const KqOptions& o) {
  o.validate();
  std::map<int, LayerArrays> by_layer;
  for (const auto& [member, array] : arrays) {
    std::string layer_name;
    const int part = split_member(member, layer_name);
    if (part < 0)
      throw InputError(file, member,
                       "not a KQ array (expected \"<layer>.kq_indices\", \"<layer>.kq_codebook\", "
                       "\"<layer>.kq_scale\" or \"<layer>.kq_lut\")");
    const int li = w.find(layer_name);
    if (li < 0)
      throw InputError(file, member, fmt::format("the workload has no layer \"{}\"", layer_name));
    const Layer& l = w.layers[static_cast<size_t>(li)];
    if (!o.applies_to(l))
      throw InputError(
          file, member,
          fmt::format("layer \"{}\" ({}) is not quantized by KQ{}", l.name, to_string(l.type),
                      l.type == LayerType::fc ? " (fc needs count_fc)" : ""));
    by_layer[li].part[part] = &array;
  }
  std::vector<std::optional<KqLayerWeights>> out(w.layers.size());
  for (const auto& [li, parts] : by_layer)
    out[static_cast<size_t>(li)] = import_layer(w.layers[static_cast<size_t>(li)], parts, file, o);
  return out;
}

std::vector<std::optional<KqLayerWeights>> import_kq_npz(const std::string& path, const Workload& w,
                                                         const KqOptions& o) {
  return import_kq_arrays(read_npz(path), path, w, o);
}

}  // namespace kq
