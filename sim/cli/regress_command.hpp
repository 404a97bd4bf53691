#pragma once

namespace kq {
/// `kqsim regress`: re-runs a suite of cases and compares them with stored goldens.
int regress_command(int argc, char* argv[]);
}  // namespace kq
