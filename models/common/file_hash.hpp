#pragma once
#include <string>

namespace kq {

/// FNV-1a 64 of a file's bytes as 16 hex digits: identifies the exact inputs of a report
/// (not a cryptographic guarantee). Throws InputError if the file cannot be read.
std::string file_fnv1a64(const std::string& path);

}  // namespace kq
