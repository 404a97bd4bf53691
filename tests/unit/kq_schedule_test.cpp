// The KQ decode datapath's folds against docs/KQ.md's closed forms (kq_layer_counts).
#include <catch2/catch.hpp>

#include "models/config/arch_config.hpp"
#include "models/cost/analytic_model.hpp"
#include "models/mapping/codebook_prefetch.hpp"
#include "models/quant/kq_counts.hpp"
#include "models/quant/quantized_network.hpp"
#include "models/workload/network_params.hpp"
#include "models/workload/workload.hpp"

TEST_CASE("KQ decode folds add up to the closed-form counts", "[unit]") {
  const std::string src = KQSIM_SOURCE_DIR;
  kq::ArchConfig arch = kq::load_arch_config(src + "/arch_configs/kq_k256_16x16.json");
  // fp16 activations: narrow products (code × activation) apart, the output scale as fp32.
  arch.activation_format = arch.weight_format = kq::NumFormat::fp16;
  arch.array.multiplier_format = kq::NumFormat::fp16;
  arch.accumulator_format = arch.array.adder_format = kq::NumFormat::fp32;
  for (const char* wl : {"/workloads/test/tiny_cnn.json", "/workloads/test/kcnn_test_layer.json",
                         "/workloads/test/strided_conv.json"}) {
    const kq::Workload w = kq::load_workload(src + wl);
    const kq::NetworkParams params = kq::synthetic_params(w, 2);
    for (auto [k, datapath] :
         {std::pair{8u, kq::KqDatapath::decode_mac}, std::pair{64u, kq::KqDatapath::decode_mac},
          std::pair{256u, kq::KqDatapath::decode_mac},
          std::pair{8u, kq::KqDatapath::response_reuse},
          std::pair{64u, kq::KqDatapath::response_reuse}}) {
      arch.kq->set_all_codewords(k);
      arch.kq->datapath = datapath;
      arch.buffers[static_cast<int>(kq::BufferId::ofmap)].capacity_bytes = 8u << 20;
      arch.buffers[static_cast<int>(kq::BufferId::ifmap)].capacity_bytes = 1u << 20;
      arch.kq_gather_adders = 256;
      const kq::QuantizedNetwork q = kq::quantize_network(w, arch, params, "");
      for (size_t i = 0; i < w.layers.size(); ++i) {
        const kq::Layer& l = w.layers[i];
        if (!q.kq_layer(i)) continue;
        INFO(wl << " K " << k << " " << l.name);
        const kq::LayerCost lc = kq::analytic_layer(l, arch, nullptr, q.kq_layer(i));
        const kq::KqLayerCounts cc = kq::kq_layer_counts(l, *arch.kq);
        CHECK(lc.counts.narrow_multiplications == cc.narrow_mul + cc.table_mul);
        CHECK(lc.counts.multiplications[static_cast<int>(kq::NumFormat::fp16)] == 0);
        CHECK(lc.counts.multiplications[static_cast<int>(kq::NumFormat::fp32)] == cc.scale_mul);
        CHECK(lc.counts.additions[static_cast<int>(kq::NumFormat::fp32)] == cc.add);
      }
    }
  }
}

TEST_CASE("each KQ layer's codebook is fetched once, by the previous KQ layer when double-buffered",
          "[unit]") {
  const std::string src = KQSIM_SOURCE_DIR;
  kq::ArchConfig arch = kq::load_arch_config(src + "/arch_configs/kq_k256_16x16.json");
  const kq::Workload w = kq::load_workload(src + "/workloads/test/tiny_cnn.json");
  const kq::NetworkParams params = kq::synthetic_params(w, 4);
  const kq::QuantizedNetwork q = kq::quantize_network(w, arch, params, "");
  uint64_t codebook_bits = 0;
  for (size_t i = 0; i < w.layers.size(); ++i)
    if (q.kq_layer(i))
      codebook_bits += kq::Schedule(w.layers[i], arch, nullptr, q.kq_layer(i)).codebook_bits();
  for (bool double_buffered : {true, false}) {
    arch.buffers[static_cast<int>(kq::BufferId::codebook)].double_buffered = double_buffered;
    const kq::NetworkCost c = kq::analytic_network(w, arch, &q);
    const auto& cb = c.totals.buffers[static_cast<int>(kq::BufferId::codebook)];
    CHECK(cb.write_bits == codebook_bits);  // every codebook written into the SRAM once
    const std::vector<int> plan = kq::codebook_prefetch_plan(w, arch);
    // tiny_cnn's KQ layers are conv1, conv2, dwconv: conv1 fetches conv2's, conv2 dwconv's.
    CHECK(plan[static_cast<size_t>(w.find("conv1"))] == (double_buffered ? w.find("conv2") : -1));
    CHECK(plan[static_cast<size_t>(w.find("conv2"))] == (double_buffered ? w.find("dwconv") : -1));
    CHECK(plan[static_cast<size_t>(w.find("dwconv"))] == -1);
  }
}
