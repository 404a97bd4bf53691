#pragma once
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <systemc>

#include "sim/modules/sim_clock.hpp"

namespace kq {

/// A simulation that stopped making progress: the watchdog's verdict, one line naming the
/// stuck module, what it was doing and the cycle. `kqsim run` exits with code 3 on it.
class SimulationStuck : public std::runtime_error {
 public:
  explicit SimulationStuck(const std::string& message) : std::runtime_error(message) {}
};

/// Watches the modules' activity counters. Cycle mode: on every falling edge it compares the
/// sum with the last one seen; `limit_cycles` edges without any module moving data or doing
/// work is a hang, and it stops the simulation with a description of what the controller
/// waits for. (A correct model is never that quiet for long: the only silent stretches are
/// DRAM latency and back-pressure holds, which the default limit exceeds many times over.)
/// Fast mode has no clock: a hang there is an event queue that runs dry before the network
/// is done, which simulate() detects when sc_start returns.
class Watchdog : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Watchdog);
  Watchdog(sc_core::sc_module_name name, SimMode mode, uint64_t limit_cycles,
           std::function<uint64_t()> activity, std::function<std::string()> waiting_for);

  sc_core::sc_in<bool> clk;
  bool fired() const { return !verdict_.empty(); }
  const std::string& verdict() const { return verdict_; }

 private:
  void check();
  uint64_t limit_;
  std::function<uint64_t()> activity_;
  std::function<std::string()> waiting_for_;
  uint64_t last_activity_ = 0, quiet_ = 0;
  std::string verdict_;
};

}  // namespace kq
