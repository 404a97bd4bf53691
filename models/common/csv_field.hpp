#pragma once
#include <string>

namespace kq {

/// A CSV field (RFC 4180): quoted, with quotes doubled, when it holds a separator, a quote
/// or a line break; otherwise as it is.
inline std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace kq
