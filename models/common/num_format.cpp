#include "models/common/num_format.hpp"

namespace kq {

std::string_view to_string(NumFormat f) {
  switch (f) {
    case NumFormat::fp32:
      return "fp32";
    case NumFormat::fp16:
      return "fp16";
    case NumFormat::bf16:
      return "bf16";
    case NumFormat::int8:
      return "int8";
    case NumFormat::int16:
      return "int16";
    case NumFormat::int32:
      return "int32";
  }
  return "?";
}

std::optional<NumFormat> parse_num_format(std::string_view s) {
  for (NumFormat f : kAllFormats)
    if (to_string(f) == s) return f;
  return std::nullopt;
}

int width_bits(NumFormat f) {
  switch (f) {
    case NumFormat::fp32:
      return 32;
    case NumFormat::fp16:
      return 16;
    case NumFormat::bf16:
      return 16;
    case NumFormat::int8:
      return 8;
    case NumFormat::int16:
      return 16;
    case NumFormat::int32:
      return 32;
  }
  return 0;
}

bool is_float(NumFormat f) {
  return f == NumFormat::fp32 || f == NumFormat::fp16 || f == NumFormat::bf16;
}

}  // namespace kq
