#include "sim/cli/cli.hpp"

#include <cstdio>
#include <cstring>
#include <string>

#include "sim/cli/compare_command.hpp"
#include "sim/cli/inspect_command.hpp"
#include "sim/cli/regress_command.hpp"
#include "sim/cli/run_command.hpp"
#include "sim/cli/sweep_command.hpp"

namespace kq {
namespace {

void print_usage(std::FILE* f) {
  std::fprintf(f,
               "kqsim %s: cycle-accurate simulator and cost estimator for CNN accelerators\n"
               "\n"
               "usage: kqsim <command> [options]      (kqsim <command> --help for its options)\n"
               "\n"
               "commands:\n"
               "  run      simulate one workload on one architecture and write a report\n"
               "  compare  run one workload on a baseline and several designs; tables, plots, "
               "page\n"
               "  inspect  print the layer table kqsim derives from an .onnx model or a "
               "workload\n"
               "  sweep    explore a design space with the analytic model (threads or MPI)\n"
               "  regress  re-run the regression suite and compare it with its goldens\n",
               KQSIM_VERSION);
}

}  // namespace

int cli_main(int argc, char* argv[]) {
  if (argc < 2) {
    print_usage(stderr);
    return 2;
  }
  const std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    print_usage(stdout);
    return 0;
  }
  if (cmd == "--version") {
    std::printf("kqsim %s\n", KQSIM_VERSION);
    return 0;
  }
  if (cmd == "run") return run_command(argc - 1, argv + 1);
  if (cmd == "compare") return compare_command(argc - 1, argv + 1);
  if (cmd == "inspect") return inspect_command(argc - 1, argv + 1);
  if (cmd == "sweep") return sweep_command(argc - 1, argv + 1);
  if (cmd == "regress") return regress_command(argc - 1, argv + 1);
  std::fprintf(stderr, "kqsim: unknown command \"%s\" (try kqsim --help)\n", cmd.c_str());
  return 2;
}

}  // namespace kq
