#include "sim/cli/child_process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace kq {
namespace {

struct Running {
  size_t index;
  std::string stderr_path;
};

pid_t start(const std::vector<std::string>& argv, const std::string& stderr_path) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, stderr_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  return pid;
}

std::string slurp_and_remove(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::error_code ec;
  std::filesystem::remove(path, ec);
  return ss.str();
}

}  // namespace

std::string self_executable() {
  return std::filesystem::read_symlink("/proc/self/exe").string();
}

std::vector<ChildResult> run_children(const std::vector<std::vector<std::string>>& commands,
                                      unsigned jobs, const std::function<void(size_t)>& on_done) {
  std::vector<ChildResult> results(commands.size());
  std::map<pid_t, Running> running;
  const std::string tmp = std::filesystem::temp_directory_path().string();
  size_t next = 0, finished = 0;
  if (jobs == 0) jobs = 1;
  auto reap_one = [&]() {
    int status = 0;
    pid_t pid;
    do {
      pid = waitpid(-1, &status, 0);
    } while (pid < 0 && errno == EINTR);
    if (pid < 0) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
    auto it = running.find(pid);
    if (it == running.end()) return;  // not one of ours
    ChildResult& r = results[it->second.index];
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status)
                                    : (WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1);
    r.stderr_text = slurp_and_remove(it->second.stderr_path);
    running.erase(it);
    ++finished;
    if (on_done) on_done(finished);
  };
  try {
    while (next < commands.size() || !running.empty()) {
      while (next < commands.size() && running.size() < jobs) {
        std::string path = tmp + "/kqsim-child-XXXXXX";
        const int fd = mkstemp(path.data());
        if (fd < 0) throw std::runtime_error("cannot create a temporary file in " + tmp);
        close(fd);
        const pid_t pid = start(commands[next], path);
        running[pid] = Running{next, path};
        ++next;
      }
      reap_one();
    }
  } catch (...) {
    // Do not leave children behind when one cannot be started.
    for (auto& [pid, run] : running) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
      std::error_code ec;
      std::filesystem::remove(run.stderr_path, ec);
    }
    throw;
  }
  return results;
}

}  // namespace kq
