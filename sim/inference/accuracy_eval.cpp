#include "sim/inference/accuracy_eval.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "models/accuracy/float_reference.hpp"
#include "models/accuracy/topk.hpp"
#include "sim/datapath/network_state.hpp"
#include "sim/inference/functional_pass.hpp"

namespace kq {
namespace {

/// One sample's outcome on one classifier.
struct Outcome {
  uint64_t rank = 0;
  uint32_t prediction = 0;
  uint64_t checked = 0, violations = 0;
};

}  // namespace

AccuracyResult evaluate_accuracy(const Workload& w, const NetworkParams& params,
                                 const std::vector<DesignUnderTest>& designs,
                                 const LabelledData& data, const AccuracyOptions& options) {
  // Callers' contract violations, not user input: the data must belong to this workload.
  if (w.layers.empty())
    throw std::invalid_argument("evaluate_accuracy: the workload has no layers");
  if (data.sample_shape != w.input || data.inputs.size() != data.samples * w.input.elements() ||
      data.labels.size() != data.samples)
    throw std::invalid_argument("evaluate_accuracy: the labelled data does not fit the workload");
  for (uint32_t label : data.labels)
    if (label >= classifier_classes(w))
      throw std::invalid_argument("evaluate_accuracy: a label is not a class of the workload");
  for (const DesignUnderTest& d : designs)
    if (!d.arch) throw std::invalid_argument("evaluate_accuracy: a design without an arch");
  const size_t n = data.samples, nd = designs.size(), last = w.layers.size() - 1;
  // Built only if some sample needs it (no designs): ResNet-50's weights in double are 200 MB.
  std::unique_ptr<FloatReference> reference;
  std::once_flag reference_once;
  auto float_reference = [&]() -> const FloatReference& {
    std::call_once(reference_once,
                   [&] { reference = std::make_unique<FloatReference>(w, params); });
    return *reference;
  };
  std::vector<std::unique_ptr<DesignDatapath>> datapaths;
  for (const DesignUnderTest& d : designs)
    datapaths.push_back(std::make_unique<DesignDatapath>(w, *d.arch, d.quantized));

  // outcomes[c * n + i]: classifier c (0: the float reference, 1 + d: design d), sample i.
  std::vector<Outcome> outcomes((1 + nd) * n);
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex progress_mutex;
  size_t done = 0;
  std::exception_ptr error;

  auto worker = [&] {
    try {
      // NetworkState reads its input from a NetworkParams: one private copy per thread, whose
      // input is replaced sample by sample while no state refers to it.
      NetworkParams local = params;
      for (;;) {
        const size_t i = next.fetch_add(1);
        if (i >= n || failed) break;
        local.input = data.sample(i);
        const uint32_t label = data.labels[i];
        // The float reference is the golden fp32 network every NetworkState computes anyway
        // (same weights, same input, same double-precision reference): taken from the first
        // design's state, computed on its own only without designs (or should a state ever
        // stop computing it).
        std::vector<double> ref;
        for (size_t d = 0; d < nd; ++d) {
          NetworkState state(w, *designs[d].arch, local, options.check_reference,
                             designs[d].quantized);
          datapaths[d]->run(state);
          const std::vector<float>& y = state.output(last);
          Outcome o{label_rank(y, label), top1_class(y), 0, 0};
          if (options.check_reference)
            for (const LayerQuality& q : state.quality()) {
              o.checked += q.check.compared;
              o.violations += q.check.violations;
            }
          outcomes[(1 + d) * n + i] = o;
          if (d == 0 && state.golden(last).size() == y.size()) ref = state.golden(last);
        }
        if (ref.empty()) ref = float_reference().run(local.input.data);
        outcomes[i] = Outcome{label_rank(ref, label), top1_class(ref), 0, 0};
        if (options.on_progress) {
          std::lock_guard<std::mutex> lock(progress_mutex);
          options.on_progress(++done, n);
        }
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(progress_mutex);
      if (!error) error = std::current_exception();
      failed = true;
    }
  };
  unsigned threads = options.threads ? options.threads : std::thread::hardware_concurrency();
  threads = static_cast<unsigned>(std::clamp<size_t>(threads, 1, std::max<size_t>(n, 1)));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();  // the calling thread works too
  for (std::thread& t : pool) t.join();
  if (error) std::rethrow_exception(error);

  AccuracyResult r;
  r.samples = n;
  r.classes = classifier_classes(w);
  auto collect = [&](size_t c, ClassifierAccuracy& a) {
    a.predictions.resize(n);
    for (size_t i = 0; i < n; ++i) {
      const Outcome& o = outcomes[c * n + i];
      a.counts.add(o.rank);
      a.predictions[i] = o.prediction;
      a.values_checked += o.checked;
      a.reference_violations += o.violations;
    }
  };
  r.float_reference.name = "float_reference";
  collect(0, r.float_reference);
  for (size_t d = 0; d < nd; ++d) {
    ClassifierAccuracy a;
    a.name = designs[d].arch->name;
    a.checked = options.check_reference;
    collect(1 + d, a);
    for (size_t i = 0; i < n; ++i)
      a.agreement_with_float += a.predictions[i] == r.float_reference.predictions[i];
    r.designs.push_back(std::move(a));
  }
  return r;
}

}  // namespace kq
