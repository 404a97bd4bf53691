// The KCNN fold model against the closed forms: over all its folds, a layer's
// multiplications and additions equal kcnn_layer_counts (docs/KCNN.md) exactly, for every
// plane option, with the actual bits of the quantized weights.
#include <catch2/catch.hpp>

#include "models/config/arch_config.hpp"
#include "models/cost/analytic_model.hpp"
#include "models/quant/kcnn_counts.hpp"
#include "models/quant/quantized_network.hpp"
#include "models/workload/network_params.hpp"
#include "models/workload/workload.hpp"

namespace {

const std::string kSrc = KQSIM_SOURCE_DIR;

kq::KcnnOptions variant(int i) {
  kq::KcnnOptions o;
  switch (i) {
    case 0:
      o.planes = 2;
      break;
    case 1:
      o.planes = 3, o.window_sum_sharing = true;
      break;
    case 2:
      o.alphabet = kq::KcnnAlphabet::zero_one, o.offset = kq::KcnnOffset::per_kernel,
      o.zero_skip = true;
      break;
    case 3:
      o.alphabet = kq::KcnnAlphabet::zero_one, o.offset = kq::KcnnOffset::per_kernel,
      o.window_sum_sharing = true;
      break;
    case 4:
      o.granularity = kq::KcnnGranularity::filter3d;
      break;
    case 5:
      o.granularity = kq::KcnnGranularity::filter3d, o.window_sum_sharing = true;
      break;
    case 6:
      o.granularity = kq::KcnnGranularity::filter3d, o.alphabet = kq::KcnnAlphabet::zero_one,
      o.zero_skip = true, o.offset = kq::KcnnOffset::per_kernel;
      break;
    case 7:
      o.planes = 4, o.policy_1x1 = kq::KcnnPolicy1x1::bitplanes;
      break;
    case 8:
      o.planes = 2, o.policy_1x1 = kq::KcnnPolicy1x1::filter3d,
      o.alphabet = kq::KcnnAlphabet::zero_one, o.zero_skip = true;
      break;
    default:
      o.planes = 1;
      break;
  }
  return o;
}

}  // namespace

TEST_CASE("KCNN folds add up to the closed-form counts for every option", "[unit]") {
  kq::ArchConfig arch = kq::load_arch_config(kSrc + "/arch_configs/kcnn_m2_16x16.json");
  for (const char* wl : {"/workloads/test/tiny_cnn.json", "/workloads/test/conv1x1.json",
                         "/workloads/test/strided_conv.json", "/workloads/test/fc_only.json"}) {
    const kq::Workload w = kq::load_workload(kSrc + wl);
    const kq::NetworkParams params = kq::synthetic_params(w, 5);
    for (int v = 0; v <= 9; ++v) {
      arch.kcnn = variant(v);
      for (int rows : {16, 3}) {  // full and ragged folds
        arch.array.rows = arch.array.cols = static_cast<uint32_t>(rows);
        const kq::QuantizedNetwork q = kq::quantize_network(w, arch, params, "");
        for (size_t i = 0; i < w.layers.size(); ++i) {
          const kq::Layer& l = w.layers[i];
          if (!l.on_array()) continue;
          INFO(wl << " variant " << v << " rows " << rows << " layer " << l.name);
          const kq::LayerCost lc = kq::analytic_layer(l, arch, q.kcnn_layer(i));
          const kq::KcnnLayerCounts cc = kq::kcnn_layer_counts(l, *arch.kcnn, q.kcnn_layer(i));
          CHECK(!cc.data_dependent_bound);
          CHECK(lc.counts.multiplications[static_cast<int>(arch.array.multiplier_format)] ==
                cc.multiplications);
          CHECK(lc.counts.additions[static_cast<int>(arch.array.adder_format)] == cc.additions);
        }
      }
    }
  }
}

TEST_CASE("methods.md's KCNN test layer through the fold model", "[unit]") {
  // C = N = 256, 3×3, 14×14: float 115,605,504 MACs; M planes: N·C·M·P multiplications.
  kq::ArchConfig arch = kq::load_arch_config(kSrc + "/arch_configs/kcnn_m2_16x16.json");
  const kq::Workload w = kq::load_workload(kSrc + "/workloads/test/kcnn_test_layer.json");
  const kq::NetworkParams params = kq::synthetic_params(w, 1);
  const uint64_t expected[] = {12845056, 25690112, 38535168, 51380224};
  for (uint32_t m = 1; m <= 4; ++m) {
    kq::KcnnOptions o;
    o.planes = m;
    arch.kcnn = o;
    const kq::QuantizedNetwork q = kq::quantize_network(w, arch, params, "");
    const kq::LayerCost lc = kq::analytic_layer(w.layers[0], arch, q.kcnn_layer(0));
    CHECK(lc.macs == 115605504);
    CHECK(lc.counts.multiplications[static_cast<int>(arch.array.multiplier_format)] ==
          expected[m - 1]);
    // ±1 planes without sharing: N·P·C·M·k² additions (231,211,008 for M = 2).
    CHECK(lc.counts.additions[static_cast<int>(arch.array.adder_format)] == 115605504ull * m);
  }
}
