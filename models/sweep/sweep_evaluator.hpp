#pragma once
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "models/config/tech_table.hpp"
#include "models/sweep/design_quality.hpp"
#include "models/sweep/design_space.hpp"
#include "models/sweep/once_cache.hpp"
#include "models/sweep/sweep_spec.hpp"
#include "models/workload/network_params.hpp"
#include "models/workload/workload.hpp"

namespace kq {

/// Evaluates sweep points with the analytic model. Everything points share is computed once
/// per process, by the first thread that needs it: technology tables per (table, node), the
/// synthetic (supplied, or an .onnx graph's trained) weights per workload, and fitted quantized
/// weights per (workload, quantizer settings). Safe to call from many threads at once.
class SweepEvaluator {
 public:
  /// Loads the workloads (InputError for a bad one, or for two with the same name).
  SweepEvaluator(const SweepSpec& spec, const DesignSpace& space);

  const std::vector<Workload>& workloads() const { return workloads_; }
  /// One record per workload for point p (sweep_record.hpp). Bad designs become invalid
  /// records with the reason; this never throws for a point's own problems.
  std::vector<nlohmann::ordered_json> evaluate(uint64_t p);
  /// The axis values of point p as the records list them.
  nlohmann::ordered_json values(uint64_t p) const;
  /// Fits, on `jobs` threads at once, every distinct set of quantized weights the points will
  /// need (one per workload and quantizer setting), instead of letting the first points of each
  /// setting wait for it one after another. Points are grouped by the values of the axes that
  /// can change the quantizer (those writing under /kcnn, /kq or /datapath), so only one point
  /// per group is parsed. Failures are remembered and reported by the points that hit them.
  void prefit(const std::vector<uint64_t>& points, unsigned jobs);
  /// The patched, validated design of point p as JSON (for `kqsim run` in --verify-top).
  nlohmann::json design(uint64_t p) const { return space_->design(p); }

 private:
  const NetworkParams& params(size_t wl);
  std::shared_ptr<const FittedWeights> fitted(size_t wl, const ArchConfig& arch);

  const SweepSpec* spec_;
  const DesignSpace* space_;
  uint64_t id_;  ///< tells this evaluator's per-thread analytic caches from earlier ones
  std::vector<Workload> workloads_;
  /// Per workload: the trained weights of an .onnx workload (read with the graph), else empty.
  std::vector<std::optional<NetworkParams>> onnx_params_;
  OnceCache<TechTable> tech_;
  OnceCache<NetworkParams> params_;
  OnceCache<FittedWeights> fitted_;
};

}  // namespace kq
