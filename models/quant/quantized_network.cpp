#include "models/quant/quantized_network.hpp"

#include "models/quant/kcnn_import.hpp"
#include "models/quant/kq_import.hpp"
#include "models/workload/npy.hpp"

namespace kq {

QuantizedNetwork quantize_network(const Workload& w, const ArchConfig& arch,
                                  const NetworkParams& params, const std::string& weights_npz) {
  QuantizedNetwork q;
  if (arch.kq) {
    const KqOptions& opts = *arch.kq;
    if (!weights_npz.empty()) {
      // The .npz may also hold "<layer>.weight" arrays (load_params reads those): hand the KQ
      // importer only its own arrays.
      std::map<std::string, NpyArray> arrays = read_npz(weights_npz);
      for (auto it = arrays.begin(); it != arrays.end();)
        it = it->first.find(".kq_") == std::string::npos ? arrays.erase(it) : std::next(it);
      q.kq = import_kq_arrays(arrays, weights_npz, w, opts);
    }
    q.kq.resize(w.layers.size());
    q.imported.assign(w.layers.size(), false);
    for (size_t i = 0; i < w.layers.size(); ++i) q.imported[i] = q.kq[i].has_value();
    for (size_t i = 0; i < w.layers.size(); ++i)
      if (!q.kq[i] && opts.applies_to(w.layers[i]))
        q.kq[i] = quantize_layer(w.layers[i], i, params.layers[i].weight, opts);
    return q;
  }
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
