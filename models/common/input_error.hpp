#pragma once
#include <stdexcept>
#include <string>

namespace kq {

/// A problem with user input (config, workload, tensor file). The executable turns it into
/// exactly one line on stderr, "FILE: LOCATION: MESSAGE", and exit code 2.
class InputError : public std::runtime_error {
 public:
  InputError(std::string file, std::string location, const std::string& message)
      : std::runtime_error(file + ": " + (location.empty() ? "" : location + ": ") + message),
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
