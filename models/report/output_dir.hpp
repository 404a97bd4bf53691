#pragma once
#include <string>
#include <utility>
#include <vector>

namespace kq {

/// Writes all files into a fresh temporary sibling of `dir` and renames it into place only
/// when every file is complete, so a failed run never leaves a half-written report. An
/// existing `dir` is replaced. Throws std::runtime_error on I/O failure.
void write_output_dir(const std::string& dir,
                      const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace kq
