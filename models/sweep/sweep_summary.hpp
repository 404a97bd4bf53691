#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/sweep/design_space.hpp"
#include "models/sweep/sweep_record.hpp"
#include "models/sweep/sweep_spec.hpp"

namespace kq {

/// A design picked for re-running with the cycle model (--verify-top) and what it gave.
struct VerifiedDesign {
  uint64_t point = 0;
  std::string workload;
  std::vector<std::string> best_for;  ///< objectives it ranks in the top K of
  bool ran = false;                   ///< the cycle-model run succeeded
  std::string error;                  ///< why not, otherwise
  uint64_t analytic_cycles = 0, cycle_cycles = 0;
  double analytic_energy_mj = 0, cycle_energy_mj = 0;
  uint64_t analytic_dram_bytes = 0, cycle_dram_bytes = 0;
};

/// The K best feasible designs per objective on each workload (ties: lower point first), each
/// design once with every objective it ranks for; in (workload, point) order.
std::vector<VerifiedDesign> top_designs(const std::vector<RecordDigest>& records,
                                        const std::vector<std::string>& workloads, uint64_t k);

/// pareto.csv: per workload (in spec order), the feasible designs no other feasible design
/// beats in energy, latency and area at once, by ascending energy.
std::string pareto_csv(const SweepSpec& spec, const DesignSpace& space,
                       const std::vector<RecordDigest>& records,
                       const std::vector<std::string>& workloads);
/// verify.csv: the analytic and cycle-model figures of each verified design and their deltas.
std::string verify_csv(const std::vector<VerifiedDesign>& verified);
/// summary.md: the space, counts of evaluated / invalid / infeasible points, the best design
/// per objective on each workload, the Pareto front sizes, verification deltas. Names no
/// output folder and no time: equal sweeps give equal bytes wherever and however they ran.
std::string summary_md(const SweepSpec& spec, const DesignSpace& space,
                       const std::vector<RecordDigest>& records,
                       const std::vector<std::string>& workloads,
                       const std::vector<VerifiedDesign>& verified);

}  // namespace kq
