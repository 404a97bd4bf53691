#include "models/cost/analytic_cache.hpp"

#include <optional>

#include "models/common/input_error.hpp"
#include "models/cost/analytic_model.hpp"
#include "models/cost/fold_program.hpp"
#include "models/cost/fold_timeline.hpp"
#include "models/cost/layer_timing.hpp"
#include "models/mapping/codebook_prefetch.hpp"
#include "models/mapping/schedule.hpp"

namespace kq {

/// One layer as far as it can be kept: its fold program (or its single fold), its shape, and
/// the counters it gave for the last DRAM it was timed with.
struct CachedLayer {
  enum class Kind : uint8_t { program, single, unstructured } kind = Kind::program;
  layer_timing::LayerShape shape;
  bool prefetched = false;  ///< its codebook was fetched by the previous KQ layer
  FoldProgram program;
  FoldTotals totals;  ///< program.totals() but for dram_busy_cycles, which follows the DRAM
  Step step;
  bool timed = false;  ///< counts holds the result for timed_dram
  bool timed_ideal = false;
  uint64_t timed_bandwidth = 0, timed_latency = 0;
  ActionCounts counts;
};

struct AnalyticCache::Network {
  std::vector<CachedLayer> layers;
  /// The first layer whose folds do not fit the buffers, with the error it raised; later
  /// layers are not kept.
  std::optional<InputError> error;
};

namespace {

bool same_timing(const CachedLayer& l, const DramSpec& d) {
  return l.timed && l.timed_ideal == d.ideal && l.timed_bandwidth == d.bandwidth_bytes_per_cycle &&
         l.timed_latency == d.latency_cycles;
}

}  // namespace

AnalyticCache::AnalyticCache(size_t max_networks) : max_networks_(max_networks) {}
AnalyticCache::~AnalyticCache() = default;

AnalyticCache::Network& AnalyticCache::build(const Workload& w, const ArchConfig& arch,
                                             const QuantizedNetwork* quantized,
                                             const std::string& key) {
  if (networks_.size() >= max_networks_) networks_.clear();
  auto net = std::make_unique<Network>();
  const std::vector<int> plan = codebook_prefetch_plan(w, arch);
  std::vector<bool> prefetched(w.layers.size(), false);
  for (int t : plan)
    if (t >= 0) prefetched[static_cast<size_t>(t)] = true;
  auto kq_of = [&](size_t i) { return quantized ? quantized->kq_layer(i) : nullptr; };
  net->layers.reserve(w.layers.size());
  try {
    for (size_t i = 0; i < w.layers.size(); ++i) {
      uint64_t prefetch_bits = 0;
      if (plan[i] >= 0) {
        const size_t t = static_cast<size_t>(plan[i]);
        prefetch_bits = Schedule(w.layers[t], arch, nullptr, kq_of(t)).codebook_bits();
      }
      Schedule sched(w.layers[i], arch, quantized ? quantized->kcnn_layer(i) : nullptr, kq_of(i));
      sched.set_codebook_prefetched(prefetched[i]);
      net->layers.emplace_back();
      CachedLayer& l = net->layers.back();
      l.shape = layer_timing::shape_of(sched, prefetch_bits);
      l.prefetched = prefetched[i];
      if (!sched.on_array()) {
        l.kind = CachedLayer::Kind::single;
        l.step = sched.step(0);
      } else if (l.program.build(sched)) {
        l.kind = CachedLayer::Kind::program;
        l.totals = l.program.totals(arch.dram);
        l.program.compact();
      } else {
        l.kind = CachedLayer::Kind::unstructured;  // counted fold by fold every time
      }
    }
  } catch (const InputError& e) {
    net->error = e;
  }
  Network& ref = *net;
  networks_[key] = std::move(net);
  return ref;
}

ActionCounts AnalyticCache::network_totals(const Workload& w, const ArchConfig& arch,
                                           const QuantizedNetwork* quantized,
                                           const std::string& schedule_key) {
  auto it = networks_.find(schedule_key);
  if (it == networks_.end()) {
    // First sighting: evaluate without keeping anything (the per-thread workspace of the
    // closed form reuses its buffers); build an entry if the key comes back.
    if (seen_.size() > 64 * max_networks_) seen_.clear();
    if (seen_.insert(std::hash<std::string>()(schedule_key)).second)
      return analytic_network_totals(w, arch, quantized);
  }
  Network& net = it != networks_.end() ? *it->second : build(w, arch, quantized, schedule_key);
  if (net.error) throw *net.error;
  thread_local FoldTimeline timeline;
  ActionCounts totals;
  for (size_t i = 0; i < net.layers.size(); ++i) {
    CachedLayer& l = net.layers[i];
    if (!same_timing(l, arch.dram)) {
      ActionCounts c;
      switch (l.kind) {
        case CachedLayer::Kind::single:
          layer_timing::single_fold_counts(l.step, l.shape, arch, timeline, c);
          break;
        case CachedLayer::Kind::program:
          l.totals.dram_busy_cycles = l.program.dram_busy_cycles(arch.dram);
          layer_timing::program_counts(l.program, l.totals, l.shape, arch, timeline, c);
          break;
        case CachedLayer::Kind::unstructured: {
          // Counts that depend on each tile's bits: the layer's own Schedule, fold by fold.
          Schedule sched(w.layers[i], arch, quantized ? quantized->kcnn_layer(i) : nullptr,
                         quantized ? quantized->kq_layer(i) : nullptr);
          sched.set_codebook_prefetched(l.prefetched);
          c = analytic_counts_fold_by_fold(sched, arch, l.shape.prefetch_bits);
          break;
        }
      }
      l.counts = c;
      l.timed = true;
      l.timed_ideal = arch.dram.ideal;
      l.timed_bandwidth = arch.dram.bandwidth_bytes_per_cycle;
      l.timed_latency = arch.dram.latency_cycles;
    }
    totals += l.counts;
  }
  return totals;
}

}  // namespace kq
