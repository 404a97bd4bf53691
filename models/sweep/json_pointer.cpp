#include "models/sweep/json_pointer.hpp"

#include <fmt/format.h>

#include "models/common/input_error.hpp"

namespace kq {
namespace {

/// A token addresses an array element only as a canonical non-negative integer.
bool array_index(const std::string& token, size_t size, size_t& index) {
  if (token.empty() || token.size() > 9 || (token.size() > 1 && token[0] == '0')) return false;
  size_t v = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  if (v >= size) return false;
  index = v;
  return true;
}

template <typename Json>
Json* walk(Json& doc, const JsonPointer& p) {
  Json* at = &doc;
  for (const std::string& t : p.tokens) {
    if (at->is_object()) {
      auto it = at->find(t);
      if (it == at->end()) return nullptr;
      at = &*it;
    } else if (at->is_array()) {
      size_t i = 0;
      if (!array_index(t, at->size(), i)) return nullptr;
      at = &(*at)[i];
    } else {
      return nullptr;
    }
  }
  return at;
}

}  // namespace

JsonPointer parse_json_pointer(const std::string& text, const std::string& file,
                               const std::string& where) {
  if (text.empty() || text[0] != '/')
    throw InputError(file, where,
                     fmt::format("expected a JSON pointer starting with '/', got \"{}\"", text));
  JsonPointer p;
  p.text = text;
  std::string token;
  for (size_t i = 1; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '/') {
      p.tokens.push_back(token);
      token.clear();
      continue;
    }
    if (text[i] == '~') {
      // RFC 6901: "~0" is '~' and "~1" is '/'; any other escape is malformed.
      if (i + 1 < text.size() && (text[i + 1] == '0' || text[i + 1] == '1')) {
        token += text[i + 1] == '0' ? '~' : '/';
        ++i;
        continue;
      }
      throw InputError(
          file, where,
          fmt::format("malformed JSON pointer \"{}\": '~' must be followed by 0 or 1", text));
    }
    token += text[i];
  }
  return p;
}

const nlohmann::json* resolve(const nlohmann::json& doc, const JsonPointer& p) {
  return walk(doc, p);
}

nlohmann::json* resolve(nlohmann::json& doc, const JsonPointer& p) {
  return walk(doc, p);
}

}  // namespace kq
