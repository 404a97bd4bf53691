#include "models/workload/workload.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cfloat>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>

#include "models/common/input_error.hpp"
#include "models/config/json_reader.hpp"
#include "models/workload/scalesim_csv.hpp"

namespace kq {
namespace {

using nlohmann::json;

// Layer geometry is stored as uint32; every size in a workload file is bounded by that.
constexpr uint64_t kMaxDim = UINT32_MAX;
constexpr size_t kMaxLayers = 1'000'000;
constexpr size_t kMaxNameLength = 128;

// Echoes user text inside a one-line message: JSON string escaping turns control characters
// (newlines above all) into escapes, and truncation keeps the line short.
std::string echo(const std::string& s) {
  std::string q = json(s).dump(-1, ' ', false, json::error_handler_t::replace);
  if (q.size() > 60) q = q.substr(0, 56) + "...\"";
  return q;
}

// A JSON pointer token as RFC 6901 escapes it, with control characters escaped as well: the
// pointer is printed inside a one-line error message.
std::string pointer_token(const std::string& key) {
  std::string out;
  for (unsigned char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else if (c < 0x20 || c == 0x7f)
      out += fmt::format("\\x{:02x}", c);
    else
      out += static_cast<char>(c);
  }
  if (out.size() > 60) out = out.substr(0, 57) + "...";
  return out;
}

std::string json_type(const json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) return "an integer";
  if (v.is_number_float()) return "a number";
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  return "null";
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// Keys each layer type accepts; a key valid for another type gets a more helpful message than
// a plain typo.
const std::vector<std::string>& layer_keys(LayerType t) {
  static const std::vector<std::string> conv = {"name",   "type",   "input",    "out_channels",
                                                "kernel", "stride", "padding",  "dilation",
                                                "groups", "bias",   "ceil_mode"};
  static const std::vector<std::string> fc = {"name", "type", "input", "out_features", "bias"};
  static const std::vector<std::string> relu = {"name", "type", "input", "cap"};
  static const std::vector<std::string> pool = {"name",   "type",    "input",     "kernel",
                                                "stride", "padding", "ceil_mode", "global"};
  static const std::vector<std::string> add = {"name", "type", "inputs"};
  static const std::vector<std::string> bn = {"name", "type", "input"};
  switch (t) {
    case LayerType::conv2d:
      return conv;
    case LayerType::fc:
      return fc;
    case LayerType::relu:
      return relu;
    case LayerType::maxpool:
    case LayerType::avgpool:
      return pool;
    case LayerType::add:
      return add;
    case LayerType::batchnorm:
      return bn;
  }
  return bn;
}

constexpr std::array<LayerType, 7> kAllLayerTypes = {
    LayerType::conv2d,  LayerType::fc,  LayerType::relu,     LayerType::maxpool,
    LayerType::avgpool, LayerType::add, LayerType::batchnorm};

bool is_key_of_some_layer(const std::string& key) {
  for (LayerType t : kAllLayerTypes) {
    const auto& keys = layer_keys(t);
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) return true;
  }
  return false;
}

// Rejects keys outside `allowed` before anything is read, so the message lists what the
// object may hold (ObjReader::finish() stays as a backstop).
void reject_unknown_keys(const json& obj, const ObjReader& r,
                         const std::vector<std::string>& allowed, const std::string& what,
                         bool layer) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) != allowed.end()) continue;
    const std::string where = r.pointer() + "/" + pointer_token(it.key());
    if (layer && is_key_of_some_layer(it.key()))
      throw InputError(
          r.file(), where,
          fmt::format("key not valid for {} (expected one of: {})", what, join(allowed)));
    throw InputError(r.file(), where,
                     fmt::format("unknown key in {} (expected one of: {})", what, join(allowed)));
  }
}

std::string name_rule() {
  return fmt::format("1 to {} characters from A-Z a-z 0-9 _ . : / + -", kMaxNameLength);
}

// Reads kernel/stride/padding/dilation: an integer for both dimensions or an [h, w] pair.
std::array<uint32_t, 2> get_hw(ObjReader& r, const std::string& key, uint32_t fallback,
                               uint64_t min) {
  if (!r.has(key)) return {fallback, fallback};
  const json& v = r.raw(key);
  if (v.is_array()) {
    if (v.size() != 2)
      r.fail(key, fmt::format("expected an integer or an [h, w] pair of integers in [{}, {}], got "
                              "an array of {} elements",
                              min, kMaxDim, v.size()));
    const auto hw = r.get_u64_array(key, 2, 2, min, kMaxDim);
    return {static_cast<uint32_t>(hw[0]), static_cast<uint32_t>(hw[1])};
  }
  if (!v.is_number())
    r.fail(key, fmt::format("expected an integer or an [h, w] pair of integers in [{}, {}], got {}",
                            min, kMaxDim, json_type(v)));
  const auto x = static_cast<uint32_t>(r.get_u64(key, min, kMaxDim));
  return {x, x};
}

std::optional<LayerType> parse_layer_type(const std::string& s) {
  for (LayerType t : kAllLayerTypes)
    if (to_string(t) == s) return t;
  return std::nullopt;
}

class Parser {
 public:
  Parser(const json& doc, std::string file) : doc_(doc), file_(std::move(file)) {}

  Workload parse() {
    ObjReader top(doc_, file_, "");
    reject_unknown_keys(doc_, top, {"name", "description", "input", "layers"}, "a workload", false);
    Workload w;
    w.file = file_;
    w.name = top.get_string("name");
    if (!valid_workload_name(w.name))
      top.fail("name", fmt::format("expected a workload name of 1 to {} characters from A-Z a-z "
                                   "0-9 _ . + - not starting with a dot, got {}",
                                   kMaxNameLength, echo(w.name)));
    (void)top.get_string_or("description", "");  // documentation for readers only

    ObjReader in = top.object("input");
    reject_unknown_keys(doc_.at("input"), in, {"channels", "height", "width"}, "\"input\"", false);
    w.input.c = in.get_u64("channels", 1, kMaxDim);
    w.input.h = in.get_u64("height", 1, kMaxDim);
    w.input.w = in.get_u64("width", 1, kMaxDim);
    in.finish();

    const json& layers = top.raw("layers");
    if (!layers.is_array())
      top.fail("layers",
               fmt::format("expected an array of layer objects, got {}", json_type(layers)));
    if (layers.empty() || layers.size() > kMaxLayers)
      top.fail("layers", fmt::format("expected 1 to {} layers, got {}", kMaxLayers, layers.size()));
    // Names declared anywhere, to tell a forward reference from a misspelt one.
    for (size_t i = 0; i < layers.size(); ++i) {
      const json& l = layers[i];
      if (l.is_object() && l.contains("name") && l["name"].is_string())
        declared_.emplace(l["name"].get<std::string>(), static_cast<int>(i));
    }
    for (size_t i = 0; i < layers.size(); ++i) w.layers.push_back(parse_layer(layers[i], i));
    top.finish();
    infer_shapes(w);
    return w;
  }

 private:
  Layer parse_layer(const json& j, size_t index) {
    const int i = static_cast<int>(index);
    ObjReader r(j, file_, "/layers/" + std::to_string(index));
    Layer l;
    l.name = r.get_string("name");
    if (!valid_layer_name(l.name))
      r.fail("name", fmt::format("expected a layer name of {}, got {}", name_rule(), echo(l.name)));
    if (l.name == "input")
      r.fail("name", "\"input\" is reserved for the network input; expected another layer name");
    if (auto it = defined_.find(l.name); it != defined_.end())
      r.fail("name", fmt::format("duplicate layer name {} (first used by /layers/{}); expected "
                                 "unique names",
                                 echo(l.name), it->second));

    const std::string type_name = r.get_string("type");
    const auto type = parse_layer_type(type_name);
    if (!type)
      r.fail("type", fmt::format("expected one of conv2d, fc, relu, maxpool, avgpool, add, "
                                 "batchnorm, got {}",
                                 echo(type_name)));
    l.type = *type;
    reject_unknown_keys(j, r, layer_keys(l.type), fmt::format("a {} layer", type_name), true);

    if (l.type == LayerType::add) {
      const json& v = r.raw("inputs");
      if (!v.is_array() || v.size() != 2)
        r.fail("inputs",
               fmt::format("expected an array of exactly 2 layer names, got {}{}", json_type(v),
                           v.is_array() ? fmt::format(" of {} elements", v.size()) : ""));
      for (size_t k = 0; k < 2; ++k)
        l.inputs.push_back(resolve(v[k], r.pointer("inputs") + "/" + std::to_string(k), i));
    } else if (r.has("input")) {
      l.inputs.push_back(resolve(r.raw("input"), r.pointer("input"), i));
    } else {
      l.inputs.push_back(i - 1);  // the previous layer; -1 (network input) for the first
    }

    switch (l.type) {
      case LayerType::conv2d: {
        l.out.c = r.get_u64("out_channels", 1, kMaxDim);
        if (!r.has("kernel")) r.raw("kernel");  // required: raises "missing required key"
        const auto k = get_hw(r, "kernel", 1, 1);
        const auto s = get_hw(r, "stride", 1, 1);
        const auto p = get_hw(r, "padding", 0, 0);
        const auto d = get_hw(r, "dilation", 1, 1);
        l.kh = k[0], l.kw = k[1], l.sh = s[0], l.sw = s[1];
        l.ph = p[0], l.pw = p[1], l.dh = d[0], l.dw = d[1];
        l.groups = static_cast<uint32_t>(r.get_u64_or("groups", 1, 1, kMaxDim));
        l.bias = r.get_bool_or("bias", false);
        l.ceil_mode = r.get_bool_or("ceil_mode", false);
        break;
      }
      case LayerType::fc:
        l.out.c = r.get_u64("out_features", 1, kMaxDim);
        l.bias = r.get_bool_or("bias", false);
        break;
      case LayerType::relu:
        if (r.has("cap")) {
          const double cap = r.get_double("cap", 0, FLT_MAX);
          if (!(cap > 0)) r.fail("cap", "expected a positive upper clip (6 for ReLU6), got 0");
          l.relu_cap = static_cast<float>(cap);
        }
        break;
      case LayerType::maxpool:
      case LayerType::avgpool:
        l.global_pool = r.get_bool_or("global", false);
        if (l.global_pool) {
          for (const char* key : {"kernel", "stride", "padding", "ceil_mode"})
            if (r.has(key))
              r.fail(key,
                     "not valid with \"global\": true (the window is the whole input); "
                     "expected no such key");
        } else {
          if (!r.has("kernel")) r.raw("kernel");  // required: raises "missing required key"
          const auto k = get_hw(r, "kernel", 1, 1);
          // PyTorch's pooling default: the stride is the kernel size.
          const auto s = r.has("stride") ? get_hw(r, "stride", 1, 1) : k;
          const auto p = get_hw(r, "padding", 0, 0);
          l.kh = k[0], l.kw = k[1], l.sh = s[0], l.sw = s[1], l.ph = p[0], l.pw = p[1];
          l.ceil_mode = r.get_bool_or("ceil_mode", false);
        }
        break;
      case LayerType::add:
      case LayerType::batchnorm:
        break;
    }
    r.finish();
    defined_.emplace(l.name, i);
    return l;
  }

  // A layer reference: "input" or the name of an earlier layer.
  int resolve(const json& v, const std::string& pointer, int self) {
    if (!v.is_string())
      throw InputError(file_, pointer,
                       fmt::format("expected a layer name or \"input\", got {}", json_type(v)));
    const std::string s = v.get<std::string>();
    if (s == "input") return -1;
    if (auto it = defined_.find(s); it != defined_.end()) return it->second;
    const auto [first, last] = declared_.equal_range(s);
    for (auto it = first; it != last; ++it)
      if (it->second == self)
        throw InputError(
            file_, pointer,
            fmt::format("layer {} reads its own output; expected an earlier layer", echo(s)));
    for (auto it = first; it != last; ++it)
      if (it->second > self)
        throw InputError(file_, pointer,
                         fmt::format("forward reference to {} (/layers/{}); expected a layer "
                                     "listed earlier (layers must be in topological order)",
                                     echo(s), it->second));
    throw InputError(
        file_, pointer,
        fmt::format("no layer named {}; expected \"input\" or an earlier layer's name", echo(s)));
  }

  const json& doc_;
  std::string file_;
  std::unordered_multimap<std::string, int> declared_;
  std::unordered_map<std::string, int> defined_;
};

// --- shape inference ------------------------------------------------------------------------

struct Checked {
  bool overflow = false;
  uint64_t mul(uint64_t a, uint64_t b) {
    uint64_t r = 0;
    overflow |= __builtin_mul_overflow(a, b, &r);
    return r;
  }
  uint64_t add(uint64_t a, uint64_t b) {
    uint64_t r = 0;
    overflow |= __builtin_add_overflow(a, b, &r);
    return r;
  }
};

uint64_t ceil_div(uint64_t a, uint64_t b) {
  return a / b + (a % b != 0);
}

/// Output extent of a sliding window; 0 when the window does not fit. PyTorch's rule, with
/// ceil rounding when asked; for pooling in ceil mode the last window must also start inside
/// the input or its left padding (PyTorch drops it otherwise).
uint64_t window_out(uint64_t in, uint32_t k, uint32_t s, uint32_t p, uint32_t d, bool ceil_mode,
                    bool pool, bool& overflow) {
  const uint64_t span = uint64_t{d} * (k - 1) + 1;  // < 2^64: both factors < 2^32
  uint64_t padded = 0;
  if (__builtin_add_overflow(in, 2 * uint64_t{p}, &padded)) {
    overflow = true;
    return 0;
  }
  if (padded < span) return 0;
  const uint64_t num = padded - span;
  uint64_t out = (ceil_mode ? ceil_div(num, s) : num / s) + 1;
  if (ceil_mode && pool && out - 1 >= ceil_div(in + p, s)) --out;
  return out;
}

}  // namespace

bool valid_layer_name(const std::string& s) {
  if (s.empty() || s.size() > kMaxNameLength) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == ':' || c == '/' || c == '+' || c == '-';
  });
}

bool valid_workload_name(const std::string& s) {
  return valid_layer_name(s) && s.front() != '.' && s.find_first_of(":/") == std::string::npos;
}

uint64_t Workload::total_macs() const {
  uint64_t sum = 0;
  for (const auto& l : layers) sum += l.macs();
  return sum;
}

uint64_t Workload::total_params() const {
  uint64_t sum = 0;
  for (const auto& l : layers) sum += l.params();
  return sum;
}

int Workload::find(const std::string& layer_name) const {
  for (size_t i = 0; i < layers.size(); ++i)
    if (layers[i].name == layer_name) return static_cast<int>(i);
  return -1;
}

void infer_shapes(Workload& w) {
  infer_shapes(w, [](int layer, const std::string& key) {
    std::string base = layer < 0 ? "/input" : "/layers/" + std::to_string(layer);
    return key.empty() ? base : base + "/" + key;
  });
}

void infer_shapes(Workload& w, const ShapeErrorLocator& where) {
  auto fail = [&](int layer, const std::string& key, const std::string& message) {
    throw InputError(w.file, where(layer, key), message);
  };
  auto check_input_shape = [&](const Shape& s, int layer, const char* what) {
    if (s.c == 0 || s.h == 0 || s.w == 0)
      fail(layer, "",
           fmt::format("{} shape {}x{}x{} has a zero size; expected every size >= 1", what, s.c,
                       s.h, s.w));
    Checked c;
    c.mul(c.mul(s.c, s.h), s.w);
    if (c.overflow)
      fail(layer, "",
           fmt::format("{} shape {}x{}x{} has more than 2^64 elements", what, s.c, s.h, s.w));
  };
  if (!w.independent_layers || w.layers.empty()) check_input_shape(w.input, -1, "input");

  Checked totals;
  uint64_t total_macs = 0, total_params = 0;
  for (size_t idx = 0; idx < w.layers.size(); ++idx) {
    Layer& l = w.layers[idx];
    const int i = static_cast<int>(idx);
    const bool is_add = l.type == LayerType::add;
    const std::string ref_key = is_add ? "inputs" : "input";
    const size_t want = is_add ? 2 : 1;
    if (l.inputs.size() != want)
      fail(i, ref_key, fmt::format("expected {} producer(s), got {}", want, l.inputs.size()));
    for (int r : l.inputs)
      if (r < -1 || r >= i)
        fail(i, ref_key,
             fmt::format("reads layer #{}; expected an earlier layer (topological order)", r));

    auto producer_shape = [&](int r) -> Shape {
      if (r >= 0) return w.layers[static_cast<size_t>(r)].out;
      if (w.independent_layers) {
        check_input_shape(l.in, i, "layer input");
        return l.in;
      }
      return w.input;
    };
    l.in = producer_shape(l.inputs[0]);
    const Shape& in = l.in;

    Checked c;
    switch (l.type) {
      case LayerType::conv2d: {
        if (l.out.c == 0) fail(i, "out_channels", "expected out_channels >= 1, got 0");
        if (l.kh == 0 || l.kw == 0) fail(i, "kernel", "expected a kernel size >= 1, got 0");
        if (l.sh == 0 || l.sw == 0) fail(i, "stride", "expected a stride >= 1, got 0");
        if (l.dh == 0 || l.dw == 0) fail(i, "dilation", "expected a dilation >= 1, got 0");
        if (l.groups == 0 || in.c % l.groups != 0 || l.out.c % l.groups != 0)
          fail(i, "groups",
               fmt::format("expected groups to divide the {} input channels and {} output "
                           "channels, got {}",
                           in.c, l.out.c, l.groups));
        bool ovf = false;
        const uint64_t oh = window_out(in.h, l.kh, l.sh, l.ph, l.dh, l.ceil_mode, false, ovf);
        const uint64_t ow = window_out(in.w, l.kw, l.sw, l.pw, l.dw, l.ceil_mode, false, ovf);
        if (ovf) fail(i, "padding", "input plus padding exceeds 2^64");
        if (oh == 0 || ow == 0)
          fail(i, "kernel",
               fmt::format("window {}x{} (dilation {}x{}) does not fit the {}x{} input with "
                           "padding {}x{}: output would be empty; expected a window that fits",
                           l.kh, l.kw, l.dh, l.dw, in.h, in.w, l.ph, l.pw));
        l.out.h = oh;
        l.out.w = ow;
        break;
      }
      case LayerType::fc:
        if (l.out.c == 0) fail(i, "out_features", "expected out_features >= 1, got 0");
        l.out.h = l.out.w = 1;
        break;
      case LayerType::relu:
      case LayerType::batchnorm:
        l.out = in;
        break;
      case LayerType::maxpool:
      case LayerType::avgpool: {
        if (l.global_pool) {
          if (in.h > kMaxDim || in.w > kMaxDim)
            fail(i, "global",
                 fmt::format("global pooling window {}x{} exceeds 2^32-1", in.h, in.w));
          l.kh = static_cast<uint32_t>(in.h), l.kw = static_cast<uint32_t>(in.w);
          l.sh = l.sw = 1, l.ph = l.pw = 0, l.dh = l.dw = 1;
          l.ceil_mode = false;
          l.out = {in.c, 1, 1};
          break;
        }
        if (l.kh == 0 || l.kw == 0) fail(i, "kernel", "expected a kernel size >= 1, got 0");
        if (l.sh == 0 || l.sw == 0) fail(i, "stride", "expected a stride >= 1, got 0");
        if (l.dh == 0 || l.dw == 0) fail(i, "dilation", "expected a dilation >= 1, got 0");
        // PyTorch's rule: a window must never lie entirely in the padding (a max over padding
        // alone has no defined value).
        if (2 * uint64_t{l.ph} > l.kh || 2 * uint64_t{l.pw} > l.kw)
          fail(i, "padding",
               fmt::format("expected padding at most half the kernel {}x{}, got {}x{}", l.kh, l.kw,
                           l.ph, l.pw));
        bool ovf = false;
        const uint64_t oh = window_out(in.h, l.kh, l.sh, l.ph, l.dh, l.ceil_mode, true, ovf);
        const uint64_t ow = window_out(in.w, l.kw, l.sw, l.pw, l.dw, l.ceil_mode, true, ovf);
        if (ovf) fail(i, "padding", "input plus padding exceeds 2^64");
        if (oh == 0 || ow == 0)
          fail(i, "kernel",
               fmt::format("window {}x{} does not fit the {}x{} input with padding {}x{}: output "
                           "would be empty; expected a window that fits",
                           l.kh, l.kw, in.h, in.w, l.ph, l.pw));
        l.out = {in.c, oh, ow};
        break;
      }
      case LayerType::add: {
        const Shape other = producer_shape(l.inputs[1]);
        if (other != in)
          fail(i, "inputs",
               fmt::format("operand shapes {}x{}x{} and {}x{}x{} differ; expected identical "
                           "shapes",
                           in.c, in.h, in.w, other.c, other.h, other.w));
        l.out = in;
        break;
      }
    }

    // Every count the simulator derives must fit in 64 bits; past this point Layer's methods
    // multiply unchecked.
    c.mul(c.mul(l.out.c, l.out.h), l.out.w);
    if (c.overflow) fail(i, "", "output has more than 2^64 elements");
    if (l.type == LayerType::conv2d) {
      const uint64_t p = c.mul(l.out.h, l.out.w);
      const uint64_t k = c.mul(c.mul(in.c / l.groups, l.kh), l.kw);
      const uint64_t n = l.out.c / l.groups;
      const uint64_t weights = c.mul(c.mul(k, n), l.groups);
      c.mul(weights, p);
      c.add(weights, l.out.c);
      if (c.overflow) fail(i, "", "MAC or parameter count overflows 64 bits");
    } else if (l.type == LayerType::fc) {
      const uint64_t weights = c.mul(in.elements(), l.out.c);
      c.add(weights, l.out.c);
      if (c.overflow) fail(i, "", "MAC or parameter count overflows 64 bits");
    } else if (l.type == LayerType::batchnorm) {
      c.mul(in.c, 2);
      if (c.overflow) fail(i, "", "parameter count overflows 64 bits");
    }
    total_macs = totals.add(total_macs, l.macs());
    total_params = totals.add(total_params, l.params());
    if (totals.overflow)
      fail(i, "", "the workload's total MAC or parameter count overflows 64 bits");
  }
  if (w.independent_layers && !w.layers.empty()) w.input = w.layers.front().in;
}

Workload workload_from_json(const std::string& text, const std::string& file_name) {
  const json doc = parse_json_text(text, file_name);
  return Parser(doc, file_name).parse();
}

Workload load_workload(const std::string& path) {
  const bool csv = path.size() >= 4 && [&] {
    std::string ext = path.substr(path.size() - 4);
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return ext == ".csv";
  }();
  if (csv) return load_scalesim_csv(path);
  const json doc = parse_json_file(path);
  return Parser(doc, path).parse();
}

}  // namespace kq
