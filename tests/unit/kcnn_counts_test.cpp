#include "models/quant/kcnn_counts.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

#include "models/workload/synthetic.hpp"
#include "models/workload/workload.hpp"

using kq::KcnnAlphabet;
using kq::KcnnLayerMode;
using kq::KcnnOffset;
using kq::KcnnOptions;
using kq::KcnnPolicy1x1;
using kq::KcnnScaleFormat;

namespace {

kq::Layer conv_layer(uint64_t c, uint64_t n, uint32_t k, uint64_t out_hw, uint32_t groups = 1) {
  kq::Layer l;
  l.name = "conv";
  l.type = kq::LayerType::conv2d;
  l.in = {c, out_hw, out_hw};
  l.out = {n, out_hw, out_hw};
  l.kh = l.kw = k;
  l.ph = l.pw = k / 2;
  l.groups = groups;
  return l;
}

// Totals over the conv layers of a shipped workload.
struct NetTotals {
  uint64_t float_macs = 0, multiplications = 0;
};

NetTotals conv_totals(const std::string& file, const KcnnOptions& o) {
  const kq::Workload w = kq::load_workload(std::string(KQSIM_SOURCE_DIR) + "/workloads/" + file);
  NetTotals t;
  for (const kq::Layer& l : w.layers) {
    if (l.type != kq::LayerType::conv2d) continue;
    const kq::KcnnLayerCounts c = kq::kcnn_layer_counts(l, o);
    t.float_macs += c.float_macs;
    t.multiplications += c.multiplications;
  }
  return t;
}

// Weights with hand-set bits for a layer of N = C = 1, 3×3 (one kernel).
kq::KcnnLayerWeights one_kernel(const KcnnOptions& o, const std::vector<std::vector<int>>& bits) {
  kq::KcnnLayerWeights q;
  q.opts = o;
  q.n = q.c = 1;
  q.kh = q.kw = 3;
  q.weight_shape = {1, 1, 3, 3};
  q.planes.assign(1, 0);
  for (uint32_t p = 0; p < o.planes; ++p)
    for (int i : bits[p]) q.planes[0] |= uint64_t{1} << (p * 9 + i);
  q.alpha.assign(o.planes, 1.0f);
  if (o.has_offset()) q.beta.assign(1, 0.0f);
  return q;
}

}  // namespace

TEST_CASE("KCNN counts: the methods.md §5 test layer (C = N = 256, 3×3, 14×14)", "[unit]") {
  const kq::Layer l = conv_layer(256, 256, 3, 14);
  // P = 196, kernels K = N·C = 65,536.
  // Float MACs = N·C·k²·P = 65,536·9·196 = 115,605,504.
  // Multiplications = K·M·P = 12,845,056·M: 12,845,056 / 25,690,112 / 38,535,168 / 51,380,224.
  const uint64_t expected_mults[] = {12845056, 25690112, 38535168, 51380224};
  for (uint32_t m = 1; m <= 4; ++m) {
    KcnnOptions o;
    o.planes = m;
    const kq::KcnnLayerCounts c = kq::kcnn_layer_counts(l, o);
    CHECK(c.mode == KcnnLayerMode::kernel2d);
    CHECK(c.float_macs == 115605504);
    CHECK(c.multiplications == expected_mults[m - 1]);
    CHECK(c.multiplication_reduction() == Approx(9.0 / m).epsilon(1e-12));
    CHECK(c.activation_reads == 115605504);
    CHECK(c.float_weight_bits_read == 32 * uint64_t{115605504});
  }
  KcnnOptions o;  // M = 2, ±1 planes, fp32 scales
  kq::KcnnLayerCounts c = kq::kcnn_layer_counts(l, o);
  // ±1 additions without window-sum sharing = K·M·k²·P = 65,536·2·9·196 = 231,211,008.
  CHECK(c.additions_no_sharing == 231211008);
  CHECK(c.additions == 231211008);
  // With sharing and no weights, the worst case min(n₊, n₋) = ⌊9/2⌋ = 4 per plane:
  // K·M·(4 + 1)·P = 128,450,560, plus window sums C·P·(k² − 1) = 256·196·8 = 401,408:
  // 128,851,968.
  CHECK(c.window_sum_additions == 401408);
  CHECK(c.additions_with_sharing == 128851968);
  CHECK(c.data_dependent_bound);
  // Storage: K·M·(k² + 32) = 65,536·82 = 5,373,952 bits, 82/9 = 9.111 bits per weight;
  // read once per output position (no reuse): ×196 = 1,053,294,592.
  CHECK(c.weight_storage_bits == 5373952);
  CHECK(static_cast<double>(c.weight_storage_bits) / (65536 * 9) == Approx(9.111).margin(1e-3));
  CHECK(c.weight_bits_read == 1053294592);
  o.window_sum_sharing = true;
  CHECK(kq::kcnn_layer_counts(l, o).additions == 128851968);
  // fp16 scales: K·M·(9 + 16) = 3,276,800 bits, 50/9 = 5.556 bits per weight.
  o.scale_format = KcnnScaleFormat::fp16;
  c = kq::kcnn_layer_counts(l, o);
  CHECK(c.weight_storage_bits == 3276800);
  CHECK(static_cast<double>(c.weight_storage_bits) / (65536 * 9) == Approx(5.556).margin(1e-3));

  // R2 (filter3d): M multiplications and M·C·k² additions per output:
  // 256·196·2 = 100,352 and 100,352·2304 = 231,211,008 (the same additions as R1).
  o = KcnnOptions{};
  o.granularity = kq::KcnnGranularity::filter3d;
  c = kq::kcnn_layer_counts(l, o);
  CHECK(c.mode == KcnnLayerMode::filter3d);
  CHECK(c.multiplications == 100352);
  CHECK(c.additions_no_sharing == 231211008);
  CHECK(c.weight_storage_bits == 256 * 2 * (2304 + 32));
}

TEST_CASE("KCNN counts: ResNet-18 conv layers (methods.md §2.6)", "[unit]") {
  // Float: Σ N·C·k²·P over the 20 conv layers = 1,813,561,344 (1.8136e9).
  // KCNN R1 multiplications are M·Σ N·C·P with Σ N·C·P = 207,929,344:
  //   M = 1: 207,929,344 (2.0793e8, 8.722×); M = 2: 415,858,688 (4.1586e8, 4.361×);
  //   M = 3: 623,788,032; M = 4: 831,717,376 (8.3172e8, 2.181×).
  const uint64_t expected[] = {207929344, 415858688, 623788032, 831717376};
  const double reduction[] = {8.722, 4.361, 2.907, 2.181};
  for (uint32_t m = 1; m <= 4; ++m) {
    KcnnOptions o;
    o.planes = m;
    o.policy_1x1 = KcnnPolicy1x1::bitplanes;  // every layer, the 1×1 downsamples included
    const NetTotals t = conv_totals("resnet18.json", o);
    CHECK(t.float_macs == 1813561344);
    CHECK(t.multiplications == expected[m - 1]);
    CHECK(static_cast<double>(t.float_macs) / t.multiplications ==
          Approx(reduction[m - 1]).margin(1e-3));
  }
  // The three 1×1 downsamples have Σ N·C·P = 64·128·784 + 128·256·196 + 256·512·49
  // = 3 × 6,422,528 = 19,267,584. Kept float they cost 1× instead of M×:
  //   M = 2: 415,858,688 − 19,267,584 = 396,591,104; M = 4: 831,717,376 − 3·19,267,584
  //   = 773,914,624. As filter3d (M multiplications per output) they cost 128·784·2 +
  //   256·196·2 + 512·49·2 = 351,232 instead of 2·19,267,584 = 38,535,168: M = 2 gives
  //   415,858,688 − 38,535,168 + 351,232 = 377,674,752.
  KcnnOptions o;
  CHECK(conv_totals("resnet18.json", o).multiplications == 396591104);
  o.planes = 4;
  CHECK(conv_totals("resnet18.json", o).multiplications == 773914624);
  o.planes = 2;
  o.policy_1x1 = KcnnPolicy1x1::filter3d;
  CHECK(conv_totals("resnet18.json", o).multiplications == 377674752);
}

TEST_CASE("KCNN counts: VGG-16 conv layers (methods.md §2.6)", "[unit]") {
  // Float: 15,346,630,656 (1.5347e10); Σ N·C·P = 1,705,181,184, so M = 2 gives
  // 3,410,362,368 (3.4104e9, 4.500×) and M = 3 gives 5,115,543,552 (5.1155e9, 3.000×).
  KcnnOptions o;
  NetTotals t = conv_totals("vgg16.json", o);
  CHECK(t.float_macs == 15346630656ull);
  CHECK(t.multiplications == 3410362368ull);
  CHECK(static_cast<double>(t.float_macs) / t.multiplications == 4.5);
  o.planes = 3;
  t = conv_totals("vgg16.json", o);
  CHECK(t.multiplications == 5115543552ull);
}

TEST_CASE("KCNN counts: hand-counted bits (zero-skip, offset, window-sum sharing)", "[unit]") {
  // One 3×3 kernel (N = C = 1) on a 2×2 output: P = 4.
  const kq::Layer l = conv_layer(1, 1, 3, 2);

  KcnnOptions zo;
  zo.alphabet = KcnnAlphabet::zero_one;
  // Plane 0 has three 1-bits, plane 1 none.
  const auto w = one_kernel(zo, {{0, 4, 8}, {}});
  kq::KcnnLayerCounts c = kq::kcnn_layer_counts(l, zo, &w);
  CHECK_FALSE(c.data_dependent_bound);
  // Without zero-skip the planes are masked sums over all 9 positions: 2 mults and
  // 2·9 = 18 additions per output, ×4.
  CHECK(c.multiplications == 8);
  CHECK(c.additions == 72);
  CHECK(c.window_sum_additions == 0);
  CHECK(c.additions_with_sharing == 72);
  zo.zero_skip = true;
  c = kq::kcnn_layer_counts(l, zo, &w);
  // Zero-skip: plane 0 sums 3 ones (2 additions + 1 accumulation), plane 1 is skipped
  // entirely: 1 mult and 3 additions per output.
  CHECK(c.multiplications == 4);
  CHECK(c.additions == 12);
  // Without weights zero-skip can only assume dense planes (an upper bound).
  c = kq::kcnn_layer_counts(l, zo);
  CHECK(c.data_dependent_bound);
  CHECK(c.multiplications == 8);
  CHECK(c.additions == 72);

  // Offset β: one more multiply per kernel and output (β·T); T costs 8 additions per output
  // when recomputed, or 8 per window once when shared (C·P·8 = 32), plus 1 to accumulate.
  zo.offset = KcnnOffset::per_kernel;
  const auto wb = one_kernel(zo, {{0, 4, 8}, {}});
  c = kq::kcnn_layer_counts(l, zo, &wb);
  CHECK(c.multiplications == 4 * (1 + 1));
  CHECK(c.additions_no_sharing == 4 * (3 + 9));
  CHECK(c.window_sum_additions == 32);
  CHECK(c.additions_with_sharing == 4 * (3 + 1) + 32);
  CHECK(c.weight_storage_bits == 2 * (9 + 32) + 32);

  // ±1 planes with sharing: plane 0 has six +1 (minority 3), plane 1 one +1 (minority 1):
  // (3 + 1) + (1 + 1) = 6 additions per output, plus the shared window sums 4·8 = 32.
  KcnnOptions pm;
  const auto wp = one_kernel(pm, {{0, 1, 2, 3, 4, 5}, {7}});
  c = kq::kcnn_layer_counts(l, pm, &wp);
  CHECK(c.additions_no_sharing == 4 * 2 * 9);
  CHECK(c.additions_with_sharing == 4 * 6 + 32);
  CHECK(c.additions == 72);
  pm.window_sum_sharing = true;
  CHECK(kq::kcnn_layer_counts(l, pm, &wp).additions == 56);

  // Weights of another shape or other options are rejected.
  CHECK_THROWS_AS(kq::kcnn_layer_counts(conv_layer(2, 1, 3, 2), pm, &wp), std::invalid_argument);
  KcnnOptions pm3 = pm;
  pm3.planes = 3;
  CHECK_THROWS_AS(kq::kcnn_layer_counts(l, pm3, &wp), std::invalid_argument);
}

TEST_CASE("KCNN counts: 1×1 policies, depthwise, fc and float-kept layers", "[unit]") {
  // 1×1, C = 64 → N = 128, 28×28 (ResNet-18's first downsample): P = 784.
  const kq::Layer pw = conv_layer(64, 128, 1, 28);
  KcnnOptions o;  // M = 2 > k² = 1, keep_float
  kq::KcnnLayerCounts c = kq::kcnn_layer_counts(pw, o);
  CHECK(c.mode == KcnnLayerMode::float_kept);
  CHECK(c.multiplications == 6422528);  // 128·64·784
  CHECK(c.additions == 6422528);
  CHECK(c.weight_storage_bits == 32 * 128 * 64);
  CHECK(c.multiplication_reduction() == 1.0);
  o.policy_1x1 = KcnnPolicy1x1::bitplanes;
  c = kq::kcnn_layer_counts(pw, o);
  CHECK(c.mode == KcnnLayerMode::kernel2d);
  CHECK(c.multiplications == 2 * 6422528);  // more than float: factor 1/M
  CHECK(c.multiplication_reduction() == 0.5);
  o.policy_1x1 = KcnnPolicy1x1::filter3d;
  c = kq::kcnn_layer_counts(pw, o);
  CHECK(c.mode == KcnnLayerMode::filter3d);
  CHECK(c.multiplications == 128 * 784 * 2);
  CHECK(c.kernel_size == 64);

  // Depthwise 3×3 (groups = C = 32), 56×56: each output sums one channel.
  const kq::Layer dw = conv_layer(32, 32, 3, 56, 32);
  o = KcnnOptions{};
  c = kq::kcnn_layer_counts(dw, o);
  CHECK(c.kernels == 32);
  CHECK(c.float_macs == 32 * 3136 * 9);
  CHECK(c.multiplications == 32 * 3136 * 2);
  CHECK(c.window_sum_additions == 32 * 3136 * 8);

  // fc as a 1×1 conv over C·H·W = 512 inputs, P = 1.
  kq::Layer fc;
  fc.name = "fc";
  fc.type = kq::LayerType::fc;
  fc.in = {512, 1, 1};
  fc.out = {10, 1, 1};
  c = kq::kcnn_layer_counts(fc, o);
  CHECK(c.mode == KcnnLayerMode::float_kept);
  CHECK(c.float_macs == 5120);
  o.policy_1x1 = KcnnPolicy1x1::filter3d;
  c = kq::kcnn_layer_counts(fc, o);
  CHECK(c.multiplications == 20);

  kq::Layer relu;
  relu.type = kq::LayerType::relu;
  CHECK_THROWS_AS(kq::kcnn_layer_counts(relu, o), std::invalid_argument);
  o.planes = 0;
  CHECK_THROWS_AS(kq::kcnn_layer_counts(pw, o), std::invalid_argument);
}
