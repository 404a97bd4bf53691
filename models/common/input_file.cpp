#include "models/common/input_file.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "models/common/input_error.hpp"

namespace kq {

std::string read_input_file(const std::string& path, uint64_t max_bytes,
                            const std::string& expected) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st))
    throw InputError(path, "",
                     fmt::format("cannot open file: no such file; expected {}", expected));
  if (fs::is_directory(st))
    throw InputError(path, "", fmt::format("is a directory; expected {}", expected));
  if (!fs::is_regular_file(st))
    throw InputError(
        path, "",
        fmt::format("not a regular file (a device, FIFO or socket); expected {}", expected));
  const uintmax_t size = fs::file_size(path, ec);
  if (!ec && size > max_bytes)
    throw InputError(path, "",
                     fmt::format("file of {} bytes; expected {} of at most {} bytes", size,
                                 expected, max_bytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", fmt::format("cannot open file: {}", std::strerror(errno)));
  std::string bytes;
  if (!ec) bytes.reserve(static_cast<size_t>(size));
  char buf[1 << 16];
  // The size may change while reading (a file being written): the cap holds regardless.
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    bytes.append(buf, static_cast<size_t>(in.gcount()));
    if (bytes.size() > max_bytes)
      throw InputError(path, "",
                       fmt::format("file larger than {} bytes; expected {}", max_bytes, expected));
  }
  if (in.bad()) throw InputError(path, "", "read error");
  return bytes;
}

}  // namespace kq
