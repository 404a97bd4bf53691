#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kq {

/// Hits of one classifier over a labelled set: samples whose label ranks first, and within
/// the first five (label_rank < 1, < 5).
struct TopKCounts {
  uint64_t samples = 0, top1 = 0, top5 = 0;
  void add(uint64_t label_rank) {
    ++samples;
    top1 += label_rank < 1;
    top5 += label_rank < 5;
  }
  double top1_accuracy() const { return samples ? static_cast<double>(top1) / samples : 0.0; }
  double top5_accuracy() const { return samples ? static_cast<double>(top5) / samples : 0.0; }
};

/// One classifier's accuracy: the float reference (the trained network in double precision)
/// or a design (the values its datapath computes).
struct ClassifierAccuracy {
  std::string name;  ///< the design's name; "float_reference" for the reference
  TopKCounts counts;
  std::vector<uint32_t> predictions;  ///< top-1 class per sample
  /// Designs: samples whose top-1 class equals the float reference's.
  uint64_t agreement_with_float = 0;
  /// With AccuracyOptions::check_reference: values compared with the golden reference and
  /// how many fell outside the rounding bound (or differ, integer designs); must be 0.
  bool checked = false;
  uint64_t values_checked = 0, reference_violations = 0;
};

struct AccuracyResult {
  uint64_t samples = 0, classes = 0;
  ClassifierAccuracy float_reference;
  std::vector<ClassifierAccuracy> designs;
};

/// Cost of one sample on a design (the analytic model's totals; sample-independent, because
/// the model's timing and counts do not depend on values).
struct SampleCost {
  double energy_pj = 0;
  uint64_t multiplications = 0;
  uint64_t cycles = 0;
  double latency_us = 0;
};

/// The report fragment (report.json "accuracy", docs/REPORTS.md): samples, classes, the float
/// reference's and each design's top-1/top-5 accuracy (fractions of the samples), each
/// design's agreement with the float reference and its drop in top-1 accuracy, and — with
/// `costs` (one per design) — each design's cost per sample and for the whole set.
nlohmann::ordered_json accuracy_to_json(const AccuracyResult& r,
                                        const std::vector<SampleCost>* costs = nullptr);

/// Console lines: one per classifier with top-1/top-5 (percent) and, for designs, agreement.
std::string accuracy_console_lines(const nlohmann::ordered_json& accuracy);

}  // namespace kq
