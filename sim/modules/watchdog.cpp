#include "sim/modules/watchdog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <systemc>

#include "sim/modules/sim_clock.hpp"

namespace kq {

Watchdog::Watchdog(uint64_t limit_cycles, std::vector<const uint64_t*> activity,
                   std::function<std::string()> waiting_for)
    : limit_(limit_cycles),
      activity_(std::move(activity)),
      waiting_for_(std::move(waiting_for)),
      period_(std::clamp<uint64_t>(limit_cycles / 8, 1, 1024)),
      until_sample_(period_) {}

bool Watchdog::fire() {
  if (fired()) return true;
  verdict_ = fmt::format("watchdog: no progress for {} cycles at cycle {}: {}", quiet_, now_cycle(),
                         waiting_for_());
  sc_core::sc_stop();
  return true;
}

}  // namespace kq
