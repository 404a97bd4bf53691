#include "models/accuracy/accuracy_result.hpp"

#include <fmt/format.h>

namespace kq {
namespace {

using ordered = nlohmann::ordered_json;

ordered counts_json(const ClassifierAccuracy& a) {
  ordered j;
  j["top1_accuracy"] = a.counts.top1_accuracy();
  j["top5_accuracy"] = a.counts.top5_accuracy();
  j["top1_correct"] = a.counts.top1;
  j["top5_correct"] = a.counts.top5;
  return j;
}

}  // namespace

ordered accuracy_to_json(const AccuracyResult& r, const std::vector<SampleCost>* costs) {
  ordered j;
  j["samples"] = r.samples;
  j["classes"] = r.classes;
  ordered f = counts_json(r.float_reference);
  f["arithmetic"] = "fp64 on the float32 weights (golden reference)";
  j["float_reference"] = f;
  ordered designs = ordered::array();
  for (size_t i = 0; i < r.designs.size(); ++i) {
    const ClassifierAccuracy& d = r.designs[i];
    ordered e;
    e["design"] = d.name;
    const ordered counts = counts_json(d);
    for (auto it = counts.begin(); it != counts.end(); ++it) e[it.key()] = it.value();
    e["top1_agreement_with_float"] =
        r.samples ? static_cast<double>(d.agreement_with_float) / r.samples : 0.0;
    // From the hit counts, so 713 of 1000 against 1000 gives 0.287 exactly as printed.
    e["top1_drop_vs_float"] = r.samples ? (static_cast<double>(r.float_reference.counts.top1) -
                                           static_cast<double>(d.counts.top1)) /
                                              static_cast<double>(r.samples)
                                        : 0.0;
    e["values_checked"] = d.values_checked;
    e["reference_violations"] = d.reference_violations;
    if (costs && i < costs->size()) {
      const SampleCost& c = (*costs)[i];
      e["cost_per_sample"] = ordered{{"energy_pj", c.energy_pj},
                                     {"multiplications", c.multiplications},
                                     {"cycles", c.cycles},
                                     {"latency_us", c.latency_us}};
      e["cost_all_samples"] =
          ordered{{"energy_pj", c.energy_pj * static_cast<double>(r.samples)},
                  {"multiplications", c.multiplications * r.samples},
                  {"latency_us", c.latency_us * static_cast<double>(r.samples)}};
    }
    designs.push_back(e);
  }
  j["designs"] = designs;
  return j;
}

std::string accuracy_console_lines(const ordered& a) {
  std::string out = fmt::format("  accuracy on {} samples ({} classes): top-1 / top-5\n",
                                a["samples"].get<uint64_t>(), a["classes"].get<uint64_t>());
  const ordered& f = a["float_reference"];
  out +=
      fmt::format("    {:<26}{:>8.2f}% {:>8.2f}%\n", "float reference (fp64)",
                  100 * f["top1_accuracy"].get<double>(), 100 * f["top5_accuracy"].get<double>());
  for (const auto& d : a["designs"])
    out += fmt::format("    {:<26}{:>8.2f}% {:>8.2f}%   top-1 agrees with float on {:.2f}%\n",
                       d["design"].get<std::string>(), 100 * d["top1_accuracy"].get<double>(),
                       100 * d["top5_accuracy"].get<double>(),
                       100 * d["top1_agreement_with_float"].get<double>());
  return out;
}

}  // namespace kq
