#pragma once
#include <functional>
#include <string>
#include <vector>

namespace kq {

/// How one child process ended.
struct ChildResult {
  int exit_code = -1;       ///< exit status; 128 + signal number when killed by a signal
  std::string stderr_text;  ///< everything it wrote to stderr (stdout is discarded)
};

/// Runs every command (argv[0] is a path, no shell), at most `jobs` at a time, and returns
/// the results in the order of `commands`. SystemC elaborates one design per process, so
/// each simulated design of a multi-design command is a child of its own.
/// `on_done(finished_count)` is called as children finish. Throws std::runtime_error when a
/// child cannot be started.
std::vector<ChildResult> run_children(const std::vector<std::vector<std::string>>& commands,
                                      unsigned jobs,
                                      const std::function<void(size_t)>& on_done = {});

/// The absolute path of the running executable (/proc/self/exe).
std::string self_executable();

}  // namespace kq
