#include "sim/inference/functional_pass.hpp"

namespace kq {

DesignDatapath::DesignDatapath(const Workload& w, const ArchConfig& arch,
                               const QuantizedNetwork* quantized)
    : w_(&w), arch_(&arch), quantized_(quantized) {
  schedules_.resize(w.layers.size());
  for (size_t i = 0; i < w.layers.size(); ++i)
    if (w.layers[i].on_array())
      schedules_[i] = std::make_unique<Schedule>(w.layers[i], arch,
                                                 quantized ? quantized->kcnn_layer(i) : nullptr,
                                                 quantized ? quantized->kq_layer(i) : nullptr);
}

void DesignDatapath::run(NetworkState& state) const {
  const bool kcnn_array = arch_->kcnn.has_value();
  for (size_t i = 0; i < w_->layers.size(); ++i) {
    const Schedule* s = schedules_[i].get();
    if (!s) {
      state.run_vector_layer(i);
      continue;
    }
    ArrayOperands& ops = state.begin_array_layer(i);
    // The kernel the SystemC MacArray applies when a fold retires (sim/modules/mac_array.hpp).
    for (uint64_t k = 0; k < s->num_steps(); ++k) {
      const Step step = s->step(k);
      if (ops.kq_reuse.active)
        kq_reuse_fold(ops, step);
      else if (kcnn_array)
        kcnn_fold(ops, step);
      else
        mac_fold(ops, step, arch_->array.dataflow);
    }
    state.finish_array_layer(i);
  }
}

}  // namespace kq
