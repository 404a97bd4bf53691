#include "models/quant/quantized_network.hpp"

#include "models/quant/kcnn_import.hpp"

namespace kq {

QuantizedNetwork quantize_network(const Workload& w, const ArchConfig& arch,
                                  const NetworkParams& params, const std::string& weights_npz) {
  QuantizedNetwork q;
  if (!arch.kcnn) return q;
  const KcnnOptions& opts = *arch.kcnn;
  if (!weights_npz.empty()) q.kcnn = import_kcnn_weights(weights_npz, w, opts);
  q.kcnn.resize(w.layers.size());
  for (size_t i = 0; i < w.layers.size(); ++i) {
    if (q.kcnn[i] || !w.layers[i].on_array()) continue;
    q.kcnn[i] = quantize_kcnn_layer(w.layers[i], params.layers[i].weight, opts);
  }
  return q;
}

}  // namespace kq
