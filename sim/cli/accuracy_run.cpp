#include "sim/cli/accuracy_run.hpp"

#include "models/cost/energy_model.hpp"
#include "sim/cli/progress.hpp"
#include "sim/inference/accuracy_eval.hpp"

namespace kq {

nlohmann::ordered_json run_accuracy(const Workload& w, const NetworkParams& params,
                                    const ArchConfig& arch, const TechTable& tech,
                                    const QuantizedNetwork& quantized, const LabelledData& data,
                                    const NetworkCost& cost, unsigned threads, bool check) {
  AccuracyOptions o;
  o.threads = threads;
  o.check_reference = check;
  ProgressBar bar("samples");
  o.on_progress = [&bar](size_t done, size_t total) { bar.update(done, total); };
  const AccuracyResult r = evaluate_accuracy(w, params, {{&arch, &quantized}}, data, o);
  SampleCost c;
  c.energy_pj = compute_energy(cost.totals, arch, tech).total_pj;
  c.multiplications = cost.totals.total_multiplications();
  c.cycles = cost.totals.cycles;
  c.latency_us = static_cast<double>(cost.totals.cycles) / arch.clock_mhz;
  const std::vector<SampleCost> costs = {c};
  return accuracy_to_json(r, &costs);
}

}  // namespace kq
