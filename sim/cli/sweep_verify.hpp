#pragma once
#include <string>
#include <vector>

#include "models/sweep/sweep_summary.hpp"

namespace kq {

class SweepSession;

/// Re-runs each design with the cycle model, each in a `kqsim run --mode cycle --no-values`
/// child process of its own (run_children: SystemC elaborates once per process), at most
/// `jobs` at a time,
/// and fills in the cycle-model figures, or the error. Each design's patched architecture and
/// the child's report go to OUT/verify/; a report already there (a resumed sweep) is reused.
void verify_designs(std::vector<VerifiedDesign>& designs, SweepSession& session,
                    const std::string& out_dir, unsigned jobs);

}  // namespace kq
