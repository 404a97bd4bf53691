#pragma once
#include <array>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "models/config/arch_config.hpp"
#include "models/cost/layer_result.hpp"
#include "models/mapping/schedule.hpp"
#include "models/workload/workload.hpp"
#include "sim/datapath/network_state.hpp"
#include "sim/modules/dram.hpp"
#include "sim/modules/mac_array.hpp"
#include "sim/modules/timed_unit.hpp"
#include "sim/modules/watchdog.hpp"

namespace kq {

/// Traced top-level handshakes (only with --vcd).
struct Handshakes {
  sc_core::sc_signal<uint32_t> layer{"layer"};
  sc_core::sc_signal<uint64_t> fold{"fold"};
  sc_core::sc_signal<bool> load_issue{"load_issue"};
  sc_core::sc_signal<bool> compute_start{"compute_start"};
  sc_core::sc_signal<bool> store_issue{"store_issue"};
};

/// Walks the network layer by layer and each layer fold by fold through DRAM, buffers and
/// compute units, with the rules of docs/MODEL.md §Timing: loads run prefetch_depth folds
/// ahead (double buffering), a fold starts when its operands are in and the ofmap tile it
/// writes is free, results go back to DRAM when the fold ends.
class Controller : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Controller);
  Controller(sc_core::sc_module_name name, const Workload& w, const ArchConfig& arch, SimMode mode,
             Dram& dram, MacArray& array, TimedUnit& vector, NetworkState* state,
             const QuantizedNetwork* quantized);

  sc_core::sc_in<bool> clk;
  bool finished() const { return finished_; }
  /// What the controller waits for right now, naming the module it waits on (the
  /// watchdog's message when the simulation stops making progress).
  std::string waiting_for() const;
  uint64_t activity = 0;  ///< decisions that changed something, for the watchdog
  /// Cycle mode: checked on every falling edge (nullptr: none).
  Watchdog* watchdog = nullptr;
  const NetworkCost& result() const { return result_; }
  Handshakes* trace = nullptr;
  /// Called after each layer with (layers done, layers total).
  std::function<void(size_t, size_t)> on_layer_done;

 private:
  void evaluate();
  void start_layer(uint64_t now);
  void end_layer(uint64_t now);
  void issue_load(uint64_t s);
  ActionCounts unit_totals() const;
  TimedUnit& unit() { return schedule_->on_array() ? static_cast<TimedUnit&>(array_) : vector_; }

  const Workload& w_;
  const ArchConfig& arch_;
  SimMode mode_;
  Dram& dram_;
  MacArray& array_;
  TimedUnit& vector_;
  NetworkState* state_;
  const QuantizedNetwork* quantized_;

  size_t layer_ = 0;
  bool layer_active_ = false, finished_ = false, computing_ = false;
  std::unique_ptr<Schedule> schedule_;
  uint64_t steps_ = 0, next_ = 0, layer_start_ = 0, compute_end_ = 0, busy_ = 0;
  static constexpr uint64_t kRing = 4;
  std::array<Step, kRing> ahead_;
  std::array<uint64_t, kRing> load_ticket_{}, store_ticket_{};
  ActionCounts at_layer_start_;
  std::vector<int> plan_;         ///< codebook_prefetch_plan
  std::vector<bool> prefetched_;  ///< layer's codebook fetched by the previous KQ layer
  NetworkCost result_;
};

}  // namespace kq
