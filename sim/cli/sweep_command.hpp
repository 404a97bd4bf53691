#pragma once

namespace kq {
/// `kqsim sweep SPEC.json --out DIR [--jobs N] [--verify-top K] [--mpi]`: evaluates a
/// design-space sweep with the analytic model (docs/SWEEP.md).
int sweep_command(int argc, char* argv[]);
}  // namespace kq
