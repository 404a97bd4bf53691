// KQ closed forms against the figures of methods.md §3.3 (bits/param) and §3.4 (counts).
#include "models/quant/kq_counts.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>

#include "models/workload/workload.hpp"

namespace {

/// The methods.md test layer: C = N = 256, 3×3, stride 1, padding 1 on a 14×14 input, so
/// P = 14·14 = 196 output positions.
kq::Layer test_layer() {
  kq::Workload w;
  w.input = {256, 14, 14};
  kq::Layer c;
  c.name = "test";
  c.inputs = {-1};
  c.out.c = 256;
  c.kh = c.kw = 3;
  c.ph = c.pw = 1;
  w.layers.push_back(c);
  kq::infer_shapes(w);
  return w.layers[0];
}

kq::KqOptions with_k(uint32_t k) {
  kq::KqOptions o;
  o.set_all_codewords(k);
  return o;
}

kq::Workload load(const char* name) {
  return kq::load_workload(std::string(KQSIM_SOURCE_DIR) + "/workloads/" + name);
}

}  // namespace

TEST_CASE("KQ bits per parameter of the single test layer (methods.md §3.3)", "[unit]") {
  const kq::Layer l = test_layer();
  REQUIRE(l.out == kq::Shape{256, 14, 14});
  // K = 512: index bits 256·256·9 = 589,824; codebook 512·9·6 = 27,648; params 589,824.
  const kq::KqLayerStorage s = kq::kq_layer_storage(l, with_k(512));
  CHECK(s.kernels == 65536);
  CHECK(s.params == 589824);
  CHECK(s.index_bits == 9);
  CHECK(s.index_bits_total == 589824);
  CHECK(s.codebook_bits_total == 27648);
  CHECK(s.bits(false) == 617472);  // bpp = 617472/589824 exactly
  CHECK(s.bits_per_param(false) == 617472.0 / 589824.0);
  CHECK(s.bits_per_param(false) == Approx(1.0469).margin(5e-5));
  CHECK(s.bits(true) == 617472 + 32);

  struct Row {
    uint32_t k;
    uint64_t bits;
    double bpp;
  };
  // K = 256: 65536·8 + 256·54 = 538,112; 1024: 65536·10 + 1024·54 = 710,656;
  // 4096: 65536·12 + 4096·54 = 1,007,616.
  for (const Row& r :
       {Row{256, 538112, 0.9123}, Row{1024, 710656, 1.2049}, Row{4096, 1007616, 1.7083}}) {
    CAPTURE(r.k);
    const kq::KqLayerStorage t = kq::kq_layer_storage(l, with_k(r.k));
    CHECK(t.bits(false) == r.bits);
    CHECK(t.bits_per_param(false) == Approx(r.bpp).margin(5e-5));
  }

  // LUT side info: 2^6 fp32 entries.
  kq::KqOptions lut = with_k(512);
  lut.codebook_quant = kq::KqCodebookQuant::lut;
  CHECK(kq::kq_layer_storage(l, lut).bits(true) == 617472 + 64 * 32);
}

TEST_CASE("KQ DRAM weight bytes round each region up on its own", "[unit]") {
  const kq::Layer l = test_layer();
  // Indices 589,824 b = 73,728 B; codebook 27,648 b = 3,456 B; scale 4 B.
  CHECK(kq::kq_layer_storage(l, with_k(512)).dram_weight_bytes() == 73728 + 3456 + 4);
  kq::KqOptions lut = with_k(512);
  lut.codebook_quant = kq::KqCodebookQuant::lut;
  CHECK(kq::kq_layer_storage(l, lut).dram_weight_bytes() == 73728 + 3456 + 256);

  // 5 kernels (C = 5, N = 1), K = 3: indices 5·2 = 10 b → 2 B; codebook 3·9·6 = 162 b → 21 B
  // (20.25 rounded up); scale 4 B.
  kq::Workload w;
  w.input = {5, 4, 4};
  kq::Layer c;
  c.name = "tiny";
  c.inputs = {-1};
  c.out.c = 1;
  c.kh = c.kw = 3;
  w.layers.push_back(c);
  kq::infer_shapes(w);
  const kq::KqLayerStorage s = kq::kq_layer_storage(w.layers[0], with_k(3));
  CHECK(s.index_bits_total == 10);
  CHECK(s.codebook_bits_total == 162);
  CHECK(s.dram_weight_bytes() == 2 + 21 + 4);
  CHECK(kq::kq_layer_counts(w.layers[0], with_k(3)).dram_weight_bytes == 27);
}

TEST_CASE("KQ network bits per parameter: VGG-16 and ResNet-18 (methods.md §3.3)", "[unit]") {
  const kq::Workload vgg = load("vgg16.json");
  const kq::Workload r18 = load("resnet18.json");

  // VGG-16, K = 512 everywhere (conv1_1 capped at its 3·64 = 192 kernels), 32-bit side info.
  const kq::KqNetworkStorage v = kq::kq_network_storage(vgg, with_k(512));
  CHECK(v.layers.size() == 13);
  CHECK(v.params() == 14710464);
  CHECK(v.kernels() == 1634496);
  CHECK(v.layers[0].codewords == 192);
  CHECK(v.bits(true) == 15052832);
  CHECK(v.bits(false) == 15052832 - 13 * 32);
  CHECK(v.bits_per_param(true) == Approx(1.023).margin(5e-4));

  // ResNet-18, every conv (7×7 conv1, 3×3, 1×1 downsamples), K = 2048.
  const kq::KqNetworkStorage r = kq::kq_network_storage(r18, with_k(2048));
  CHECK(r.layers.size() == 20);
  CHECK(r.params() == 11166912);
  CHECK(r.bits(true) == 17184000);
  CHECK(r.bits_per_param(true) == Approx(1.539).margin(5e-4));

  // The §3.3 table, b = 8..12 (K = 2^b).
  const double vgg_row[] = {0.901, 1.023, 1.157, 1.313, 1.514};
  const double r18_row[] = {1.023, 1.168, 1.333, 1.539, 1.825};
  const double r18_3x3_row[] = {0.909, 1.040, 1.192, 1.383, 1.656};
  const auto only_3x3 = [](const kq::Layer& l) { return l.kh == 3 && l.kw == 3; };
  for (uint32_t b = 8; b <= 12; ++b) {
    CAPTURE(b);
    const kq::KqOptions o = with_k(1u << b);
    CHECK(kq::kq_network_storage(vgg, o).bits_per_param(true) ==
          Approx(vgg_row[b - 8]).margin(1e-3));
    CHECK(kq::kq_network_storage(r18, o).bits_per_param(true) ==
          Approx(r18_row[b - 8]).margin(1e-3));
    const kq::KqNetworkStorage r3 = kq::kq_network_storage(r18, o, only_3x3);
    CHECK(r3.layers.size() == 16);
    CHECK(r3.bits_per_param(true) == Approx(r18_3x3_row[b - 8]).margin(1e-3));
  }
}

TEST_CASE("KQ storage covers fc layers only with count_fc", "[unit]") {
  const kq::Workload w = load("test/tiny_cnn.json");
  kq::KqOptions o = with_k(16);
  CHECK(kq::kq_network_storage(w, o).layers.size() == 3);  // conv1, conv2, dwconv
  o.count_fc = true;
  const kq::KqNetworkStorage s = kq::kq_network_storage(w, o);
  REQUIRE(s.layers.size() == 4);
  // fc 8 → 10: 80 one-weight kernels, K = 16: 80·4 + 16·1·6 = 416 bits.
  CHECK(s.layers[3].name == "fc");
  CHECK(s.layers[3].bits(false) == 80 * 4 + 16 * 6);
  // dwconv, groups 8: N·C/g = 8·1 = 8 kernels, so K is capped at 8 (3 index bits).
  CHECK(s.layers[2].codewords == 8);
  CHECK(s.layers[2].bits(false) == 8 * 3 + 8 * 9 * 6);
}

TEST_CASE("KQ operation counts of the test layer (methods.md §3.4)", "[unit]") {
  const kq::Layer l = test_layer();
  // P = 196 positions, N·P = 50,176 outputs, C·k² = 2,304 per output.
  // Float baseline: N·C·k²·P = 256·256·9·196 = 115,605,504 MACs.
  REQUIRE(l.macs() == 115605504);

  SECTION("decode-then-MAC (Q1)") {
    const kq::KqLayerCounts c = kq::kq_layer_counts(l, with_k(512));
    CHECK(c.datapath == kq::KqDatapath::decode_mac);
    CHECK(c.outputs == 50176);
    CHECK(c.float_macs == 115605504);
    CHECK(c.narrow_mul == 115605504);  // C·k² per output
    CHECK(c.scale_mul == 50176);       // 1 per output
    CHECK(c.table_mul == 0);
    CHECK(c.mul == 115655680);
    CHECK(c.add == 115605504);         // C·k² per output
    CHECK(c.index_reads == 12845056);  // C per output: 256·50,176
    CHECK(c.codebook_row_reads == 12845056);
    CHECK(c.activation_reads == 115605504);
    CHECK(c.lut_reads == 0);
    CHECK(c.output_writes == 50176);
    CHECK(c.dram_weight_bytes == 73728 + 3456 + 4);
    kq::KqOptions lut = with_k(512);
    lut.codebook_quant = kq::KqCodebookQuant::lut;
    const kq::KqLayerCounts cl = kq::kq_layer_counts(l, lut);
    CHECK(cl.scale_mul == 0);  // the table holds final values
    CHECK(cl.mul == 115605504);
    CHECK(cl.lut_reads == 115605504);
  }
  SECTION("codebook-response reuse (Q2)") {
    kq::KqOptions o = with_k(64);
    o.datapath = kq::KqDatapath::response_reuse;
    const kq::KqLayerCounts c = kq::kq_layer_counts(l, o);
    // MUL per position: C·K·k² + N = 256·64·9 + 256 = 147,712; × 196 = 28,951,552.
    CHECK(c.mul == 28951552);
    CHECK(c.table_mul == 256ull * 64 * 9 * 196);
    CHECK(c.scale_mul == 256 * 196);
    CHECK(c.narrow_mul == 0);
    // ADD per position: C·K·(k²−1) + N·C = 131,072 + 65,536 = 196,608; × 196 = 38,535,168.
    CHECK(c.add == 38535168);
    CHECK(c.response_writes == 256 * 64 * 196);  // C·K entries per position
    CHECK(c.response_reads == 256 * 256 * 196);  // N·C gathers per position
    CHECK(c.index_reads == 256 * 256 * 196);
    CHECK(c.activation_reads == 256 * 9 * 196);  // each window once per position
    CHECK(c.float_macs == 115605504);

    // K = 256 = N: 256·256·9·196 + 256·196 = 115,655,680 MUL, no gain over float.
    o.set_all_codewords(256);
    const kq::KqLayerCounts c256 = kq::kq_layer_counts(l, o);
    CHECK(c256.mul == 115655680);
    CHECK(c256.mul > c256.float_macs);
  }
}

TEST_CASE("KQ counts of a grouped conv and of a network", "[unit]") {
  const kq::Workload w = load("test/tiny_cnn.json");
  const kq::Layer& dw = w.layers[static_cast<size_t>(w.find("dwconv"))];
  REQUIRE(dw.out == kq::Shape{8, 8, 8});  // after the 2×2 pool: P = 64
  kq::KqOptions o = with_k(512);          // capped at N·C/g = 8
  const kq::KqLayerCounts d = kq::kq_layer_counts(dw, o);
  CHECK(d.float_macs == dw.macs());  // 8·1·9·64 = 4,608
  CHECK(d.float_macs == 4608);
  CHECK(d.index_reads == 8 * 64);  // C/g = 1 index per output
  o.datapath = kq::KqDatapath::response_reuse;
  const kq::KqLayerCounts r = kq::kq_layer_counts(dw, o);
  // The table needs every input channel: C·K·k²·P = 8·8·9·64 = 36,864 MUL (+ 8·64 scales);
  // ADD = C·K·(k²−1)·P + N·(C/g)·P = 8·8·8·64 + 8·1·64 = 33,280.
  CHECK(r.table_mul == 36864);
  CHECK(r.mul == 36864 + 512);
  CHECK(r.add == 33280);

  // Network sums: decode_mac multiplies exactly the float MACs of the conv layers.
  const kq::Workload vgg = load("vgg16.json");
  uint64_t conv_macs = 0;
  for (const kq::Layer& l : vgg.layers)
    if (l.type == kq::LayerType::conv2d) conv_macs += l.macs();
  const kq::KqLayerCounts n = kq::kq_network_counts(vgg, with_k(512));
  CHECK(n.float_macs == conv_macs);
  CHECK(n.narrow_mul == conv_macs);
  CHECK(static_cast<double>(conv_macs) == Approx(1.5347e10).epsilon(1e-4));
  CHECK(n.dram_weight_bytes == [&] {
    uint64_t b = 0;
    for (const auto& s : kq::kq_network_storage(vgg, with_k(512)).layers)
      b += s.dram_weight_bytes();
    return b;
  }());
}

TEST_CASE("KQ counts refuse layers without kernels and 64-bit overflow", "[unit]") {
  const kq::Workload w = load("test/tiny_cnn.json");
  CHECK_THROWS_AS(kq::kq_layer_counts(w.layers[1], kq::KqOptions{}), std::invalid_argument);
  kq::Layer huge = w.layers[0];
  huge.in.c = 1u << 30;
  huge.out = {1u << 30, 1u << 20, 1u << 20};
  CHECK_THROWS_AS(kq::kq_layer_counts(huge, kq::KqOptions{}), std::overflow_error);
}
