#include "sim/modules/watchdog.hpp"

#include <fmt/format.h>

namespace kq {

Watchdog::Watchdog(sc_core::sc_module_name name, SimMode mode, uint64_t limit_cycles,
                   std::function<uint64_t()> activity, std::function<std::string()> waiting_for)
    : sc_module(name),
      clk("clk"),
      limit_(limit_cycles),
      activity_(std::move(activity)),
      waiting_for_(std::move(waiting_for)) {
  if (mode == SimMode::cycle) {
    SC_METHOD(check);
    sensitive << clk.neg();
    dont_initialize();
  }
}

void Watchdog::check() {
  const uint64_t a = activity_();
  if (a != last_activity_) {
    last_activity_ = a;
    quiet_ = 0;
    return;
  }
  if (++quiet_ < limit_ || fired()) return;
  verdict_ = fmt::format("watchdog: no progress for {} cycles at cycle {}: {}", quiet_, now_cycle(),
                         waiting_for_());
  sc_core::sc_stop();
}

}  // namespace kq
