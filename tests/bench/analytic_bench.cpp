// Times the analytic model in-process (no process start-up or file I/O in the figure):
// kqsim_analytic_bench ARCH.json WORKLOAD.json [repetitions]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "models/common/input_error.hpp"
#include "models/config/arch_config.hpp"
#include "models/cost/analytic_model.hpp"
#include "models/workload/workload.hpp"

int main(int argc, char* argv[]) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s ARCH.json WORKLOAD.json [repetitions]\n", argv[0]);
    return 2;
  }
  try {
    const kq::ArchConfig arch = kq::load_arch_config(argv[1]);
    const kq::Workload w = kq::load_workload(argv[2]);
    const int reps = argc > 3 ? std::atoi(argv[3]) : 20;
    uint64_t cycles = 0;
    double best_ms = 1e30;
    for (int i = 0; i < reps; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      const kq::NetworkCost c = kq::analytic_network(w, arch);
      const auto t1 = std::chrono::steady_clock::now();
      cycles = c.totals.cycles;
      best_ms = std::min(best_ms, std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    std::printf("analytic %s on %s: best of %d runs %.3f ms (%llu cycles)\n", w.name.c_str(),
                arch.name.c_str(), reps, best_ms, static_cast<unsigned long long>(cycles));
    return 0;
  } catch (const kq::InputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}
