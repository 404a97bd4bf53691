#include "models/onnx/onnx_attributes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "models/common/input_error.hpp"

namespace kq {

std::string onnx_printable(const std::string& s, size_t max_chars) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size() && i < max_chars; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (s.size() > max_chars) out += "...";
  return out;
}

OnnxAttributes::OnnxAttributes(const onnx::NodeProto& node, std::string file, std::string where,
                               std::initializer_list<const char*> known)
    : node_(node), file_(std::move(file)), where_(std::move(where)) {
  std::set<std::string> seen;
  for (const auto& a : node.attribute()) {
    if (!seen.insert(a.name()).second) fail(a.name(), "appears twice");
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return a.name() == k; })) {
      std::string list;
      for (const char* k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      fail(a.name(), fmt::format("unsupported attribute of {} (kqsim reads: {})", node.op_type(),
                                 list.empty() ? "none" : list));
    }
  }
}

void OnnxAttributes::fail(const std::string& name, const std::string& message) const {
  throw InputError(file_, fmt::format("{}, attribute \"{}\"", where_, onnx_printable(name, 60)),
                   message);
}

bool OnnxAttributes::has(const std::string& name) const {
  return std::any_of(node_.attribute().begin(), node_.attribute().end(),
                     [&](const onnx::AttributeProto& a) { return a.name() == name; });
}

const onnx::AttributeProto* OnnxAttributes::find(const std::string& name,
                                                 onnx::AttributeProto::AttributeType t,
                                                 const char* type_name) const {
  for (const auto& a : node_.attribute()) {
    if (a.name() != name) continue;
    // Old exporters leave `type` unset (0); the field that is filled in then tells the type.
    if (a.type() != t && a.type() != onnx::AttributeProto::UNDEFINED)
      fail(name, fmt::format("expected {}", type_name));
    return &a;
  }
  return nullptr;
}

int64_t OnnxAttributes::get_int(const std::string& name, int64_t fallback) const {
  const auto* a = find(name, onnx::AttributeProto::INT, "an integer");
  return a ? a->i() : fallback;
}

float OnnxAttributes::get_float(const std::string& name, float fallback) const {
  const auto* a = find(name, onnx::AttributeProto::FLOAT, "a float");
  return a ? a->f() : fallback;
}

std::string OnnxAttributes::get_string(const std::string& name, const std::string& fallback) const {
  const auto* a = find(name, onnx::AttributeProto::STRING, "a string");
  return a ? a->s() : fallback;
}

std::vector<int64_t> OnnxAttributes::get_ints(const std::string& name,
                                              std::vector<int64_t> fallback) const {
  const auto* a = find(name, onnx::AttributeProto::INTS, "a list of integers");
  if (!a) return fallback;
  return {a->ints().begin(), a->ints().end()};
}

const onnx::TensorProto* OnnxAttributes::get_tensor(const std::string& name) const {
  const auto* a = find(name, onnx::AttributeProto::TENSOR, "a tensor");
  return a ? &a->t() : nullptr;
}

}  // namespace kq
