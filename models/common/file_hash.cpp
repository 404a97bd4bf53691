#include "models/common/file_hash.hpp"

#include <fmt/format.h>

#include <fstream>

#include "models/common/input_error.hpp"

namespace kq {

std::string Fnv1a64::hex() const {
  return fmt::format("{:016x}", h_);
}

std::string file_fnv1a64(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", "cannot open file");
  Fnv1a64 h;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) h.add(buf, static_cast<size_t>(in.gcount()));
  return h.hex();
}

}  // namespace kq
