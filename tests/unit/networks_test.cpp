// The shipped networks against their published sizes. Parameters are asserted exactly (the
// torchvision model docs print them to the unit); MACs exactly against the figure derived by hand
// below and also within the rounding of the published GFLOPS (torchvision's "GFLOPS" column
// counts multiply-accumulates).
#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "models/workload/workload.hpp"

namespace {

struct Totals {
  uint64_t macs = 0, conv_macs = 0, params = 0, conv_weights = 0;
  size_t layers = 0;
};

Totals totals_of(const std::string& name) {
  const kq::Workload w = kq::load_workload(std::string(KQSIM_SOURCE_DIR) + "/workloads/" + name);
  Totals t;
  t.layers = w.layers.size();
  t.macs = w.total_macs();
  t.params = w.total_params();
  for (const auto& l : w.layers) {
    if (l.type != kq::LayerType::conv2d) continue;
    t.conv_macs += l.macs();
    t.conv_weights += l.weight_params();
  }
  return t;
}

// x, in `unit`s and rounded to `decimals` places, prints as the published figure.
bool rounds_to(uint64_t x, double published, double unit, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(static_cast<double>(x) / unit * scale) == std::round(published * scale);
}

}  // namespace

TEST_CASE("AlexNet matches torchvision: 61,100,840 params, 0.71 GMACs", "[unit]") {
  // conv1 55²·64·3·121 = 70,276,800     conv2 27²·192·64·25 = 223,948,800
  // conv3 13²·384·192·9 = 112,140,288   conv4 13²·256·384·9 = 149,520,384
  // conv5 13²·256·256·9 = 99,680,256    → conv 655,566,528
  // fc6 9216·4096 = 37,748,736  fc7 4096·4096 = 16,777,216  fc8 4096·1000 = 4,096,000
  // → 714,188,480 in all.
  const Totals t = totals_of("alexnet.json");
  REQUIRE(t.params == 61'100'840);
  REQUIRE(t.conv_macs == 655'566'528);
  REQUIRE(t.macs == 714'188'480);
  REQUIRE(rounds_to(t.macs, 0.71, 1e9, 2));
}

TEST_CASE("VGG-16 matches torchvision: 138,357,544 params, 15.47 GMACs", "[unit]") {
  // 224²: conv1_1 50176·64·27 = 86,704,128, conv1_2 50176·64·576 = 1,849,688,064
  // 112²: conv2_1 12544·128·576 = 924,844,032, conv2_2 = 1,849,688,064
  //  56²: conv3_1 3136·256·1152 = 924,844,032, conv3_2/3_3 = 1,849,688,064 each
  //  28²: conv4_1 784·512·2304 = 924,844,032, conv4_2/4_3 = 1,849,688,064 each
  //  14²: conv5_1..5_3 196·512·4608 = 462,422,016 each
  // conv: 86,704,128 + 6·1,849,688,064 + 3·924,844,032 + 3·462,422,016 = 15,346,630,656
  // fc: 25088·4096 + 4096·4096 + 4096·1000 = 123,633,664 → 15,470,264,320.
  const Totals t = totals_of("vgg16.json");
  REQUIRE(t.params == 138'357'544);
  REQUIRE(t.conv_macs == 15'346'630'656);  // the methods note's 1.5347e10
  REQUIRE(t.conv_weights == 14'710'464);
  REQUIRE(t.macs == 15'470'264'320);
  REQUIRE(rounds_to(t.macs, 15.47, 1e9, 2));
}

TEST_CASE("ResNet-18 matches torchvision: 11,689,512 params, 1.81 GMACs", "[unit]") {
  // conv1 112²·64·3·49 = 118,013,952
  // layer1 (56²): 4 × 3136·64·576 = 462,422,016
  // layer2 (28²): 784·128·576 + 3 × 784·128·1152 + downsample 784·128·64 = 411,041,792
  // layer3 (14²) and layer4 (7²): the same 411,041,792 each (channels double, area quarters)
  // → conv 1,813,561,344; fc 512·1000 = 512,000 → 1,814,073,344.
  // Params: conv weights 11,166,912 + BN 2·4,800 channels + fc 513,000 = 11,689,512.
  const Totals t = totals_of("resnet18.json");
  REQUIRE(t.params == 11'689'512);
  REQUIRE(t.conv_weights == 11'166'912);
  REQUIRE(t.conv_macs == 1'813'561'344);
  REQUIRE(rounds_to(t.conv_macs, 1.8136, 1e9, 4));  // the methods note's 1.8136e9
  REQUIRE(t.macs == 1'814'073'344);
  REQUIRE(rounds_to(t.macs, 1.81, 1e9, 2));
}

TEST_CASE("ResNet-50 matches torchvision: 25,557,032 params, 4.09 GMACs", "[unit]") {
  // conv1 112²·64·3·49 = 118,013,952
  // layer1 (56², width 64): block0 3136·(64·64 + 64·576 + 256·64 + 256·64 downsample)
  //   = 231,211,008; blocks 1-2 3136·(64·256 + 64·576 + 256·64) = 218,365,952 each
  //   → 667,942,912
  // layer2: 1,027,604,480   layer3: 1,464,336,384   layer4: 809,238,528 (same pattern; the
  //   3×3 conv of block 0 and the downsample stride 2 as in torchvision v1.5)
  // → conv 4,087,136,256; fc 2048·1000 = 2,048,000 → 4,089,184,256.
  const Totals t = totals_of("resnet50.json");
  REQUIRE(t.params == 25'557'032);
  REQUIRE(t.conv_macs == 4'087'136'256);
  REQUIRE(t.macs == 4'089'184'256);
  REQUIRE(rounds_to(t.macs, 4.09, 1e9, 2));
}

TEST_CASE("MobileNetV2 matches torchvision: 3,504,872 params, 300.8 M MACs", "[unit]") {
  // stem 112²·32·3·9 = 10,838,016; 17 inverted-residual blocks, each expand 1×1 (not in the
  // first) + depthwise 3×3 + project 1×1, e.g. block 2: 112²·96·16 + 56²·96·9 + 56²·24·96
  // = 29,202,432; blocks 1..17 sum to 268,586,240; final 1×1 7²·1280·320 = 20,070,400
  // → conv 299,494,272; classifier 1280·1000 = 1,280,000 → 300,774,272.
  const Totals t = totals_of("mobilenetv2.json");
  REQUIRE(t.params == 3'504'872);
  REQUIRE(t.conv_macs == 299'494'272);
  REQUIRE(t.macs == 300'774'272);
  REQUIRE(rounds_to(t.macs, 300.8, 1e6, 1));
  REQUIRE(rounds_to(t.macs, 0.30, 1e9, 2));
}

TEST_CASE("test networks load with the documented sizes", "[unit]") {
  // tiny_cnn: conv1 16²·8·27 = 55,296; conv2 16²·8·72 = 147,456; dwconv 8²·8·9 = 4,608;
  // the global pool leaves 8×1×1, so fc is 8·10 = 80 → 207,440.
  const Totals tiny = totals_of("test/tiny_cnn.json");
  REQUIRE(tiny.macs == 207'440);
  REQUIRE(tiny.params == 216 + 576 + 16 + 72 + 90);  // conv1, conv2, bn, dwconv, fc(+bias)
  const Totals single = totals_of("test/single_conv.json");
  REQUIRE(single.macs == 64ull * 16 * 16 * 9);
  REQUIRE(totals_of("test/conv1x1.json").macs == 64ull * 16 * 32);
  REQUIRE(totals_of("test/strided_conv.json").macs == 64ull * 16 * 8 * 9);
  REQUIRE(totals_of("test/fc_only.json").macs == 64ull * 10);
  REQUIRE(totals_of("test/fc_only.json").params == 650);
}
