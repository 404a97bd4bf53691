#pragma once
#include <stdexcept>
#include <string>

namespace kq {

/// Keys, names and bytes quoted from a bad file may hold control characters; escapes them so
/// a message stays one line on any terminal.
inline std::string one_line(const std::string& s) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (c < 0x20 || c == 0x7f)
      out += std::string("\\x") + hex[c >> 4] + hex[c & 15];
    else
      out += static_cast<char>(c);
  }
  return out;
}

/// A problem with user input (config, workload, tensor file). The executable turns it into
/// exactly one line on stderr, "FILE: LOCATION: MESSAGE", and exit code 2.
class InputError : public std::runtime_error {
 public:
  InputError(std::string file, std::string location, const std::string& message)
      : std::runtime_error(
            one_line(file + ": " + (location.empty() ? "" : location + ": ") + message)),
        file_(std::move(file)),
        location_(std::move(location)) {}
  const std::string& file() const { return file_; }
  /// JSON pointer (e.g. "/array/rows") or field name inside the file.
  const std::string& location() const { return location_; }

 private:
  std::string file_;
  std::string location_;
};

}  // namespace kq
