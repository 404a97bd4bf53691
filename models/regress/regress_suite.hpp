#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/config/stress_config.hpp"

namespace kq {

/// One regression case: an architecture, a workload and a mode, run by `kqsim run`.
struct RegressCase {
  std::string name;      ///< also the golden's file name: <suite>/<name>.json
  std::string arch;      ///< as written in suite.json (relative to the suite folder)
  std::string workload;  ///< likewise
  std::string mode;      ///< cycle | fast | analytic
  uint64_t seed = 1;
  StressConfig stress;  ///< off unless the case sets "stress"

  /// The definition a golden records, so a golden made for another definition is flagged.
  nlohmann::json spec() const;
  /// Arguments of `kqsim run` for this case (without --out), paths resolved against `dir`.
  std::vector<std::string> run_args(const std::string& dir) const;
};

/// A regression suite: <dir>/suite.json lists the cases and the tolerance of float metrics;
/// <dir>/<case>.json are the goldens (docs/REGRESS.md).
struct RegressSuite {
  std::string dir;
  double rel_tol = 1e-9;
  std::vector<RegressCase> cases;
  std::string golden_path(const RegressCase& c) const { return dir + "/" + c.name + ".json"; }
};

/// Reads <dir>/suite.json strictly (unknown keys, duplicate or unsafe case names, bad modes
/// are InputErrors naming the file and the JSON pointer).
RegressSuite load_regress_suite(const std::string& dir);

}  // namespace kq
