#pragma once

namespace kq {

/// `kqsim compare`: one workload, the same tensors, a baseline and several designs; writes
/// compare.json/.csv/.md, plots and index.html. Returns the process exit code.
int compare_command(int argc, char* argv[]);

}  // namespace kq
