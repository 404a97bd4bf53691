#include "sim/modules/accelerator.hpp"

#include <fmt/format.h>

#include <memory>
#include <systemc>

#include "models/common/file_hash.hpp"
#include "sim/modules/controller.hpp"
#include "sim/modules/dram.hpp"
#include "sim/modules/mac_array.hpp"
#include "sim/modules/stress_draw.hpp"
#include "sim/modules/timed_unit.hpp"
#include "sim/modules/watchdog.hpp"

namespace kq {
namespace {

/// The top level: DRAM, MAC array, vector unit and controller on one clock. Buffers are
/// passive SRAM macros whose capacity the schedule checks and whose reads and writes the
/// units count as they stream through them.
struct Accelerator : sc_core::sc_module {
  Accelerator(sc_core::sc_module_name name, const Workload& w, const ArchConfig& arch,
              const SimOptions& o, NetworkState* state, const QuantizedNetwork* quantized)
      : sc_module(name),
        dram("dram", arch.dram, o.mode, o.stress),
        array("mac_array", o.mode, arch.array.dataflow, arch.kcnn.has_value()),
        vector("vector_unit", o.mode, &ActionCounts::vector),
        controller("controller", w, arch, o.mode, dram, array, vector, state, quantized),
        watchdog(o.watchdog_cycles ? o.watchdog_cycles : default_watchdog_cycles(arch, o.stress),
                 {&dram.activity, &array.activity, &vector.activity, &controller.activity},
                 [this] { return controller.waiting_for(); }) {
    const SimMode mode = o.mode;
    array.set_backpressure(o.stress.backpressure_max_cycles,
                           stress_stream_seed(o.stress.seed, StressStream::mac_array));
    vector.set_backpressure(o.stress.backpressure_max_cycles,
                            stress_stream_seed(o.stress.seed, StressStream::vector_unit));
    array.set_extra_cycle(o.test_fault == TestFault::array_extra_cycle);
    if (o.test_fault == TestFault::stuck_array) array.set_stuck_job(1);
    if (o.test_fault == TestFault::stuck_dram) dram.set_stuck_ticket(4);
    if (mode == SimMode::cycle) controller.watchdog = &watchdog;
    // Fast mode has no clock at all: nothing ticks, time jumps from event to event.
    sc_core::sc_signal_in_if<bool>* c = &no_clock;
    if (mode == SimMode::cycle) {
      clock = std::make_unique<sc_core::sc_clock>("clk", kCyclePeriod, 0.5, sc_core::SC_ZERO_TIME,
                                                  false);
      c = clock.get();
    }
    dram.clk(*c);
    array.clk(*c);
    vector.clk(*c);
    controller.clk(*c);
  }
  std::unique_ptr<sc_core::sc_clock> clock;
  sc_core::sc_signal<bool> no_clock{"no_clock"};
  Dram dram;
  MacArray array;
  TimedUnit vector;
  Controller controller;
  Watchdog watchdog;
};

}  // namespace

uint64_t default_watchdog_cycles(const ArchConfig& arch, const StressConfig& stress) {
  const uint64_t quiet =
      arch.dram.latency_cycles + stress.dram_latency_jitter_cycles + stress.backpressure_max_cycles;
  return 4 * quiet + 10000;
}

SimResult simulate(const Workload& w, const ArchConfig& arch, const NetworkParams* params,
                   const QuantizedNetwork* quantized, const SimOptions& options) {
  // SystemC reports (e.g. the sc_stop info) are not the user's business.
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_DO_NOTHING);
  std::unique_ptr<NetworkState> state;
  if (options.values && params)
    state = std::make_unique<NetworkState>(w, arch, *params, options.check_reference, quantized);
  auto top = std::make_unique<Accelerator>("accelerator", w, arch, options, state.get(), quantized);
  top->controller.on_layer_done = options.on_layer_done;

  sc_core::sc_trace_file* tf = nullptr;
  Handshakes handshakes;
  sc_core::sc_signal<bool> array_busy("array_busy"), dram_busy("dram_busy"),
      vector_busy("vector_busy");
  if (!options.vcd_path.empty()) {
    std::string base = options.vcd_path;
    if (base.size() > 4 && base.substr(base.size() - 4) == ".vcd") base.resize(base.size() - 4);
    tf = sc_core::sc_create_vcd_trace_file(base.c_str());
    tf->set_time_unit(1, sc_core::SC_PS);
    if (top->clock) sc_core::sc_trace(tf, *top->clock, "clk");
    sc_core::sc_trace(tf, handshakes.layer, "layer");
    sc_core::sc_trace(tf, handshakes.fold, "fold");
    sc_core::sc_trace(tf, handshakes.load_issue, "load_issue");
    sc_core::sc_trace(tf, handshakes.compute_start, "compute_start");
    sc_core::sc_trace(tf, handshakes.store_issue, "store_issue");
    sc_core::sc_trace(tf, array_busy, "array_busy");
    sc_core::sc_trace(tf, dram_busy, "dram_busy");
    sc_core::sc_trace(tf, vector_busy, "vector_busy");
    top->controller.trace = &handshakes;
    top->array.busy_trace = &array_busy;
    top->dram.busy_trace = &dram_busy;
    top->vector.busy_trace = &vector_busy;
  }
  sc_core::sc_start();
  if (tf) sc_core::sc_close_vcd_trace_file(tf);
  if (top->watchdog.fired()) throw SimulationStuck(top->watchdog.verdict());
  if (!top->controller.finished())
    // Fast mode: every wait is on a scheduled event, so a hang shows as an empty event queue.
    throw SimulationStuck(fmt::format("watchdog: no event left to simulate at cycle {}: {}",
                                      now_cycle(), top->controller.waiting_for()));
  SimResult r;
  r.cost = top->controller.result();
  if (state) {
    r.quality = state->quality();
    const std::vector<double>& out = state->golden(w.layers.size() - 1);
    Fnv1a64 h;
    h.add(out.data(), out.size() * sizeof(double));
    r.golden_output_fnv1a64 = h.hex();
    for (size_t i = 0; i < w.layers.size(); ++i) {
      const std::vector<float>& v = state->output(i);
      Fnv1a64 layer;
      layer.add(v.data(), v.size() * sizeof(float));
      r.output_fnv1a64.push_back(layer.value());
    }
  }
  return r;
}

}  // namespace kq
