#pragma once

namespace kq {
/// Dispatches subcommands; returns the process exit code (2 for bad input).
int cli_main(int argc, char* argv[]);
}  // namespace kq
