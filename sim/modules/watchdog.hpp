#pragma once
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace kq {

/// A simulation that stopped making progress: the watchdog's verdict, one line naming the
/// stuck module, what it was doing and the cycle. `kqsim run` exits with code 3 on it.
class SimulationStuck : public std::runtime_error {
 public:
  explicit SimulationStuck(const std::string& message) : std::runtime_error(message) {}
};

/// Watches the modules' activity counters in cycle mode. The controller calls check() on
/// every falling clock edge it decides on (no process of its own: one more SystemC process
/// per cycle would cost cycle mode several percent), and the counters are summed every
/// `period` edges only (limit / 8, at most 1024). When the sum has not moved for at least
/// `limit_cycles` edges, no module moved data or did work all that time: a hang. check() then
/// stops the simulation with a description of what the controller waits for. (A correct model
/// is never that quiet for long: the only silent stretches are DRAM latency and back-pressure
/// holds, which the default limit exceeds many times over. The sum only grows, so equal
/// samples prove the whole stretch between them silent: no false alarm, and a hang is caught
/// within limit + period edges.) Fast mode has no clock: a hang there is an event queue that
/// runs dry before the network is done, which simulate() detects when sc_start returns.
class Watchdog {
 public:
  Watchdog(uint64_t limit_cycles, std::vector<const uint64_t*> activity,
           std::function<std::string()> waiting_for);

  /// One falling edge; returns true when the watchdog fires (it has called sc_stop()).
  bool check() {
    if (--until_sample_) return false;
    until_sample_ = period_;
    uint64_t a = 0;
    for (const uint64_t* c : activity_) a += *c;
    if (a != last_activity_) {
      last_activity_ = a;
      quiet_ = 0;
      return false;
    }
    quiet_ += period_;
    return quiet_ >= limit_ && fire();
  }
  bool fired() const { return !verdict_.empty(); }
  const std::string& verdict() const { return verdict_; }

 private:
  bool fire();
  uint64_t limit_;
  std::vector<const uint64_t*> activity_;
  std::function<std::string()> waiting_for_;
  uint64_t period_, until_sample_;
  uint64_t last_activity_ = 0, quiet_ = 0;
  std::string verdict_;
};

}  // namespace kq
