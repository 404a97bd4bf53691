#pragma once
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace kq {

/// A name, key or value from a model file as it may appear in a one-line message: printable
/// ASCII kept, every other byte (control characters, invalid or non-ASCII UTF-8) as \xNN,
/// at most `max_chars` of the original.
std::string onnx_printable(const std::string& s, size_t max_chars = 80);

/// Strict, typed access to one node's attributes. Every attribute the node carries must be
/// one the importer knows for its operator (an attribute kqsim would silently ignore could
/// change the arithmetic), with the type the ONNX operator schema gives it. Violations are
/// InputErrors located at `node "NAME" (OP), attribute "ATTR"`.
class OnnxAttributes {
 public:
  OnnxAttributes(const onnx::NodeProto& node, std::string file, std::string where,
                 std::initializer_list<const char*> known);

  bool has(const std::string& name) const;
  int64_t get_int(const std::string& name, int64_t fallback) const;
  float get_float(const std::string& name, float fallback) const;
  std::string get_string(const std::string& name, const std::string& fallback) const;
  std::vector<int64_t> get_ints(const std::string& name, std::vector<int64_t> fallback) const;
  const onnx::TensorProto* get_tensor(const std::string& name) const;
  [[noreturn]] void fail(const std::string& name, const std::string& message) const;

 private:
  const onnx::AttributeProto* find(const std::string& name, onnx::AttributeProto::AttributeType t,
                                   const char* type_name) const;
  const onnx::NodeProto& node_;
  std::string file_, where_;
};

}  // namespace kq
