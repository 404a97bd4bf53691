#include "models/config/json_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "models/common/input_file.hpp"

namespace kq {
namespace {

using nlohmann::json;

std::string type_name(const json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) return "an integer";
  if (v.is_number_float()) return "a number";
  return std::string(v.type_name());
}

std::string escape_pointer_token(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

/// "a number 16.5", "string \"16\"", "null": what a value was, for "expected X, got Y".
std::string type_and_value(const json& v) {
  if (v.is_null()) return "null";
  std::string s = v.dump();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return type_name(v) + " " + s;
}

}  // namespace

json parse_json_text(const std::string& text, const std::string& file_name) {
  // nlohmann's lexer takes a NUL byte for the end of the input, so a valid document followed
  // by a NUL and binary garbage would parse; JSON text never holds a raw NUL.
  if (const size_t nul = text.find('\0'); nul != std::string::npos)
    throw InputError(file_name, "",
                     fmt::format("malformed JSON at byte {}: NUL byte (a binary file?)", nul + 1));
  // Track the keys of every open object to reject duplicates, and the depth to refuse
  // pathological nesting before it costs stack.
  std::vector<std::set<std::string>> open_keys;
  std::vector<std::string> path;
  auto cb = [&](int depth, json::parse_event_t event, json& parsed) -> bool {
    if (depth > kMaxJsonDepth)
      throw InputError(file_name, "",
                       fmt::format("JSON nested deeper than {} levels", kMaxJsonDepth));
    switch (event) {
      case json::parse_event_t::object_start:
        open_keys.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!open_keys.empty()) open_keys.pop_back();
        break;
      case json::parse_event_t::key: {
        const std::string key = parsed.get<std::string>();
        if (!open_keys.empty() && !open_keys.back().insert(key).second)
          throw InputError(file_name, "", fmt::format("duplicate key \"{}\"", key));
        break;
      }
      default:
        break;
    }
    return true;
  };
  try {
    return json::parse(text, cb, /*allow_exceptions=*/true, /*ignore_comments=*/false);
  } catch (const json::parse_error& e) {
    throw InputError(
        file_name, "",
        fmt::format("malformed JSON at byte {}: {}", e.byte, std::string(e.what()).substr(0, 160)));
  } catch (const json::exception& e) {
    // The parser reports a number beyond double (1e400) as out_of_range, not parse_error.
    throw InputError(file_name, "",
                     fmt::format("malformed JSON: {}", std::string(e.what()).substr(0, 160)));
  }
}

json parse_json_file(const std::string& path) {
  return parse_json_text(read_input_file(path, kMaxJsonFileBytes, "a JSON file"), path);
}

uint64_t json_to_u64(const json& v, const std::string& file, const std::string& ptr, uint64_t min,
                     uint64_t max) {
  if (v.is_number_unsigned()) {
    const uint64_t x = v.get<uint64_t>();
    if (x >= min && x <= max) return x;  // the common case builds no message
  }
  const auto range = fmt::format("an integer in [{}, {}]", min, max);
  // "-0" parses as a signed integer zero; it is 0.
  if (v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() == 0)) {
    const uint64_t x = v.is_number_unsigned() ? v.get<uint64_t>() : 0;
    if (x < min || x > max)
      throw InputError(file, ptr, fmt::format("expected {}, got {}", range, x));
    return x;
  }
  if (v.is_number_integer()) {
    throw InputError(file, ptr, fmt::format("expected {}, got {}", range, v.get<int64_t>()));
  }
  throw InputError(file, ptr, fmt::format("expected {}, got {}", range, type_and_value(v)));
}

double json_to_double(const json& v, const std::string& file, const std::string& ptr, double min,
                      double max) {
  if (!v.is_number())
    throw InputError(
        file, ptr,
        fmt::format("expected a number in [{}, {}], got {}", min, max, type_and_value(v)));
  const double x = v.get<double>();
  if (!std::isfinite(x) || x < min || x > max)
    throw InputError(file, ptr, fmt::format("expected a number in [{}, {}], got {}", min, max, x));
  return x;
}

ObjReader::ObjReader(const json& j, std::string file, std::string pointer)
    : j_(&j), file_(std::move(file)), pointer_(std::move(pointer)) {
  if (!j.is_object())
    throw InputError(file_, pointer_.empty() ? "/" : pointer_,
                     fmt::format("expected an object, got {}", type_name(j)));
}

std::string ObjReader::pointer(const std::string& key) const {
  return pointer_ + "/" + escape_pointer_token(key);
}

void ObjReader::fail(const std::string& key, const std::string& message) const {
  throw InputError(file_, key.empty() ? (pointer_.empty() ? "/" : pointer_) : pointer(key),
                   message);
}

bool ObjReader::has(const std::string& key) const {
  return j_->contains(key);
}

bool ObjReader::optional(const std::string& key) {
  mark_used(key);
  return has(key);
}

void ObjReader::mark_used(const std::string& key) {
  if (std::find(used_.begin(), used_.end(), key) == used_.end()) used_.push_back(key);
}

const json& ObjReader::need(const std::string& key) {
  mark_used(key);
  auto it = j_->find(key);
  if (it == j_->end()) fail(key, "missing required key");
  return *it;
}

const json& ObjReader::raw(const std::string& key) {
  return need(key);
}

uint64_t ObjReader::get_u64(const std::string& key, uint64_t min, uint64_t max) {
  const json& v = need(key);
  if (v.is_number_unsigned()) {
    const uint64_t x = v.get<uint64_t>();
    if (x >= min && x <= max) return x;  // the pointer is only spelled out for a message
  }
  return json_to_u64(v, file_, pointer(key), min, max);
}

uint64_t ObjReader::get_u64_or(const std::string& key, uint64_t fallback, uint64_t min,
                               uint64_t max) {
  mark_used(key);
  return has(key) ? get_u64(key, min, max) : fallback;
}

int64_t ObjReader::get_i64(const std::string& key, int64_t min, int64_t max) {
  const json& v = need(key);
  if (!v.is_number_integer() && !v.is_number_unsigned())
    fail(key, fmt::format("expected an integer in [{}, {}], got {}", min, max, type_name(v)));
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(max))
    fail(key, fmt::format("expected an integer in [{}, {}], got {}", min, max, v.get<uint64_t>()));
  const int64_t x = v.get<int64_t>();
  if (x < min || x > max)
    fail(key, fmt::format("expected an integer in [{}, {}], got {}", min, max, x));
  return x;
}

double ObjReader::get_double(const std::string& key, double min, double max) {
  const json& v = need(key);
  if (v.is_number()) {
    const double x = v.get<double>();
    if (std::isfinite(x) && x >= min && x <= max) return x;
  }
  return json_to_double(v, file_, pointer(key), min, max);
}

double ObjReader::get_double_or(const std::string& key, double fallback, double min, double max) {
  mark_used(key);
  return has(key) ? get_double(key, min, max) : fallback;
}

bool ObjReader::get_bool(const std::string& key) {
  const json& v = need(key);
  if (!v.is_boolean()) fail(key, fmt::format("expected true or false, got {}", type_name(v)));
  return v.get<bool>();
}

bool ObjReader::get_bool_or(const std::string& key, bool fallback) {
  mark_used(key);
  return has(key) ? get_bool(key) : fallback;
}

std::string ObjReader::get_string(const std::string& key) {
  const json& v = need(key);
  if (!v.is_string()) fail(key, fmt::format("expected a string, got {}", type_name(v)));
  return v.get<std::string>();
}

std::string ObjReader::get_string_or(const std::string& key, const std::string& fallback) {
  mark_used(key);
  return has(key) ? get_string(key) : fallback;
}

std::string ObjReader::get_enum(const std::string& key,
                                std::initializer_list<const char*> allowed) {
  const std::string s = get_string(key);
  for (const char* a : allowed)
    if (s == a) return s;
  std::string list;
  for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  fail(key, fmt::format("expected one of {}, got \"{}\"", list, s));
}

std::string ObjReader::get_enum_or(const std::string& key, const std::string& fallback,
                                   std::initializer_list<const char*> allowed) {
  mark_used(key);
  return has(key) ? get_enum(key, allowed) : fallback;
}

std::vector<uint64_t> ObjReader::get_u64_array(const std::string& key, size_t min_len,
                                               size_t max_len, uint64_t min, uint64_t max) {
  const json& v = need(key);
  if (!v.is_array() || v.size() < min_len || v.size() > max_len)
    fail(key, fmt::format("expected an array of {} to {} integers", min_len, max_len));
  std::vector<uint64_t> out;
  for (size_t i = 0; i < v.size(); ++i)
    out.push_back(json_to_u64(v[i], file_, pointer(key) + "/" + std::to_string(i), min, max));
  return out;
}

ObjReader ObjReader::object(const std::string& key) {
  return ObjReader(need(key), file_, pointer(key));
}

std::vector<ObjReader> ObjReader::object_array(const std::string& key, size_t min_len,
                                               size_t max_len) {
  const json& v = need(key);
  if (!v.is_array()) fail(key, fmt::format("expected an array, got {}", type_name(v)));
  if (v.size() < min_len || v.size() > max_len)
    fail(key, fmt::format("expected {} to {} entries, got {}", min_len, max_len, v.size()));
  std::vector<ObjReader> out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i)
    out.emplace_back(v[i], file_, pointer(key) + "/" + std::to_string(i));
  return out;
}

void ObjReader::finish() const {
  for (auto it = j_->begin(); it != j_->end(); ++it) {
    if (std::find(used_.begin(), used_.end(), it.key()) != used_.end()) continue;
    std::vector<std::string> sorted = used_;
    std::sort(sorted.begin(), sorted.end());
    std::string known;
    for (const auto& k : sorted) known += (known.empty() ? "" : ", ") + k;
    fail(it.key(), fmt::format("unknown key (expected one of: {})", known));
  }
}

}  // namespace kq
