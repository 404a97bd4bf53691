#include "sim/cli/sweep_command.hpp"

#include <fmt/format.h>

#include <atomic>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "models/common/input_error.hpp"
#include "sim/cli/progress.hpp"
#include "sim/cli/sweep_mpi.hpp"
#include "sim/cli/sweep_session.hpp"

namespace kq {

bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK"})
    if (std::getenv(v)) return true;
  // srun without an MPI plugin starts independent tasks: still a launch asking for MPI.
  const char* tasks = std::getenv("SLURM_STEP_NUM_TASKS");
  return tasks && std::atoi(tasks) > 1;
}

int launcher_rank() {
  for (const char* v : {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID"})
    if (const char* r = std::getenv(v)) return std::atoi(r);
  return 0;
}

namespace {

namespace po = boost::program_options;

#ifdef KQSIM_HAVE_MPI
constexpr bool kHaveMpi = true;
#else
constexpr bool kHaveMpi = false;
#endif

int run_local(const SweepOptions& o) {
  SweepSession session(o);
  std::unique_ptr<SweepOutput> out = session.open_output();
  std::vector<uint64_t> pending;
  for (uint64_t p = 0; p < session.space().points(); ++p)
    if (!out->done()[p]) pending.push_back(p);
  const uint64_t todo = pending.size();
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = process_cpu_seconds();
  session.prefit(pending, o.jobs);
  TaskPool pool(std::move(pending));
  ProgressBar bar("points");
  std::atomic<uint64_t> finished{0};
  std::mutex bar_mutex;
  const uint64_t total = session.space().points(), resumed = out->resumed_points();
  run_threads(session, pool, o.jobs, o.jobs, [&](uint64_t, PointRecords&& r) {
    out->add(r.jsonl, r.csv, std::move(r.digests));
    const uint64_t n = ++finished;
    if (n % 64 == 0 || n == todo) {
      std::lock_guard<std::mutex> lock(bar_mutex);
      bar.update(resumed + n, total);
    }
  });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return session.finish(*out, todo, seconds, process_cpu_seconds() - cpu0);
}

}  // namespace

int sweep_command(int argc, char* argv[]) {
  po::options_description opts("kqsim sweep options");
  SweepOptions o;
  unsigned jobs = 0;
  opts.add_options()("help,h", "show this help")("spec", po::value(&o.spec_path)->required(),
                                                 "sweep spec (arch_configs/sweeps/*.json)")(
      "out", po::value(&o.out_dir)->required(),
      "output folder; a folder holding the same sweep is resumed")(
      "jobs,j", po::value(&jobs)->default_value(0),
      "compute threads (0: one per core; with MPI: per rank, 0 means 1)")(
      "verify-top", po::value(&o.verify_top)->default_value(0),
      "re-run the K best designs per objective and workload with the cycle model")(
      "mpi", "distribute over MPI ranks (implied when started by mpirun or srun)")(
      "quiet,q", "print nothing on success");
  po::positional_options_description pos;
  pos.add("spec", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).positional(pos).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: kqsim sweep SPEC.json --out DIR [options]\n"
                   "       mpirun -np N kqsim sweep SPEC.json --out DIR [options]\n"
                << (kHaveMpi ? "MPI: built in (Boost.MPI)\n\n"
                             : "MPI: not in this build (Boost.MPI was not found)\n\n")
                << opts;
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "kqsim sweep: %s (see kqsim sweep --help)\n", e.what());
    return 2;
  }
  o.quiet = vm.count("quiet") > 0;
  if (jobs > 1024) {
    std::fprintf(stderr, "kqsim sweep: --jobs: expected at most 1024 threads, got %u\n", jobs);
    return 2;
  }
  const bool mpi = vm.count("mpi") > 0 || launched_by_mpi();
  if (mpi && !kHaveMpi) {
    // Every rank would say it; one line is enough.
    if (launcher_rank() == 0)
      std::fprintf(stderr,
                   "kqsim sweep: this build of kqsim has no MPI support (it was configured "
                   "without Boost.MPI and Open MPI); install libboost-mpi-dev and openmpi-bin "
                   "and rebuild, or run the sweep without mpirun/--mpi (threads: --jobs N)\n");
    return 2;
  }
  o.jobs = jobs ? jobs : mpi ? 1 : std::max(1u, std::thread::hardware_concurrency());
  try {
#ifdef KQSIM_HAVE_MPI
    if (mpi) return sweep_mpi(o);
#endif
    return run_local(o);
  } catch (const InputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

}  // namespace kq
