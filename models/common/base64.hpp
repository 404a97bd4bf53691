#pragma once
#include <string>

namespace kq {

/// RFC 4648 base64 with padding (for images embedded in a self-contained HTML page).
std::string base64_encode(const std::string& bytes);

}  // namespace kq
