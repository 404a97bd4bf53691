#pragma once
#include <functional>
#include <string>
#include <vector>

#include "models/config/arch_config.hpp"
#include "models/config/stress_config.hpp"
#include "models/cost/layer_result.hpp"
#include "models/workload/network_params.hpp"
#include "models/workload/workload.hpp"
#include "sim/datapath/network_state.hpp"
#include "sim/modules/sim_clock.hpp"
#include "sim/modules/test_fault.hpp"

namespace kq {

struct SimOptions {
  SimMode mode = SimMode::fast;
  /// Compute real output values (needs params); otherwise timing and counts only.
  bool values = true;
  /// Compare every layer's values with the golden reference.
  bool check_reference = true;
  std::string vcd_path;  ///< waveform of handshakes and busy signals ("" = none)
  std::function<void(size_t, size_t)> on_layer_done;
  /// Random DRAM jitter and buffer back-pressure (off by default).
  StressConfig stress;
  /// Cycle mode: cycles without any module making progress before the watchdog stops the
  /// run (0: default_watchdog_cycles()).
  uint64_t watchdog_cycles = 0;
  TestFault test_fault = TestFault::none;
};

struct SimResult {
  NetworkCost cost;
  std::vector<LayerQuality> quality;  ///< empty without values
  /// FNV-1a 64 of the golden fp32 network's last output (double bits); empty without values.
  /// Identical for every design run on the same tensors.
  std::string golden_output_fnv1a64;
  /// FNV-1a 64 of each layer's stored output (its float values' bytes); empty without values.
  std::vector<uint64_t> output_fnv1a64;
};

/// The default watchdog limit: many times the longest stretch a correct model spends without
/// any module moving data or doing work (a DRAM latency with its jitter, a back-pressure hold).
uint64_t default_watchdog_cycles(const ArchConfig& arch, const StressConfig& stress);

/// Elaborates the accelerator for `arch`, runs the whole network through it in one
/// simulation and returns the per-layer counts. SystemC elaborates once per process, so
/// call this at most once per process. Throws SimulationStuck (sim/modules/watchdog.hpp) if
/// the simulation stops making progress before the network is done.
SimResult simulate(const Workload& w, const ArchConfig& arch, const NetworkParams* params,
                   const QuantizedNetwork* quantized, const SimOptions& options);

}  // namespace kq
