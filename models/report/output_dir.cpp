#include "models/report/output_dir.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "models/common/input_error.hpp"

namespace kq {

namespace fs = std::filesystem;

namespace {

/// "a/b/" normalises with an empty file name; the directory meant is "a/b".
fs::path resolve(const std::string& target) {
  if (target.empty()) throw InputError("--out", "", "expected a directory path, got an empty one");
  std::error_code ec;
  fs::path t = fs::absolute(target, ec).lexically_normal();
  if (ec) throw InputError(target, "", "cannot use as output directory: " + ec.message());
  if (!t.has_filename()) t = t.parent_path();
  if (t == t.root_path()) throw InputError(target, "", "refusing to replace the file system root");
  return t;
}

[[noreturn]] void io_failure(const std::string& target, const std::exception& e) {
  // filesystem_error's text already names the paths involved.
  throw InputError(target, "", std::string("cannot write the output directory: ") + e.what());
}

}  // namespace

void check_output_target(const std::string& target) {
  const fs::path t = resolve(target);
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(t, ec))) return;
  if (!fs::is_directory(t, ec))
    throw InputError(target, "", "output directory exists and is not a directory");
  if (fs::is_empty(t, ec) || fs::exists(t / "report.json", ec) ||
      fs::exists(t / "compare.json", ec))
    return;
  throw InputError(target, "",
                   "output directory exists and holds no kqsim report (report.json or "
                   "compare.json); refusing to replace it");
}

StagedOutputDir::StagedOutputDir(const std::string& target) : given_(target) {
  check_output_target(target);
  const fs::path t = resolve(target);
  const fs::path parent = t.parent_path();
  const fs::path tmp = parent / ("." + t.filename().string() + ".tmp-" + std::to_string(getpid()));
  try {
    fs::create_directories(parent);
    fs::remove_all(tmp);
    fs::create_directory(tmp);
  } catch (const std::exception& e) {
    io_failure(given_, e);
  }
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
  try {
    fs::create_directories(file.parent_path());
  } catch (const std::exception& e) {
    io_failure(given_, e);
  }
  std::ofstream out(file, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw InputError(given_, "", "cannot write " + file.string());
}

void StagedOutputDir::commit() {
  // The target may have appeared or changed while the command worked.
  check_output_target(given_);
  const fs::path target(target_);
  try {
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
  } catch (const std::exception& e) {
    io_failure(given_, e);
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
