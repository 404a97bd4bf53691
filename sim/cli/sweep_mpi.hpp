#pragma once

namespace kq {

struct SweepOptions;

/// Whether an MPI launcher (mpirun/mpiexec of Open MPI or MPICH, Slurm's srun) started this
/// process, from the variables launchers set.
bool launched_by_mpi();
/// This process's rank as the launcher set it (0 when not launched by one).
int launcher_rank();

/// `kqsim sweep` across the ranks of MPI_COMM_WORLD (Boost.MPI): every rank loads the sweep,
/// rank 0 opens the output folder, hands out chunks of points on request (rank 0 also computes
/// on its own threads) and writes every record; workers send each chunk's records back with
/// their next request. Rank 0 then writes the final files exactly as a single process would.
/// Only in builds with MPI (KQSIM_HAVE_MPI). Returns the exit code.
int sweep_mpi(const SweepOptions& options);

}  // namespace kq
