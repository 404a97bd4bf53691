#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace kq {

/// Deliberate model defects for testing the test machinery, selected by the environment
/// variable KQSIM_TEST_FAULT (never by a config: a faulty model must not be reachable by
/// accident). Reports of such a run say so (`test_fault` in report.json).
///   array_extra_cycle: every MAC-array job takes one cycle more than its fold says, as if
///     someone changed the drain by one cycle (`kqsim regress` must flag it);
///   stuck_dram: the DRAM link never completes the first request from its fifth on that
///     moves bytes over a non-ideal link, nor any after it (a hang the watchdog must turn
///     into an error);
///   stuck_array: the MAC array never finishes its second job.
enum class TestFault { none, array_extra_cycle, stuck_dram, stuck_array };

inline constexpr const char* kTestFaultVariable = "KQSIM_TEST_FAULT";

inline std::optional<TestFault> parse_test_fault(std::string_view s) {
  if (s.empty() || s == "none") return TestFault::none;
  if (s == "array_extra_cycle") return TestFault::array_extra_cycle;
  if (s == "stuck_dram") return TestFault::stuck_dram;
  if (s == "stuck_array") return TestFault::stuck_array;
  return std::nullopt;
}

}  // namespace kq
