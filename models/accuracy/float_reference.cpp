#include "models/accuracy/float_reference.hpp"

#include "models/quant/reference.hpp"

namespace kq {

FloatReference::FloatReference(const Workload& w, const NetworkParams& params) : w_(&w) {
  const size_t n = w.layers.size();
  weights_.resize(n);
  biases_.resize(n);
  last_use_.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const LayerParams& lp = params.layers[i];
    weights_[i].assign(lp.weight.data.begin(), lp.weight.data.end());
    biases_[i].assign(lp.bias.data.begin(), lp.bias.data.end());
    last_use_[i] = i;
    for (int src : w.layers[i].inputs)
      if (src >= 0) last_use_[static_cast<size_t>(src)] = i;
  }
}

std::vector<double> FloatReference::run(const std::vector<float>& input) const {
  const size_t n = w_->layers.size();
  const std::vector<double> x(input.begin(), input.end());
  std::vector<std::vector<double>> out(n);
  for (size_t i = 0; i < n; ++i) {
    const Layer& l = w_->layers[i];
    std::vector<const std::vector<double>*> ins;
    for (int src : l.inputs) ins.push_back(src < 0 ? &x : &out[static_cast<size_t>(src)]);
    out[i] = reference_layer(l, ins, weights_[i], biases_[i]);
    // Free what no later layer reads (ResNet-50's activations add up).
    for (int src : l.inputs)
      if (src >= 0 && last_use_[static_cast<size_t>(src)] == i)
        std::vector<double>().swap(out[static_cast<size_t>(src)]);
  }
  return std::move(out.back());
}

}  // namespace kq
