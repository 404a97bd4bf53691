#pragma once
#include <string>
#include <utility>
#include <vector>

namespace kq {

/// Throws InputError unless `target` may become an output directory: a non-empty path, not
/// the file system root, and, if it exists, a directory that is empty or holds a kqsim report
/// (report.json or compare.json). `--out .` or `--out ~` must never delete a user's files.
/// Commands call it before their work, so a refused target costs nothing.
void check_output_target(const std::string& target);

/// An output directory built in a temporary sibling of its target and renamed into place
/// only by commit(), so a failed run never leaves a half-written report. Without commit()
/// the staging directory is removed. An existing target is replaced if check_output_target
/// allows it. Throws InputError naming the target when it is refused or on I/O failure.
class StagedOutputDir {
 public:
  explicit StagedOutputDir(const std::string& target);
  ~StagedOutputDir();
  StagedOutputDir(const StagedOutputDir&) = delete;
  StagedOutputDir& operator=(const StagedOutputDir&) = delete;

  /// The staging directory (absolute): write into it, or let child processes write into it.
  const std::string& path() const { return staging_; }
  /// Writes `text` to `name` (relative to the staging directory; parents are created).
  void write(const std::string& name, const std::string& text) const;
  /// Renames the staging directory onto the target.
  void commit();

 private:
  std::string given_;  ///< the target as the user wrote it, for messages
  std::string target_;
  std::string staging_;
  bool committed_ = false;
};

/// Writes all files with a StagedOutputDir and commits it.
void write_output_dir(const std::string& dir,
                      const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace kq
