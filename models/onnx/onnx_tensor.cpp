#include "models/onnx/onnx_tensor.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <fstream>

#include "models/common/input_error.hpp"
#include "models/onnx/onnx_attributes.hpp"

namespace kq {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "raw_data is little-endian; a big-endian host would need byte swapping");

}  // namespace

const char* onnx_type_name(int32_t t) {
  switch (t) {
    case onnx::TensorProto::FLOAT:
      return "float32";
    case onnx::TensorProto::UINT8:
      return "uint8";
    case onnx::TensorProto::INT8:
      return "int8";
    case onnx::TensorProto::UINT16:
      return "uint16";
    case onnx::TensorProto::INT16:
      return "int16";
    case onnx::TensorProto::INT32:
      return "int32";
    case onnx::TensorProto::INT64:
      return "int64";
    case onnx::TensorProto::STRING:
      return "string";
    case onnx::TensorProto::BOOL:
      return "bool";
    case onnx::TensorProto::FLOAT16:
      return "float16";
    case onnx::TensorProto::DOUBLE:
      return "float64";
    case onnx::TensorProto::BFLOAT16:
      return "bfloat16";
    default:
      return "unknown";
  }
}

namespace {

/// An external-data location must stay inside the model's folder: relative, no "..".
bool safe_relative_path(const std::string& p) {
  if (p.empty() || p[0] == '/') return false;
  size_t start = 0;
  while (start <= p.size()) {
    const size_t end = std::min(p.find('/', start), p.size());
    if (p.compare(start, end - start, "..") == 0 && end - start == 2) return false;
    start = end + 1;
  }
  return true;
}

std::string read_external(const onnx::TensorProto& t, uint64_t bytes, const std::string& file,
                          const std::string& where, const std::string& model_dir) {
  std::string location;
  uint64_t offset = 0;
  bool has_length = false;
  uint64_t length = 0;
  for (const auto& kv : t.external_data()) {
    auto number = [&](const std::string& v) {
      if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos)
        throw InputError(file, where,
                         fmt::format("external data \"{}\" = \"{}\" is not a non-negative integer",
                                     onnx_printable(kv.key(), 40), onnx_printable(v, 40)));
      return std::stoull(v);
    };
    if (kv.key() == "location")
      location = kv.value();
    else if (kv.key() == "offset")
      offset = number(kv.value());
    else if (kv.key() == "length")
      has_length = true, length = number(kv.value());
    else if (kv.key() != "checksum")
      throw InputError(file, where,
                       fmt::format("unknown external data key \"{}\" (expected location, offset, "
                                   "length, checksum)",
                                   onnx_printable(kv.key(), 40)));
  }
  if (!safe_relative_path(location))
    throw InputError(file, where,
                     fmt::format("external data location \"{}\" must be a relative path inside "
                                 "the model's folder",
                                 onnx_printable(location, 80)));
  if (has_length && length != bytes)
    throw InputError(file, where,
                     fmt::format("external data length {} does not match the {} bytes the "
                                 "dimensions need",
                                 length, bytes));
  const std::string path = model_dir.empty() ? location : model_dir + "/" + location;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw InputError(file, where, fmt::format("cannot open external data file \"{}\"", path));
  in.seekg(0, std::ios::end);
  const auto size = static_cast<uint64_t>(in.tellg());
  if (offset > size || size - offset < bytes)
    throw InputError(file, where,
                     fmt::format("external data file \"{}\" holds {} bytes; the tensor needs {} "
                                 "bytes at offset {}",
                                 path, size, bytes, offset));
  std::string data(bytes, '\0');
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(data.data(), static_cast<std::streamsize>(bytes));
  if (!in) throw InputError(file, where, fmt::format("cannot read external data \"{}\"", path));
  return data;
}

}  // namespace

uint64_t OnnxConstant::elements() const {
  uint64_t n = 1;
  for (int64_t d : dims) n *= static_cast<uint64_t>(d);
  return n;
}

OnnxConstant decode_onnx_tensor(const onnx::TensorProto& t, const std::string& file,
                                const std::string& where, const std::string& model_dir) {
  OnnxConstant c;
  c.name = t.name();
  const int32_t type = t.data_type();
  const bool is_bool = type == onnx::TensorProto::BOOL;
  if (type != onnx::TensorProto::FLOAT && type != onnx::TensorProto::INT64 &&
      type != onnx::TensorProto::INT32 && !is_bool)
    throw InputError(file, where,
                     fmt::format("tensor of type {} ({}) is not supported (expected float32, or "
                                 "int64/int32/bool for shapes and flags); export the model in "
                                 "float32",
                                 onnx_type_name(type), type));
  c.is_float = type == onnx::TensorProto::FLOAT;
  uint64_t count = 1;
  for (int64_t d : t.dims()) {
    if (d < 0) throw InputError(file, where, fmt::format("negative dimension {}", d));
    if (d != 0 && count > UINT64_MAX / 16 / static_cast<uint64_t>(d))
      throw InputError(file, where, "the dimensions' product overflows 64 bits");
    count *= static_cast<uint64_t>(d);
    c.dims.push_back(d);
  }
  if (t.has_segment()) throw InputError(file, where, "segmented tensors are not supported");
  const uint64_t width = type == onnx::TensorProto::INT64 ? 8 : is_bool ? 1 : 4;
  const bool external = t.data_location() == onnx::TensorProto::EXTERNAL;
  std::string external_bytes;
  if (external) external_bytes = read_external(t, count * width, file, where, model_dir);
  const std::string& raw = external ? external_bytes : t.raw_data();
  const bool use_raw = external || !raw.empty();
  if (use_raw && raw.size() != count * width)
    throw InputError(file, where,
                     fmt::format("raw data holds {} bytes; {} elements of {} need {}", raw.size(),
                                 count, onnx_type_name(type), count * width));
  auto typed_size_error = [&](int64_t got) {
    return InputError(file, where,
                      fmt::format("holds {} values; its dimensions need {}", got, count));
  };
  // Every size is checked against the data actually present before anything is allocated.
  if (!use_raw) {
    const int64_t typed = c.is_float                         ? t.float_data_size()
                          : type == onnx::TensorProto::INT64 ? t.int64_data_size()
                                                             : t.int32_data_size();
    if (static_cast<uint64_t>(typed) != count) throw typed_size_error(typed);
  }
  if (c.is_float) {
    c.f.resize(count);
    if (use_raw)
      std::memcpy(c.f.data(), raw.data(), raw.size());
    else
      std::copy(t.float_data().begin(), t.float_data().end(), c.f.begin());
    for (uint64_t k = 0; k < count; ++k)
      if (!std::isfinite(c.f[k]))
        throw InputError(file, where,
                         fmt::format("element {} is {}; expected finite values", k,
                                     std::isnan(c.f[k]) ? "NaN" : "infinite"));
  } else {
    c.i.resize(count);
    for (uint64_t k = 0; k < count; ++k) {
      if (!use_raw) {
        c.i[k] = type == onnx::TensorProto::INT64 ? t.int64_data(static_cast<int>(k))
                                                  : t.int32_data(static_cast<int>(k));
      } else if (width == 1) {
        c.i[k] = raw[k] != 0;
      } else if (width == 8) {
        int64_t v;
        std::memcpy(&v, raw.data() + 8 * k, 8);
        c.i[k] = v;
      } else {
        int32_t v;
        std::memcpy(&v, raw.data() + 4 * k, 4);
        c.i[k] = v;
      }
    }
  }
  return c;
}

}  // namespace kq
