// The 64-bit headroom check refuses design × network pairs whose counters could wrap, and
// only those: the shipped networks on the shipped designs pass with room to spare.
#include "models/mapping/count_headroom.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "models/common/input_error.hpp"
#include "models/config/arch_config.hpp"
#include "models/cost/analytic_model.hpp"
#include "models/workload/workload.hpp"

using namespace kq;
using Catch::Matchers::Contains;

namespace {

std::string read(const std::string& rel) {
  std::ifstream in(std::string(KQSIM_SOURCE_DIR) + "/" + rel);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

ArchConfig arch(const std::string& rel, const std::function<void(nlohmann::json&)>& edit = {}) {
  nlohmann::json j = nlohmann::json::parse(read(rel));
  j["tech"]["table"] = std::string(KQSIM_SOURCE_DIR) + "/arch_configs/tech/generic_45nm.json";
  if (edit) edit(j);
  return arch_config_from_text(j.dump(), rel);
}

Workload conv(uint64_t channels, uint64_t side) {
  const nlohmann::json w = {{"name", "big"},
                            {"input", {{"channels", channels}, {"height", side}, {"width", side}}},
                            {"layers",
                             {{{"name", "conv"},
                               {"type", "conv2d"},
                               {"out_channels", channels},
                               {"kernel", 3},
                               {"padding", 1}}}}};
  return workload_from_json(w.dump(), "big.json");
}

void roomy(nlohmann::json& j) {
  for (auto& [name, b] : j["buffers"].items()) b["capacity_bytes"] = uint64_t{1} << 40;
}

}  // namespace

TEST_CASE("shipped networks on shipped designs have 64-bit headroom", "[headroom]") {
  for (const char* a :
       {"baseline_fp32_16x16", "baseline_int8_16x16", "kcnn_m2_16x16", "kq_k512_16x16"})
    for (const char* w : {"resnet50", "vgg16", "mobilenetv2"}) {
      INFO(a << " " << w);
      CHECK_NOTHROW(check_count_headroom(
          load_workload(std::string(KQSIM_SOURCE_DIR) + "/workloads/" + w + ".json"),
          arch(std::string("arch_configs/") + a + ".json"), {}));
    }
}

TEST_CASE("a layer whose counters could wrap is refused by name; its neighbours are not",
          "[headroom]") {
  const ArchConfig a = arch("arch_configs/baseline_fp32_16x16.json", roomy);
  // 2^32 · 9 · 2^24 ≈ 6.5e17 MACs: ~100 register bits each pass 2^64. The loader accepts it.
  const Workload huge = conv(65536, 4096);
  CHECK_THROWS_WITH(
      check_count_headroom(huge, a, {}),
      Contains("big.json") && Contains("/layers/0") && Contains("\"conv\"") && Contains("2^62"));
  // 2^10 times fewer MACs: fine, and the analytic model's counts are then exact.
  const Workload big = conv(2048, 1024);
  CHECK_NOTHROW(check_count_headroom(big, a, {}));
}

TEST_CASE("the design decides: the same layer fits a 16x16 array but not one PE", "[headroom]") {
  // A 1×1 array turns every weight into folds that each wait the DRAM latency (2^20 cycles)
  // and may move up to the layer's data: 4096 channels at 256×256 (3.9e13 MACs) passes on
  // 16×16 and is refused on one PE.
  auto one_pe = [](nlohmann::json& j) {
    roomy(j);
    j["array"]["rows"] = j["array"]["cols"] = 1;
    j["array"]["multipliers"]["count"] = j["array"]["adders"]["count"] = 1;
    j["dram"]["latency_cycles"] = 1 << 20;
  };
  const Workload w = conv(4096, 256);
  CHECK_NOTHROW(check_count_headroom(w, arch("arch_configs/baseline_fp32_16x16.json", roomy), {}));
  const ArchConfig pe = arch("arch_configs/baseline_fp32_16x16.json", one_pe);
  CHECK_THROWS_AS(check_count_headroom(w, pe, {}), InputError);
  CHECK_NOTHROW(check_count_headroom(conv(1024, 256), pe, {}));
}
