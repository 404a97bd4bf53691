#pragma once
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

namespace kq {

/// A constant of an ONNX graph (an initializer or a Constant node's value), decoded: float32
/// values in `f`, or integer values (int32/int64/bool, e.g. Reshape shapes) in `i`.
struct OnnxConstant {
  std::string name;
  std::vector<int64_t> dims;
  bool is_float = true;
  std::vector<float> f;
  std::vector<int64_t> i;
  uint64_t elements() const;
};

/// "float32", "int64", ... for a TensorProto data type, for messages.
const char* onnx_type_name(int32_t data_type);

/// Decodes a TensorProto of type float32, int32, int64 or bool held in raw_data (little-endian), in
/// the typed fields (float_data, int32_data, int64_data) or in an external file next to the
/// model (data_location EXTERNAL: "location" relative to `model_dir`, optional "offset" and
/// "length"). Throws InputError(file, where, ...) for any other type, negative dimensions, a
/// data size that does not match the dimensions, an unreadable or short external file, or a
/// NaN/infinite float (the message names the element).
OnnxConstant decode_onnx_tensor(const onnx::TensorProto& t, const std::string& file,
                                const std::string& where, const std::string& model_dir);

}  // namespace kq
