#pragma once
#include <string>
#include <utility>
#include <vector>

namespace kqtest {

/// Result of running a child process.
struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Extra environment variables of a child process (name, value).
using Env = std::vector<std::pair<std::string, std::string>>;

/// Runs argv[0] with the arguments (no shell), capturing stdout and stderr.
ProcessResult run_process(const std::vector<std::string>& argv, const Env& env = {});
/// Runs build/kqsim with the given arguments.
ProcessResult run_kqsim(const std::vector<std::string>& args, const Env& env = {});
/// A fresh empty directory under the system temp dir.
std::string make_temp_dir(const std::string& tag);
std::string source_path(const std::string& relative);
std::string read_text(const std::string& path);

}  // namespace kqtest
