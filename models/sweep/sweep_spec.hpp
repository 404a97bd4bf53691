#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "models/sweep/json_pointer.hpp"

namespace kq {

/// One dimension of a design space: a list of values written to one or more places of the
/// base design (several pointers take the same value, e.g. array rows and cols).
struct SweepAxis {
  std::string name;  ///< column name in results.csv
  std::vector<JsonPointer> pointers;
  std::vector<nlohmann::json> values;
};

/// A field computed from others after the axes are applied: product of the unsigned integers
/// at `factors` times `scale` (e.g. a MAC array's multiplier count = rows · cols).
struct DerivedField {
  JsonPointer target;
  std::vector<JsonPointer> factors;
  uint64_t scale = 1;
};

/// A feasibility bound on one metric (models/sweep/sweep_metrics.hpp).
struct SweepConstraint {
  std::string metric;
  std::optional<double> min, max;
};

struct SweepWorkload {
  /// Resolved against the spec's folder: a workload (.json, SCALE-Sim .csv), or a trained
  /// network (.onnx) whose graph gives the layers and whose weights replace synthetic ones.
  std::string path;
  std::string weights;  ///< optional .npz (resolved), else seeded synthetic (or the graph's)
  std::string pointer;  ///< where the path is in the spec ("/workloads/0/path"), for messages
};

enum class SweepSampling : uint8_t { grid, random };

/// A sweep spec (docs/SWEEP.md), parsed and validated once.
struct SweepSpec {
  std::string file;
  std::string name;
  std::string base_path;  ///< the base design, resolved
  nlohmann::json base;    ///< its document, as read
  std::vector<SweepWorkload> workloads;
  uint64_t seed = 1;  ///< synthetic weights and inputs for fitting quantizers
  /// KCNN/KQ designs: fit the quantized weights (once per distinct quantizer setting) to
  /// report their SQNR; counts never need them unless KCNN zero-skipping or window-sum
  /// sharing makes them depend on the bits.
  bool fit_quantizers = true;
  SweepSampling sampling = SweepSampling::grid;
  uint64_t random_points = 0;
  uint64_t random_seed = 1;
  std::vector<SweepAxis> axes;
  std::vector<DerivedField> derived;
  std::vector<SweepConstraint> constraints;
};

/// Most points a sweep may have (grid points, or random samples).
inline constexpr uint64_t kMaxSweepPoints = uint64_t{1} << 26;
/// Most values one axis may list or generate.
inline constexpr size_t kMaxAxisValues = 100000;

/// Reads a sweep spec strictly (unknown keys, wrong types, bad pointers, empty or duplicate
/// axes, pointers the base design does not have: one InputError naming the file and the JSON
/// pointer). Relative paths resolve against the spec's folder.
SweepSpec load_sweep_spec(const std::string& path);
SweepSpec sweep_spec_from_text(const std::string& text, const std::string& file_name);

/// Number of grid points (product of the axis sizes), or 0 when it exceeds kMaxSweepPoints.
uint64_t grid_size(const SweepSpec& spec);

}  // namespace kq
