#pragma once
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "models/config/arch_config.hpp"
#include "models/cost/action_counts.hpp"
#include "models/quant/quantized_network.hpp"
#include "models/workload/workload.hpp"

namespace kq {

/// A memo of analytic evaluations across the points of a design-space sweep (one per thread,
/// not thread-safe). Points that differ only in what the Schedule does not read (DRAM speed,
/// technology node, clock, names) share every layer's fold program; points whose DRAM is also
/// the same share whole layer results. A key is kept only when it comes back: a sweep whose
/// points all differ pays a hash per point, nothing more. Results are exactly
/// analytic_network_totals'.
class AnalyticCache {
 public:
  /// Keeps the fold programs of at most `max_networks` schedule keys (then starts afresh).
  explicit AnalyticCache(size_t max_networks = 48);
  ~AnalyticCache();
  AnalyticCache(const AnalyticCache&) = delete;
  AnalyticCache& operator=(const AnalyticCache&) = delete;

  /// analytic_network_totals(w, arch, quantized). `schedule_key` must identify everything the
  /// Schedule reads: the workload, the quantized weights (the same object, alive while the cache
  /// is used) and every field of `arch` but its DRAM, clock, technology and name. A sweep uses
  /// its workload index and the design's JSON without "dram", "clock_mhz", "tech" and "name".
  /// Throws InputError exactly where analytic_network_totals would.
  ActionCounts network_totals(const Workload& w, const ArchConfig& arch,
                              const QuantizedNetwork* quantized, const std::string& schedule_key);

 private:
  struct Network;
  Network& build(const Workload& w, const ArchConfig& arch, const QuantizedNetwork* quantized,
                 const std::string& key);

  size_t max_networks_;
  std::unordered_map<std::string, std::unique_ptr<Network>> networks_;
  /// Hashes of keys seen once (a collision only makes a key kept one sighting early).
  std::unordered_set<size_t> seen_;
};

}  // namespace kq
