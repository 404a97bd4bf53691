#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kq {

/// Numeric formats a datapath can carry. The order is the index of per-format counters.
enum class NumFormat : uint8_t { fp32, fp16, bf16, int8, int16, int32 };
inline constexpr int kNumFormats = 6;
inline constexpr std::array<NumFormat, kNumFormats> kAllFormats = {
    NumFormat::fp32, NumFormat::fp16,  NumFormat::bf16,
    NumFormat::int8, NumFormat::int16, NumFormat::int32};

std::string_view to_string(NumFormat f);
std::optional<NumFormat> parse_num_format(std::string_view s);
/// Storage width in bits.
int width_bits(NumFormat f);
bool is_float(NumFormat f);
inline int width_bytes(NumFormat f) {
  return width_bits(f) / 8;
}

}  // namespace kq
