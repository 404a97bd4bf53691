#include "models/onnx/onnx_graph_import.hpp"

#include <fmt/format.h>

#include <array>
#include <climits>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "models/common/input_error.hpp"
#include "models/onnx/batchnorm_fold.hpp"
#include "models/onnx/onnx_attributes.hpp"
#include "models/onnx/onnx_tensor.hpp"

namespace kq {
namespace {

// Layer geometry is stored as uint32 (as in workload files).
constexpr int64_t kMaxDim = UINT32_MAX;
constexpr size_t kMaxNameLength = 128;

const char* const kSupportedOps =
    "Conv, Gemm, MatMul, Relu, Clip, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, "
    "Add, Flatten, Reshape, BatchNormalization, Identity, Dropout, Constant";

/// An activation tensor of the graph. kqsim keeps one sample in C×H×W order; ONNX's NCHW and
/// its flattened [N, C·H·W] form hold the same values in the same order, so flattening is
/// only a flag on the producer's output.
struct Value {
  int layer = -1;       ///< producing layer; -1 for the graph input
  bool flat = false;    ///< ONNX rank 2 ([N, features]) rather than [N, C, H, W]
  bool direct = false;  ///< the layer's own output, not an alias (folding needs this)
};

std::string dims_str(const std::vector<int64_t>& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + "]";
}

std::string quoted(const std::string& s) {
  return "\"" + onnx_printable(s, 80) + "\"";
}

std::string sanitize_name(const std::string& raw) {
  std::string s;
  for (char c : raw) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == ':' || c == '/' || c == '+' || c == '-';
    s += ok ? c : '_';
  }
  if (s.size() > kMaxNameLength) s.resize(kMaxNameLength);
  return s;
}

class GraphImporter {
 public:
  GraphImporter(onnx::GraphProto& g, const std::string& file, const std::string& dir,
                const std::string& name)
      : g_(g), file_(file), dir_(dir) {
    w_.name = name;
    w_.file = file;
  }

  OnnxGraphImport run() {
    count_uses();
    read_recorded_shapes();
    for (auto& t : *g_.mutable_initializer()) {
      const std::string where = "initializer " + quoted(t.name());
      if (t.name().empty()) throw InputError(file_, where, "initializer without a name");
      if (consts_.count(t.name())) throw InputError(file_, where, "defined twice");
      consts_.emplace(t.name(), decode_onnx_tensor(t, file_, where, dir_));
      // Release the encoded copy: a ResNet-50 holds 100 MB of weights.
      std::string().swap(*t.mutable_raw_data());
      google::protobuf::RepeatedField<float>().Swap(t.mutable_float_data());
    }
    read_graph_input();
    for (int i = 0; i < g_.node_size(); ++i) import_node(g_.node(i), i);
    return finish();
  }

 private:
  // --- graph input and output -------------------------------------------------------------

  void read_graph_input() {
    // Before IR version 4 every initializer was also listed as a graph input.
    std::vector<const onnx::ValueInfoProto*> real;
    for (const auto& in : g_.input())
      if (!consts_.count(in.name())) real.push_back(&in);
    if (real.size() != 1)
      throw InputError(file_, "graph",
                       fmt::format("has {} inputs that are not initializers; kqsim expects "
                                   "exactly one (the image batch)",
                                   real.size()));
    const onnx::ValueInfoProto& in = *real[0];
    const std::string where = "graph input " + quoted(in.name());
    input_name_ = in.name();
    if (!in.type().has_tensor_type())
      throw InputError(file_, where, "is not a tensor; expected a float32 [N, C, H, W] tensor");
    const auto& tt = in.type().tensor_type();
    if (tt.elem_type() != onnx::TensorProto::FLOAT)
      throw InputError(
          file_, where,
          fmt::format("has element type {}; expected float32", onnx_type_name(tt.elem_type())));
    if (!tt.has_shape())
      throw InputError(file_, where, "has no shape; export with a fixed input size");
    std::vector<int64_t> d;
    for (const auto& dim : tt.shape().dim())
      d.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
    if (d.size() != 4 && d.size() != 2)
      throw InputError(
          file_, where,
          fmt::format("has rank {}; expected [N, C, H, W] (or [N, features])", d.size()));
    batch_ = d[0] >= 1 ? d[0] : 1;
    for (size_t k = 1; k < d.size(); ++k)
      if (d[k] < 1 || d[k] > kMaxDim)
        throw InputError(file_, where,
                         fmt::format("dimension {} is {}; kqsim needs a fixed size in [1, 2^32-1] "
                                     "for every dimension but the batch (export with a fixed "
                                     "input size)",
                                     k, d[k] < 0 ? "symbolic" : std::to_string(d[k])));
    if (d.size() == 4)
      w_.input = {static_cast<uint64_t>(d[1]), static_cast<uint64_t>(d[2]),
                  static_cast<uint64_t>(d[3])};
    else
      w_.input = {static_cast<uint64_t>(d[1]), 1, 1};
    values_[in.name()] = Value{-1, d.size() == 2, false};
  }

  OnnxGraphImport finish() {
    if (g_.output_size() != 1)
      throw InputError(file_, "graph",
                       fmt::format("has {} outputs; kqsim expects one (the classifier's output)",
                                   g_.output_size()));
    const std::string out = g_.output(0).name();
    const std::string where = "graph output " + quoted(out);
    auto it = values_.find(out);
    if (it == values_.end())
      throw InputError(file_, where,
                       consts_.count(out) ? "is a constant; expected a computed tensor"
                                          : "is not produced by any node");
    if (it->second.layer < 0)
      throw InputError(file_, where, "is the graph input itself; the graph computes nothing");
    // Keep only layers the output depends on (a graph may carry unused branches).
    const size_t n = w_.layers.size();
    std::vector<bool> live(n, false);
    live[static_cast<size_t>(it->second.layer)] = true;
    for (size_t i = n; i-- > 0;)
      if (live[i])
        for (int src : w_.layers[i].inputs)
          if (src >= 0) live[static_cast<size_t>(src)] = true;
    OnnxGraphImport r;
    std::vector<int> remap(n, -1);
    std::vector<std::string> where_of;
    r.workload.name = w_.name;
    r.workload.file = w_.file;
    r.workload.input = w_.input;
    for (size_t i = 0; i < n; ++i) {
      if (!live[i]) {
        r.pruned_nodes += sources_[i].nodes.size();
        continue;
      }
      remap[i] = static_cast<int>(r.workload.layers.size());
      Layer l = w_.layers[i];
      for (int& src : l.inputs)
        if (src >= 0) src = remap[static_cast<size_t>(src)];
      r.workload.layers.push_back(std::move(l));
      r.layers.push_back(std::move(params_[i]));
      r.sources.push_back(std::move(sources_[i]));
      where_of.push_back(where_of_[i]);
    }
    where_of_ = std::move(where_of);
    infer_shapes(r.workload, locator());
    r.input_name = input_name_;
    r.output_name = out;
    return r;
  }

  // --- bookkeeping --------------------------------------------------------------------------

  void count_uses() {
    for (const auto& n : g_.node())
      for (const auto& in : n.input())
        if (!in.empty()) ++uses_[in];
    for (const auto& o : g_.output()) ++uses_[o.name()];
  }

  /// Shapes the exporter recorded (value_info, graph output): kqsim's derived shapes must
  /// agree with them, which catches any semantic difference in a mapping.
  void read_recorded_shapes() {
    auto record = [&](const onnx::ValueInfoProto& v) {
      if (!v.type().has_tensor_type() || !v.type().tensor_type().has_shape()) return;
      std::vector<int64_t> d;
      for (const auto& dim : v.type().tensor_type().shape().dim())
        d.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
      recorded_[v.name()] = std::move(d);
    };
    for (const auto& v : g_.value_info()) record(v);
    for (const auto& v : g_.output()) record(v);
  }

  ShapeErrorLocator locator() const {
    return [this](int layer, const std::string& key) {
      std::string base = layer < 0 || static_cast<size_t>(layer) >= where_of_.size()
                             ? "graph input " + quoted(input_name_)
                             : where_of_[static_cast<size_t>(layer)];
      static const std::unordered_map<std::string, std::string> onnx_names = {
          {"kernel", "kernel_shape"}, {"stride", "strides"}, {"padding", "pads"},
          {"dilation", "dilations"},  {"groups", "group"},   {"inputs", "inputs"}};
      auto it = onnx_names.find(key);
      if (!key.empty())
        base += ", attribute \"" + (it == onnx_names.end() ? key : it->second) + "\"";
      return base;
    };
  }

  [[noreturn]] void fail(const std::string& message) const {
    throw InputError(file_, where_, message);
  }

  Shape shape_of(const Value& v) const {
    return v.layer < 0 ? w_.input : w_.layers[static_cast<size_t>(v.layer)].out;
  }

  std::vector<int64_t> onnx_dims(const Value& v) const {
    const Shape s = shape_of(v);
    if (v.flat) return {batch_, static_cast<int64_t>(s.elements())};
    return {batch_, static_cast<int64_t>(s.c), static_cast<int64_t>(s.h),
            static_cast<int64_t>(s.w)};
  }

  bool has_input(int i) const { return i < node_->input_size() && !node_->input(i).empty(); }

  bool is_constant_input(int i) const { return has_input(i) && consts_.count(node_->input(i)) > 0; }

  const Value& activation(int i) const {
    if (!has_input(i)) fail(fmt::format("input {} is missing", i));
    const std::string& name = node_->input(i);
    auto it = values_.find(name);
    if (it != values_.end()) return it->second;
    if (consts_.count(name))
      fail(fmt::format("input {} ({}) is a constant; kqsim expects an activation there", i,
                       quoted(name)));
    fail(
        fmt::format("input {} ({}) is not produced by an earlier node or a graph input (ONNX "
                    "graphs list nodes in topological order)",
                    i, quoted(name)));
  }

  /// A constant input (initializer or Constant node); nullptr when absent and optional.
  const OnnxConstant* constant(int i, bool optional) const {
    if (!has_input(i)) {
      if (optional) return nullptr;
      fail(fmt::format("input {} is missing", i));
    }
    const std::string& name = node_->input(i);
    auto it = consts_.find(name);
    if (it != consts_.end()) return &it->second;
    if (values_.count(name))
      fail(
          fmt::format("input {} ({}) is computed by the graph; kqsim needs it as a constant "
                      "(an initializer)",
                      i, quoted(name)));
    fail(
        fmt::format("input {} ({}) is not defined (no initializer, Constant or earlier node of "
                    "that name)",
                    i, quoted(name)));
  }

  const OnnxConstant& float_constant(int i, const char* what, size_t rank) const {
    const OnnxConstant& c = *constant(i, false);
    if (!c.is_float) fail(fmt::format("{} ({}) must be float32", what, quoted(node_->input(i))));
    if (rank && c.dims.size() != rank)
      fail(fmt::format("{} ({}) has shape {}; expected rank {}", what, quoted(node_->input(i)),
                       dims_str(c.dims), rank));
    return c;
  }

  /// Values of a per-channel vector constant: exactly `count` values in a rank-1 tensor.
  /// The float values of constant input i, moved out when this node is its only reader.
  std::vector<float> take_floats(int i) {
    OnnxConstant& c = consts_.at(node_->input(i));
    auto it = uses_.find(node_->input(i));
    if (it != uses_.end() && it->second == 1) return std::move(c.f);
    return c.f;
  }

  std::vector<float> channel_vector(int i, const char* what, uint64_t count) const {
    const OnnxConstant& c = float_constant(i, what, 1);
    if (c.elements() != count)
      fail(fmt::format("{} ({}) has {} values; expected one per channel ({})", what,
                       quoted(node_->input(i)), c.elements(), count));
    return c.f;
  }

  void require_unused_outputs(int from) const {
    for (int k = from; k < node_->output_size(); ++k) {
      const std::string& o = node_->output(k);
      if (!o.empty() && uses_.count(o))
        fail(fmt::format("output {} ({}) is used; kqsim computes only the first output of {}", k,
                         quoted(o), onnx_printable(node_->op_type(), 60)));
    }
  }

  void check_recorded(const std::string& name, const Value& v) const {
    auto it = recorded_.find(name);
    if (it == recorded_.end()) return;
    const std::vector<int64_t>& rec = it->second;
    const std::vector<int64_t> mine = onnx_dims(v);
    bool same = rec.size() == mine.size();
    for (size_t k = 1; same && k < rec.size(); ++k) same = rec[k] < 0 || rec[k] == mine[k];
    if (!same)
      fail(
          fmt::format("output {}: the model records shape {}, kqsim derives {}; this mapping "
                      "would not reproduce the model",
                      quoted(name), dims_str(rec), dims_str(mine)));
  }

  void define(const Value& v) {
    if (node_->output_size() < 1 || node_->output(0).empty()) fail("has no output");
    const std::string& name = node_->output(0);
    if (values_.count(name) || consts_.count(name))
      fail(fmt::format("output {} is defined twice", quoted(name)));
    check_recorded(name, v);
    values_[name] = v;
  }

  void define_constant(OnnxConstant c) {
    if (node_->output_size() < 1 || node_->output(0).empty()) fail("has no output");
    const std::string& name = node_->output(0);
    if (values_.count(name) || consts_.count(name))
      fail(fmt::format("output {} is defined twice", quoted(name)));
    c.name = name;
    consts_.emplace(name, std::move(c));
  }

  std::string unique_layer_name() {
    std::string base = sanitize_name(node_->name());
    if (base.empty()) base = sanitize_name(node_->op_type()) + "_" + std::to_string(node_index_);
    if (base == "input") base = "input_";
    std::string name = base;
    for (int k = 2; !names_.insert(name).second; ++k) {
      const std::string suffix = "_" + std::to_string(k);
      name = base.substr(0, kMaxNameLength - suffix.size()) + suffix;
    }
    return name;
  }

  std::string node_label() const {
    return node_->op_type() + " " +
           (node_->name().empty() ? "#" + std::to_string(node_index_) : node_->name());
  }

  int add_layer(Layer l, LayerParams p, const std::string& weight_initializer = "") {
    l.name = unique_layer_name();
    w_.layers.push_back(std::move(l));
    params_.push_back(std::move(p));
    sources_.push_back(OnnxLayerSource{{node_label()}, weight_initializer});
    where_of_.push_back(where_);
    infer_shapes(w_, locator());
    return static_cast<int>(w_.layers.size()) - 1;
  }

  /// The layer producing `v` may absorb this node (BatchNormalization scale/shift, a bias
  /// Add) when it is a conv/fc whose output nothing else reads.
  bool foldable(const Value& v, int input) const {
    if (!v.direct || v.layer < 0) return false;
    if (!w_.layers[static_cast<size_t>(v.layer)].on_array()) return false;
    auto it = uses_.find(node_->input(input));
    return it != uses_.end() && it->second == 1;
  }

  // --- attribute helpers ---------------------------------------------------------------------

  std::array<uint32_t, 2> pair_attr(const OnnxAttributes& a, const char* name, int64_t fallback,
                                    int64_t min) const {
    const std::vector<int64_t> v = a.get_ints(name, {fallback, fallback});
    if (v.size() != 2)
      a.fail(name, fmt::format("has {} values; expected 2 (height, width)", v.size()));
    for (int64_t x : v)
      if (x < min || x > kMaxDim)
        a.fail(name, fmt::format("value {} is outside [{}, 2^32-1]", x, min));
    return {static_cast<uint32_t>(v[0]), static_cast<uint32_t>(v[1])};
  }

  /// Symmetric padding per axis from pads or auto_pad.
  std::array<uint32_t, 2> padding(const OnnxAttributes& a, const Shape& in,
                                  const std::array<uint32_t, 2>& k,
                                  const std::array<uint32_t, 2>& s,
                                  const std::array<uint32_t, 2>& d) const {
    const std::string auto_pad = a.get_string("auto_pad", "NOTSET");
    if (auto_pad == "NOTSET") {
      const std::vector<int64_t> p = a.get_ints("pads", {0, 0, 0, 0});
      if (p.size() != 4)
        a.fail("pads",
               fmt::format("has {} values; expected 4 (top, left, bottom, right)", p.size()));
      for (int64_t x : p)
        if (x < 0 || x > kMaxDim) a.fail("pads", fmt::format("value {} is outside [0, 2^32-1]", x));
      if (p[0] != p[2] || p[1] != p[3])
        a.fail("pads", fmt::format("asymmetric padding {} (top, left, bottom, right) is not "
                                   "supported; kqsim pads both sides of an axis equally",
                                   dims_str(p)));
      return {static_cast<uint32_t>(p[0]), static_cast<uint32_t>(p[1])};
    }
    if (a.has("pads")) a.fail("pads", "must not be given together with auto_pad");
    if (auto_pad == "VALID") return {0, 0};
    if (auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER")
      a.fail("auto_pad", fmt::format("{} is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID",
                                     quoted(auto_pad)));
    std::array<uint32_t, 2> pad{};
    const uint64_t extent[2] = {in.h, in.w};
    for (int axis = 0; axis < 2; ++axis) {
      const uint64_t out = (extent[axis] + s[axis] - 1) / s[axis];
      const uint64_t span = uint64_t{d[axis]} * (k[axis] - 1) + 1;
      const uint64_t need = (out - 1) * s[axis] + span;
      const uint64_t total = need > extent[axis] ? need - extent[axis] : 0;
      if (total % 2 != 0)
        a.fail("auto_pad",
               fmt::format("{} needs {} padding rows/columns on axis {}, which cannot be split "
                           "evenly; kqsim pads both sides of an axis equally",
                           auto_pad, total, axis == 0 ? "H" : "W"));
      pad[axis] = static_cast<uint32_t>(total / 2);
    }
    return pad;
  }

  // --- operators -----------------------------------------------------------------------------

  void import_node(const onnx::NodeProto& n, int index) {
    node_ = &n;
    node_index_ = index;
    where_ = n.name().empty()
                 ? fmt::format("node #{} ({})", index, onnx_printable(n.op_type(), 60))
                 : fmt::format("node {} ({})", quoted(n.name()), onnx_printable(n.op_type(), 60));
    if (!n.domain().empty() && n.domain() != "ai.onnx")
      fail(fmt::format("operator domain {} is not supported (only the default ai.onnx domain)",
                       quoted(n.domain())));
    const std::string& op = n.op_type();
    if (op == "Conv")
      conv();
    else if (op == "Gemm")
      gemm();
    else if (op == "MatMul")
      matmul();
    else if (op == "BatchNormalization")
      batchnorm();
    else if (op == "Relu")
      relu();
    else if (op == "Clip")
      clip();
    else if (op == "MaxPool" || op == "AveragePool")
      pool(op == "MaxPool");
    else if (op == "GlobalAveragePool" || op == "GlobalMaxPool")
      global_pool(op == "GlobalMaxPool");
    else if (op == "Add")
      add();
    else if (op == "Flatten")
      flatten();
    else if (op == "Reshape")
      reshape();
    else if (op == "Identity" || op == "Dropout")
      identity(op == "Dropout");
    else if (op == "Constant")
      constant_node();
    else
      fail(fmt::format("unsupported operator {} (kqsim imports {})", quoted(op), kSupportedOps));
  }

  void conv() {
    OnnxAttributes a(*node_, file_, where_,
                     {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
    const Value x = activation(0);
    if (x.flat) fail("expects a 4-D [N, C, H, W] input, got a flattened 2-D tensor");
    const Shape in = shape_of(x);
    const OnnxConstant& wt = float_constant(1, "weight", 4);
    const int64_t group = a.get_int("group", 1);
    if (group < 1 || group > kMaxDim) a.fail("group", fmt::format("{} is not >= 1", group));
    for (int64_t d : wt.dims)
      if (d < 1 || d > kMaxDim)
        fail(fmt::format("weight shape {} has a dimension outside [1, 2^32-1]", dims_str(wt.dims)));
    const uint64_t m = static_cast<uint64_t>(wt.dims[0]), cg = static_cast<uint64_t>(wt.dims[1]);
    const uint64_t g = static_cast<uint64_t>(group);
    if (cg * g != in.c || m % g != 0)
      fail(
          fmt::format("weight shape {} with group {} does not fit a {}-channel input (expected "
                      "[M, C/group, kH, kW] with M divisible by group)",
                      dims_str(wt.dims), group, in.c));
    const std::array<uint32_t, 2> k = {static_cast<uint32_t>(wt.dims[2]),
                                       static_cast<uint32_t>(wt.dims[3])};
    if (a.has("kernel_shape") && pair_attr(a, "kernel_shape", 1, 1) != k)
      a.fail("kernel_shape", fmt::format("differs from the weight's shape {}", dims_str(wt.dims)));
    const auto s = pair_attr(a, "strides", 1, 1);
    const auto d = pair_attr(a, "dilations", 1, 1);
    const auto p = padding(a, in, k, s, d);
    Layer l;
    l.type = LayerType::conv2d;
    l.inputs = {x.layer};
    l.out.c = m;
    l.kh = k[0], l.kw = k[1], l.sh = s[0], l.sw = s[1], l.ph = p[0], l.pw = p[1];
    l.dh = d[0], l.dw = d[1];
    l.groups = static_cast<uint32_t>(group);
    LayerParams lp;
    lp.weight.shape = {m, cg, k[0], k[1]};
    lp.weight.data = take_floats(1);
    if (has_input(2)) {
      lp.bias.shape = {m};
      lp.bias.data = channel_vector(2, "bias", m);
      l.bias = true;
    }
    const int li = add_layer(std::move(l), std::move(lp), node_->input(1));
    define(Value{li, false, true});
  }

  void add_fc(const Value& x, std::vector<float> weight, uint64_t n, std::vector<float> bias,
              const std::string& weight_name) {
    Layer l;
    l.type = LayerType::fc;
    l.inputs = {x.layer};
    l.out.c = n;
    LayerParams lp;
    lp.weight.shape = {n, shape_of(x).elements()};
    lp.weight.data = std::move(weight);
    if (!bias.empty()) {
      l.bias = true;
      lp.bias.shape = {n};
      lp.bias.data = std::move(bias);
    }
    const int li = add_layer(std::move(l), std::move(lp), weight_name);
    define(Value{li, true, true});
  }

  void gemm() {
    OnnxAttributes a(*node_, file_, where_, {"alpha", "beta", "transA", "transB"});
    const Value x = activation(0);
    if (!x.flat)
      fail("expects a 2-D [N, K] input; flatten the feature map first (Flatten or Reshape)");
    if (a.get_int("transA", 0) != 0) a.fail("transA", "a transposed input is not supported");
    const bool trans_b = a.get_int("transB", 0) != 0;
    const float alpha = a.get_float("alpha", 1.0f), beta = a.get_float("beta", 1.0f);
    if (!std::isfinite(alpha)) a.fail("alpha", "is not finite");
    if (!std::isfinite(beta)) a.fail("beta", "is not finite");
    const OnnxConstant& b = float_constant(1, "B", 2);
    const uint64_t k = shape_of(x).elements();
    const uint64_t kb = static_cast<uint64_t>(trans_b ? b.dims[1] : b.dims[0]);
    const uint64_t n = static_cast<uint64_t>(trans_b ? b.dims[0] : b.dims[1]);
    if (kb != k || n < 1 || n > kMaxDim)
      fail(fmt::format(
          "B has shape {} (transB = {}); expected {} for a {}-feature input", dims_str(b.dims),
          trans_b ? 1 : 0,
          trans_b ? "[N, " + std::to_string(k) + "]" : "[" + std::to_string(k) + ", N]", k));
    std::vector<float> w(n * k);
    for (uint64_t o = 0; o < n; ++o)
      for (uint64_t i = 0; i < k; ++i) {
        const float v = trans_b ? b.f[o * k + i] : b.f[i * n + o];
        w[o * k + i] = alpha == 1.0f ? v : static_cast<float>(static_cast<double>(alpha) * v);
      }
    std::vector<float> bias;
    if (has_input(2) && beta != 0.0f) {
      const OnnxConstant& c = float_constant(2, "C", 0);
      bias = broadcast_channels(c, n, true, 2);
      if (beta != 1.0f)
        for (float& v : bias) v = static_cast<float>(static_cast<double>(beta) * v);
    }
    for (float v : w)
      if (!std::isfinite(v)) a.fail("alpha", "scaling B by alpha overflows float");
    add_fc(x, std::move(w), n, std::move(bias), node_->input(1));
  }

  void matmul() {
    OnnxAttributes a(*node_, file_, where_, {});
    const Value x = activation(0);
    if (!x.flat)
      fail("supports only a 2-D [1, K] input times a constant [K, N] matrix; flatten first");
    const OnnxConstant& b = float_constant(1, "B", 2);
    const uint64_t k = shape_of(x).elements();
    const uint64_t n = static_cast<uint64_t>(b.dims[1]);
    if (static_cast<uint64_t>(b.dims[0]) != k || n < 1 || n > kMaxDim)
      fail(fmt::format("B has shape {}; expected [{}, N] for a {}-feature input", dims_str(b.dims),
                       k, k));
    std::vector<float> w(n * k);
    for (uint64_t o = 0; o < n; ++o)
      for (uint64_t i = 0; i < k; ++i) w[o * k + i] = b.f[i * n + o];
    add_fc(x, std::move(w), n, {}, node_->input(1));
  }

  /// A constant broadcast over the channel axis of a conv output ([C, 1, 1], [1, C, 1, 1]) or
  /// the features of an fc output ([N], [1, N]); a single value broadcasts to every channel.
  std::vector<float> broadcast_channels(const OnnxConstant& c, uint64_t channels, bool flat,
                                        int input) const {
    const size_t channel_axis_from_end = flat ? 1 : 3;
    bool ok = c.dims.size() <= (flat ? 2u : 4u);
    for (size_t i = 0; ok && i < c.dims.size(); ++i) {
      const size_t from_end = c.dims.size() - i;
      ok = c.dims[i] == 1 ||
           (from_end == channel_axis_from_end && static_cast<uint64_t>(c.dims[i]) == channels);
    }
    if (!ok)
      fail(
          fmt::format("input {} ({}) has shape {}; kqsim adds only one value per channel ({} "
                      "channels) or a single value",
                      input, quoted(node_->input(input)), dims_str(c.dims), channels));
    if (c.elements() == channels) return c.f;
    return std::vector<float>(channels, c.f.at(0));
  }

  void batchnorm() {
    OnnxAttributes a(*node_, file_, where_, {"epsilon", "momentum", "training_mode"});
    if (a.get_int("training_mode", 0) != 0)
      a.fail("training_mode",
             "training-mode batch statistics are not supported (export in eval "
             "mode)");
    const float eps = a.get_float("epsilon", 1e-5f);
    if (!(eps >= 0) || !std::isfinite(eps)) a.fail("epsilon", "must be finite and >= 0");
    require_unused_outputs(1);
    const Value x = activation(0);
    const Shape s = shape_of(x);
    if (x.flat && s.h * s.w != 1)
      fail("normalizing a flattened C×H×W feature map per feature is not supported");
    const uint64_t c = s.c;
    ChannelAffine bn;
    try {
      bn = batchnorm_affine(channel_vector(1, "scale", c), channel_vector(2, "B", c),
                            channel_vector(3, "input_mean", c), channel_vector(4, "input_var", c),
                            eps);
    } catch (const std::invalid_argument& e) {
      fail(e.what());
    }
    if (foldable(x, 0)) {
      // Folded into the conv/fc before it: y = s·(W·x + b) + t = (s·W)·x + (s·b + t).
      const size_t li = static_cast<size_t>(x.layer);
      LayerParams& lp = params_[li];
      try {
        fold_affine_into_layer(lp.weight, lp.bias, bn);
      } catch (const std::invalid_argument& e) {
        fail(e.what());
      }
      w_.layers[li].bias = true;
      sources_[li].nodes.push_back(node_label());
      infer_shapes(w_, locator());
      define(x);
      return;
    }
    Layer l;
    l.type = LayerType::batchnorm;
    l.inputs = {x.layer};
    LayerParams lp;
    lp.weight.shape = {c};
    lp.bias.shape = {c};
    for (uint64_t i = 0; i < c; ++i) {
      lp.weight.data.push_back(static_cast<float>(bn.scale[i]));
      lp.bias.data.push_back(static_cast<float>(bn.shift[i]));
      if (!std::isfinite(lp.weight.data.back()) || !std::isfinite(lp.bias.data.back()))
        fail(fmt::format("channel {} has a scale or shift that overflows float", i));
    }
    const int li = add_layer(std::move(l), std::move(lp));
    define(Value{li, x.flat, true});
  }

  void relu_layer(const Value& x, float cap) {
    Layer l;
    l.type = LayerType::relu;
    l.inputs = {x.layer};
    l.relu_cap = cap;
    const int li = add_layer(std::move(l), {});
    define(Value{li, x.flat, true});
  }

  void relu() {
    OnnxAttributes a(*node_, file_, where_, {});
    relu_layer(activation(0), 0.0f);
  }

  void clip() {
    // Opsets >= 11 give the bounds as inputs; the old min/max attributes are not allowed.
    OnnxAttributes a(*node_, file_, where_, {});
    const Value x = activation(0);
    auto scalar = [&](int i, const char* what) {
      const OnnxConstant& c = *constant(i, false);
      if (!c.is_float || c.elements() != 1)
        fail(fmt::format("{} ({}) must be a single float32 value", what, quoted(node_->input(i))));
      return c.f[0];
    };
    if (!has_input(1) || scalar(1, "min") != 0.0f)
      fail(fmt::format("is imported as a ReLU and needs min = 0, got {}",
                       has_input(1) ? fmt::format("{}", scalar(1, "min")) : "no min"));
    float cap = 0;
    if (has_input(2)) {
      cap = scalar(2, "max");
      if (!(cap > 0)) fail(fmt::format("max = {} must be > 0 (a ReLU with an upper clip)", cap));
    }
    relu_layer(x, cap);
  }

  void pool(bool max) {
    const OnnxAttributes a =
        max ? OnnxAttributes(*node_, file_, where_,
                             {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads",
                              "storage_order", "strides"})
            : OnnxAttributes(*node_, file_, where_,
                             {"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads",
                              "strides"});
    if (max) require_unused_outputs(1);  // the Indices output
    const Value x = activation(0);
    if (x.flat) fail("expects a 4-D [N, C, H, W] input, got a flattened 2-D tensor");
    const Shape in = shape_of(x);
    if (!a.has("kernel_shape")) a.fail("kernel_shape", "is required");
    const auto k = pair_attr(a, "kernel_shape", 1, 1);
    const auto s = pair_attr(a, "strides", 1, 1);  // ONNX's default stride is 1, not the kernel
    if (max && pair_attr(a, "dilations", 1, 1) != std::array<uint32_t, 2>{1, 1})
      a.fail("dilations", "dilated pooling is not supported");
    const auto p = padding(a, in, k, s, {1, 1});
    const int64_t ceil_mode = a.get_int("ceil_mode", 0);
    if (ceil_mode != 0 && ceil_mode != 1) a.fail("ceil_mode", "expected 0 or 1");
    if (!max) {
      if (a.get_int("count_include_pad", 0) == 0 && (p[0] || p[1]))
        a.fail("count_include_pad",
               "0 with padding is not supported: kqsim's average pool divides by the whole "
               "window, padding included (PyTorch's default count_include_pad=True)");
      const uint64_t extent[2] = {in.h, in.w};
      for (int axis = 0; axis < 2 && ceil_mode; ++axis)
        if (extent[axis] + 2 * p[axis] >= k[axis] &&
            (extent[axis] + 2 * p[axis] - k[axis]) % s[axis] != 0)
          a.fail("ceil_mode",
                 "1 adds a clipped last window whose divisor kqsim does not model; export with "
                 "ceil_mode=False or a size the windows tile exactly");
    }
    Layer l;
    l.type = max ? LayerType::maxpool : LayerType::avgpool;
    l.inputs = {x.layer};
    l.kh = k[0], l.kw = k[1], l.sh = s[0], l.sw = s[1], l.ph = p[0], l.pw = p[1];
    l.ceil_mode = ceil_mode == 1;
    const int li = add_layer(std::move(l), {});
    define(Value{li, false, true});
  }

  void global_pool(bool max) {
    OnnxAttributes a(*node_, file_, where_, {});
    const Value x = activation(0);
    if (x.flat) fail("expects a 4-D [N, C, H, W] input, got a flattened 2-D tensor");
    Layer l;
    l.type = max ? LayerType::maxpool : LayerType::avgpool;
    l.inputs = {x.layer};
    l.global_pool = true;
    const int li = add_layer(std::move(l), {});
    define(Value{li, false, true});
  }

  void add() {
    OnnxAttributes a(*node_, file_, where_, {});
    if (node_->input_size() != 2) fail("expects 2 inputs");
    const bool c0 = is_constant_input(0), c1 = is_constant_input(1);
    if (c0 && c1) fail("adds two constants; export with constant folding (do_constant_folding)");
    if (c0 || c1) {
      // A bias: folded into the conv/fc producing the other operand (MatMul + Add).
      const int ai = c0 ? 1 : 0, ci = c0 ? 0 : 1;
      const Value x = activation(ai);
      if (!foldable(x, ai))
        fail(
            fmt::format("adds the constant {} to a tensor that is not the sole output of a "
                        "Conv/Gemm/MatMul; kqsim supports constant Adds only as such a layer's "
                        "bias",
                        quoted(node_->input(ci))));
      const size_t li = static_cast<size_t>(x.layer);
      const uint64_t channels = w_.layers[li].out.c;
      const OnnxConstant& c = *constant(ci, false);
      if (!c.is_float) fail(fmt::format("input {} must be float32", ci));
      const std::vector<float> b = broadcast_channels(c, channels, x.flat, ci);
      LayerParams& lp = params_[li];
      if (lp.bias.data.empty()) {
        lp.bias.shape = {channels};
        lp.bias.data.assign(channels, 0.0f);
      }
      for (uint64_t i = 0; i < channels; ++i) {
        lp.bias.data[i] = static_cast<float>(static_cast<double>(lp.bias.data[i]) + b[i]);
        if (!std::isfinite(lp.bias.data[i])) fail("the folded bias overflows float");
      }
      w_.layers[li].bias = true;
      sources_[li].nodes.push_back(node_label());
      infer_shapes(w_, locator());
      define(x);
      return;
    }
    const Value x = activation(0), y = activation(1);
    const Shape sx = shape_of(x), sy = shape_of(y);
    if (x.flat != y.flat || (x.flat ? sx.elements() != sy.elements() : sx != sy))
      fail(fmt::format("operand shapes {} and {} differ; broadcasting Add is not supported",
                       dims_str(onnx_dims(x)), dims_str(onnx_dims(y))));
    Layer l;
    l.type = LayerType::add;
    l.inputs = {x.layer, y.layer};
    if (x.flat && sx != sy)
      fail("adds flattened tensors of differently shaped feature maps; not supported");
    const int li = add_layer(std::move(l), {});
    define(Value{li, x.flat, true});
  }

  void flatten() {
    OnnxAttributes a(*node_, file_, where_, {"axis"});
    const Value x = activation(0);
    const int64_t rank = x.flat ? 2 : 4;
    int64_t axis = a.get_int("axis", 1);
    if (axis < -rank || axis > rank)
      a.fail("axis", fmt::format("{} is outside [-{}, {}]", axis, rank, rank));
    if (axis < 0) axis += rank;
    // axis 0 gives [1, N·C·H·W], axis 1 [N, C·H·W]: the same for kqsim's one sample.
    if (axis > 1)
      a.fail("axis", fmt::format("{} keeps spatial dimensions apart; kqsim flattens whole samples "
                                 "(axis 1)",
                                 a.get_int("axis", 1)));
    define(Value{x.layer, true, false});
  }

  void reshape() {
    OnnxAttributes a(*node_, file_, where_, {"allowzero"});
    const Value x = activation(0);
    const OnnxConstant& shape = *constant(1, false);
    if (shape.is_float || shape.dims.size() != 1)
      fail(fmt::format("shape ({}) must be a 1-D int64 tensor", quoted(node_->input(1))));
    const bool allow_zero = a.get_int("allowzero", 0) != 0;
    const std::vector<int64_t> in = onnx_dims(x);
    // Products in unsigned 64 bits with overflow checks: the target shape is file data.
    auto product_of = [&](const std::vector<int64_t>& dims, uint64_t& p) {
      p = 1;
      for (int64_t d : dims)
        if (d < 0 || __builtin_mul_overflow(p, static_cast<uint64_t>(d), &p)) return false;
      return true;
    };
    uint64_t total = 1;
    if (!product_of(in, total)) fail("the input's element count overflows 64 bits");
    std::vector<int64_t> t = shape.i;
    int infer = -1;
    uint64_t known = 1;
    for (size_t k = 0; k < t.size(); ++k) {
      if (t[k] == 0 && !allow_zero) {
        if (k >= in.size())
          fail(fmt::format("shape {} copies a dimension the input lacks", dims_str(shape.i)));
        t[k] = in[k];
      }
      if (t[k] == -1) {
        if (infer >= 0) fail(fmt::format("shape {} has two -1 entries", dims_str(shape.i)));
        infer = static_cast<int>(k);
        continue;
      }
      if (t[k] < 1)
        fail(fmt::format("shape {} has an unsupported entry {}", dims_str(shape.i), t[k]));
      if (__builtin_mul_overflow(known, static_cast<uint64_t>(t[k]), &known))
        fail(fmt::format("cannot reshape {} to {}", dims_str(in), dims_str(shape.i)));
    }
    if (infer >= 0) {
      if (total % known != 0 || total / known > static_cast<uint64_t>(INT64_MAX))
        fail(fmt::format("cannot reshape {} to {}", dims_str(in), dims_str(shape.i)));
      t[static_cast<size_t>(infer)] = static_cast<int64_t>(total / known);
    }
    uint64_t product = 1;
    if (!product_of(t, product) || product != total)
      fail(fmt::format("cannot reshape {} to {}", dims_str(in), dims_str(shape.i)));
    const Shape s = shape_of(x);
    if (t.size() == 2 && t[0] == batch_) {
      define(Value{x.layer, true, false});
      return;
    }
    if (t.size() == 4 && t[0] == batch_ && static_cast<uint64_t>(t[1]) == s.c &&
        static_cast<uint64_t>(t[2]) == s.h && static_cast<uint64_t>(t[3]) == s.w) {
      define(Value{x.layer, false, false});
      return;
    }
    fail(
        fmt::format("reshaping {} to {} is not supported: kqsim handles Reshape only as "
                    "flattening each sample to [N, features] or as a no-op",
                    dims_str(in), dims_str(t)));
  }

  void identity(bool dropout) {
    // Dropout at inference is the identity (opset 12+: ratio and training_mode are inputs).
    OnnxAttributes a(*node_, file_, where_,
                     dropout ? std::initializer_list<const char*>{"seed", "ratio"}
                             : std::initializer_list<const char*>{});
    if (dropout) {
      require_unused_outputs(1);  // the mask
      if (has_input(2)) {
        const OnnxConstant& m = *constant(2, false);
        if (m.is_float || m.elements() != 1 || m.i[0] != 0)
          fail("training_mode must be a constant false (inference)");
      }
    }
    if (is_constant_input(0)) {
      define_constant(*constant(0, false));
      return;
    }
    const Value x = activation(0);
    define(Value{x.layer, x.flat, false});
  }

  void constant_node() {
    OnnxAttributes a(*node_, file_, where_,
                     {"value", "value_float", "value_floats", "value_int", "value_ints"});
    if (node_->attribute_size() != 1) fail("expects exactly one value attribute");
    OnnxConstant c;
    if (const onnx::TensorProto* t = a.get_tensor("value")) {
      c = decode_onnx_tensor(*t, file_, where_, dir_);
    } else if (a.has("value_float")) {
      c.f = {a.get_float("value_float", 0)};
      if (!std::isfinite(c.f[0])) a.fail("value_float", "is not finite");
    } else if (a.has("value_floats")) {
      const auto& at = node_->attribute(0);
      c.f.assign(at.floats().begin(), at.floats().end());
      c.dims = {static_cast<int64_t>(c.f.size())};
      for (float v : c.f)
        if (!std::isfinite(v)) a.fail("value_floats", "holds a non-finite value");
    } else if (a.has("value_int")) {
      c.is_float = false;
      c.i = {a.get_int("value_int", 0)};
    } else {
      c.is_float = false;
      c.i = a.get_ints("value_ints", {});
      c.dims = {static_cast<int64_t>(c.i.size())};
    }
    define_constant(std::move(c));
  }

  onnx::GraphProto& g_;
  std::string file_, dir_;
  Workload w_;
  std::vector<LayerParams> params_;
  std::vector<OnnxLayerSource> sources_;
  std::vector<std::string> where_of_;  ///< per layer: its node, for shape errors
  std::unordered_map<std::string, OnnxConstant> consts_;
  std::unordered_map<std::string, Value> values_;
  std::unordered_map<std::string, int> uses_;
  std::unordered_map<std::string, std::vector<int64_t>> recorded_;
  std::unordered_set<std::string> names_;
  std::string input_name_;
  int64_t batch_ = 1;
  const onnx::NodeProto* node_ = nullptr;
  int node_index_ = 0;
  std::string where_;
};

}  // namespace

OnnxGraphImport import_onnx_graph(onnx::GraphProto& graph, const std::string& file,
                                  const std::string& model_dir, const std::string& workload_name) {
  return GraphImporter(graph, file, model_dir, workload_name).run();
}

}  // namespace kq
