#include "models/report/output_dir.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace kq {

void write_output_dir(const std::string& dir,
                      const std::vector<std::pair<std::string, std::string>>& files) {
  namespace fs = std::filesystem;
  const fs::path target = fs::absolute(dir).lexically_normal();
  const fs::path parent = target.parent_path();
  fs::create_directories(parent);
  const std::string stem = target.filename().string();
  const fs::path tmp = parent / ("." + stem + ".tmp-" + std::to_string(getpid()));
  fs::remove_all(tmp);
  fs::create_directory(tmp);
  try {
    for (const auto& [name, text] : files) {
      std::ofstream out(tmp / name, std::ios::binary);
      out << text;
      out.close();
      if (!out) throw std::runtime_error("cannot write " + (tmp / name).string());
    }
    if (fs::exists(target)) {
      const fs::path old = parent / ("." + stem + ".old-" + std::to_string(getpid()));
      fs::rename(target, old);
      fs::rename(tmp, target);
      fs::remove_all(old);
    } else {
      fs::rename(tmp, target);
    }
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
}

}  // namespace kq
