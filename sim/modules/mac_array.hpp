#pragma once
#include "models/config/arch_config.hpp"
#include "models/mapping/schedule.hpp"
#include "sim/datapath/array_operands.hpp"
#include "sim/modules/timed_unit.hpp"

namespace kq {

/// The rows × cols MAC array (or, in a kcnn_bitplane design, the adder array with its
/// separately sized multiplier array). Timing comes from the fold's Step (fill, port-limited
/// stream, skew/drain); when a fold retires the array applies its products to the layer's
/// accumulators through the datapath kernel.
class MacArray : public TimedUnit {
 public:
  MacArray(sc_core::sc_module_name name, SimMode mode, Dataflow dataflow, bool kcnn)
      : TimedUnit(name, mode, &ActionCounts::array, &ActionCounts::multipliers),
        dataflow_(dataflow),
        kcnn_(kcnn) {}
  /// Operands of the layer in flight (nullptr: timing only, no values).
  void bind_layer(ArrayOperands* ops) { ops_ = ops; }
  void complete(const Step& fold) {
    if (ops_) {
      if (ops_->kq_reuse.active)
        kq_reuse_fold(*ops_, fold);
      else if (kcnn_)
        kcnn_fold(*ops_, fold);
      else
        mac_fold(*ops_, fold, dataflow_);
    }
    retire();
  }

 private:
  Dataflow dataflow_;
  bool kcnn_;  ///< a kcnn_bitplane array: plane sums, then the multiplier array
  ArrayOperands* ops_ = nullptr;
};

}  // namespace kq
