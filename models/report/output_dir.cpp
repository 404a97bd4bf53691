#include "models/report/output_dir.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace kq {

namespace fs = std::filesystem;

StagedOutputDir::StagedOutputDir(const std::string& target) {
  const fs::path t = fs::absolute(target).lexically_normal();
  const fs::path parent = t.parent_path();
  fs::create_directories(parent);
  const fs::path tmp = parent / ("." + t.filename().string() + ".tmp-" + std::to_string(getpid()));
  fs::remove_all(tmp);
  fs::create_directory(tmp);
  target_ = t.string();
  staging_ = tmp.string();
}

StagedOutputDir::~StagedOutputDir() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);
}

void StagedOutputDir::write(const std::string& name, const std::string& text) const {
  const fs::path file = fs::path(staging_) / name;
  fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

void StagedOutputDir::commit() {
  const fs::path target(target_);
  if (fs::exists(target)) {
    const fs::path old = target.parent_path() /
                         ("." + target.filename().string() + ".old-" + std::to_string(getpid()));
    fs::remove_all(old);
    fs::rename(target, old);
    fs::rename(staging_, target);
    fs::remove_all(old);
  } else {
    fs::rename(staging_, target);
  }
  committed_ = true;
}

void write_output_dir(const std::string& dir,
                      const std::vector<std::pair<std::string, std::string>>& files) {
  StagedOutputDir out(dir);
  for (const auto& [name, text] : files) out.write(name, text);
  out.commit();
}

}  // namespace kq
