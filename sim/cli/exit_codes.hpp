#pragma once

namespace kq {

/// Exit codes of every kqsim command (README §Exit codes).
inline constexpr int kExitOk = 0;
/// `kqsim regress`: a metric moved (or a case could not be compared).
inline constexpr int kExitChanged = 1;
/// Bad input: config, workload, tensor file, command line. One line on stderr.
inline constexpr int kExitBadInput = 2;
/// The watchdog stopped a simulation that made no progress. One line naming the module.
inline constexpr int kExitStuck = 3;
/// An internal error (a bug, or out of memory). One line.
inline constexpr int kExitInternal = 4;

}  // namespace kq
