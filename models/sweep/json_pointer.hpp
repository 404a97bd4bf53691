#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kq {

/// An RFC 6901 JSON pointer ("/buffers/ifmap/capacity_bytes"), parsed once into its tokens.
struct JsonPointer {
  std::string text;
  std::vector<std::string> tokens;
};

/// Parses `text` as a pointer to a value inside a document (not the whole document: "" is
/// refused). Throws InputError(file, where, ...) naming what is wrong.
JsonPointer parse_json_pointer(const std::string& text, const std::string& file,
                               const std::string& where);

/// The value the pointer names, or nullptr when a token is missing, an array index is out of
/// range or a token steps into a scalar.
const nlohmann::json* resolve(const nlohmann::json& doc, const JsonPointer& p);
nlohmann::json* resolve(nlohmann::json& doc, const JsonPointer& p);

}  // namespace kq
