#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace kq {

/// Incremental FNV-1a 64: identifies exact inputs and tensors in reports (not a
/// cryptographic guarantee; a collision would need adversarial data).
class Fnv1a64 {
 public:
  void add(const void* data, size_t bytes) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < bytes; ++i) {
      h_ ^= p[i];
      h_ *= 0x100000001b3ull;
    }
  }
  uint64_t value() const { return h_; }
  /// 16 lower-case hex digits.
  std::string hex() const;

 private:
  uint64_t h_ = 0xcbf29ce484222325ull;
};

/// FNV-1a 64 of a file's bytes as 16 hex digits. Throws InputError if the file cannot be read.
std::string file_fnv1a64(const std::string& path);

}  // namespace kq
