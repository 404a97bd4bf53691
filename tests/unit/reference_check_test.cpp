// The golden-reference check must be able to fail: drive the datapath directly through a
// layer's schedule, then corrupt one accumulator and see the check count it.
#include <catch2/catch.hpp>

#include "models/config/arch_config.hpp"
#include "models/mapping/schedule.hpp"
#include "models/workload/network_params.hpp"
#include "models/workload/workload.hpp"
#include "sim/datapath/network_state.hpp"

namespace {

kq::ArchConfig arch(const std::string& name) {
  return kq::load_arch_config(std::string(KQSIM_SOURCE_DIR) + "/arch_configs/" + name);
}

void run_layer(kq::NetworkState& st, const kq::Workload& w, const kq::ArchConfig& a, size_t li,
               int corrupt) {
  kq::ArrayOperands& ops = st.begin_array_layer(li);
  const kq::Schedule s(w.layers[li], a);
  for (uint64_t i = 0; i < s.num_steps(); ++i) kq::mac_fold(ops, s.step(i), a.array.dataflow);
  if (corrupt) {
    if (ops.integer)
      ops.acci[3] += corrupt;
    else
      ops.accf[3] += static_cast<float>(corrupt) * 10.0f;  // far outside any rounding bound
  }
  st.finish_array_layer(li);
}

}  // namespace

TEST_CASE("the reference check passes a correct layer and catches a corrupted value", "[unit]") {
  const kq::Workload w =
      kq::load_workload(std::string(KQSIM_SOURCE_DIR) + "/workloads/test/single_conv.json");
  const kq::NetworkParams p = kq::synthetic_params(w, 7);
  for (const char* name :
       {"baseline_fp32_16x16.json", "baseline_int8_16x16.json", "baseline_fp16_16x16.json"}) {
    INFO(name);
    const kq::ArchConfig a = arch(name);
    for (int corrupt : {0, 1}) {
      kq::NetworkState st(w, a, p, true);
      run_layer(st, w, a, 0, corrupt);
      const kq::ReferenceCheck& c = st.quality()[0].check;
      CHECK(c.compared == w.layers[0].out.elements());
      CHECK(c.kind == (a.activation_format == kq::NumFormat::int8 ? "exact" : "bound"));
      CHECK(c.violations == static_cast<uint64_t>(corrupt));
    }
  }
}

TEST_CASE("int8 outputs are bit-exact and close to fp32; fp32 matches the golden network",
          "[unit]") {
  const kq::Workload w =
      kq::load_workload(std::string(KQSIM_SOURCE_DIR) + "/workloads/test/single_conv.json");
  const kq::NetworkParams p = kq::synthetic_params(w, 3);
  // NetworkState refers to its arch: keep each alive as long as the state.
  const kq::ArchConfig a8 = arch("baseline_int8_16x16.json");
  const kq::ArchConfig a32 = arch("baseline_fp32_16x16.json");
  kq::NetworkState s8(w, a8, p, true);
  run_layer(s8, w, a8, 0, 0);
  kq::NetworkState s32(w, a32, p, true);
  run_layer(s32, w, a32, 0, 0);
  // 8-bit symmetric quantization of N(0,1) data: ~30-40 dB; fp32 vs double: > 120 dB.
  CHECK(s8.quality()[0].output_sqnr_db > 25.0);
  CHECK(s8.quality()[0].output_sqnr_db < 50.0);
  CHECK(s32.quality()[0].output_sqnr_db > 120.0);
}
