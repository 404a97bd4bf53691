#pragma once

namespace kq {
/// `kqsim run`: one workload on one design; writes report.json, layers.csv, summary.md.
int run_command(int argc, char* argv[]);
}  // namespace kq
