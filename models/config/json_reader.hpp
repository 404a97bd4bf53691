#pragma once
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "models/common/input_error.hpp"

namespace kq {

/// Parses a JSON file strictly: syntax errors carry the byte offset, duplicate keys and
/// nesting deeper than kMaxJsonDepth are errors (nlohmann would silently keep the last key).
nlohmann::json parse_json_file(const std::string& path);
nlohmann::json parse_json_text(const std::string& text, const std::string& file_name);
inline constexpr int kMaxJsonDepth = 64;
/// Largest config or workload file read (a million-layer workload is ~100 MB).
inline constexpr uint64_t kMaxJsonFileBytes = uint64_t{256} << 20;

/// Reads one JSON object field by field. Every getter validates type and range and throws an
/// InputError naming the file and the JSON pointer; finish() rejects keys nobody asked for,
/// so a typo in a config is an error rather than a silently ignored setting.
class ObjReader {
 public:
  ObjReader(const nlohmann::json& j, std::string file, std::string pointer);

  bool has(const std::string& key) const;
  /// Whether an optional key is present; either way it counts as known to finish().
  bool optional(const std::string& key);
  const nlohmann::json& raw(const std::string& key);

  uint64_t get_u64(const std::string& key, uint64_t min, uint64_t max);
  uint64_t get_u64_or(const std::string& key, uint64_t fallback, uint64_t min, uint64_t max);
  int64_t get_i64(const std::string& key, int64_t min, int64_t max);
  double get_double(const std::string& key, double min, double max);
  double get_double_or(const std::string& key, double fallback, double min, double max);
  bool get_bool(const std::string& key);
  bool get_bool_or(const std::string& key, bool fallback);
  std::string get_string(const std::string& key);
  std::string get_string_or(const std::string& key, const std::string& fallback);
  std::string get_enum(const std::string& key, std::initializer_list<const char*> allowed);
  std::string get_enum_or(const std::string& key, const std::string& fallback,
                          std::initializer_list<const char*> allowed);
  std::vector<uint64_t> get_u64_array(const std::string& key, size_t min_len, size_t max_len,
                                      uint64_t min, uint64_t max);
  ObjReader object(const std::string& key);
  /// Elements of an array field; each must be an object.
  std::vector<ObjReader> object_array(const std::string& key, size_t min_len, size_t max_len);

  /// Throws if the object holds a key no getter asked for.
  void finish() const;

  [[noreturn]] void fail(const std::string& key, const std::string& message) const;
  std::string pointer(const std::string& key) const;
  const std::string& file() const { return file_; }
  const std::string& pointer() const { return pointer_; }

 private:
  const nlohmann::json& need(const std::string& key);
  void mark_used(const std::string& key);

  const nlohmann::json* j_;
  std::string file_;
  std::string pointer_;
  /// Keys asked for (a handful per object: a vector beats a set here).
  std::vector<std::string> used_;
};

/// Interprets v as a uint64 in [min, max] or throws an InputError at (file, pointer).
uint64_t json_to_u64(const nlohmann::json& v, const std::string& file, const std::string& pointer,
                     uint64_t min, uint64_t max);
double json_to_double(const nlohmann::json& v, const std::string& file, const std::string& pointer,
                      double min, double max);

}  // namespace kq
