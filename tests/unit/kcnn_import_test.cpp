#include "models/quant/kcnn_import.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <random>
#include <stdexcept>

#include "models/common/float_formats.hpp"
#include "models/common/input_error.hpp"
#include "models/workload/npy.hpp"
#include "models/workload/synthetic.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using kq::KcnnAlphabet;
using kq::KcnnGranularity;
using kq::KcnnOffset;
using kq::KcnnOptions;
using kq::KcnnScaleFormat;
using kq::NpyArray;
using kq::NpyDtype;

namespace {

class KcnnTempDir {
 public:
  KcnnTempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("kqsim_kcnn_import_test_" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~KcnnTempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

template <class F>
std::string kcnn_input_error_of(F&& f) {
  try {
    f();
  } catch (const kq::InputError& e) {
    return e.what();
  }
  FAIL("expected an InputError");
  return "";
}

kq::Layer conv(const std::string& name, uint64_t c, uint64_t n, uint32_t k) {
  kq::Layer l;
  l.name = name;
  l.type = kq::LayerType::conv2d;
  l.in = {c, 5, 5};
  l.out = {n, 5, 5};
  l.kh = l.kw = k;
  l.ph = l.pw = k / 2;
  return l;
}

kq::Tensor random_tensor(std::vector<uint64_t> shape, uint64_t seed) {
  kq::Tensor t;
  t.shape = std::move(shape);
  t.data.resize(t.elements());
  kq::Rng rng(seed);
  for (float& v : t.data) v = static_cast<float>(0.1 * rng.normal());
  return t;
}

// The import arrays of quantized weights, as Tensors (write_npz writes float32): planes in
// C order of [N, C, M, kh, kw] (kernel2d) / [N, M, C, kh, kw] (filter3d), which is exactly the
// packed bit order.
std::vector<std::pair<std::string, kq::Tensor>> export_arrays(const std::string& layer,
                                                              const kq::KcnnLayerWeights& q) {
  const uint64_t m = q.plane_count();
  const bool k2d = q.granularity == KcnnGranularity::kernel2d;
  kq::Tensor planes;
  planes.shape = k2d ? std::vector<uint64_t>{q.n, q.c, m, q.kh, q.kw}
                     : std::vector<uint64_t>{q.n, m, q.c, q.kh, q.kw};
  for (uint64_t k = 0; k < q.kernels(); ++k)
    for (uint32_t p = 0; p < m; ++p)
      for (uint64_t i = 0; i < q.kernel_size(); ++i)
        planes.data.push_back(q.bit(k, p, i) ? 1.0f : 0.0f);
  kq::Tensor alpha;
  alpha.shape = k2d ? std::vector<uint64_t>{q.n, q.c, m} : std::vector<uint64_t>{q.n, m};
  alpha.data = q.alpha;
  std::vector<std::pair<std::string, kq::Tensor>> out{{layer + ".kcnn_planes", planes},
                                                      {layer + ".kcnn_alpha", alpha}};
  if (!q.beta.empty()) {
    kq::Tensor beta;
    beta.shape = k2d ? std::vector<uint64_t>{q.n, q.c} : std::vector<uint64_t>{q.n};
    beta.data = q.beta;
    out.emplace_back(layer + ".kcnn_beta", beta);
  }
  return out;
}

NpyArray as_npy(const kq::Tensor& t, NpyDtype dtype = NpyDtype::f4) {
  NpyArray a;
  a.dtype = dtype;
  a.shape = t.shape;
  a.values.assign(t.data.begin(), t.data.end());
  return a;
}

std::map<std::string, NpyArray> as_map(const std::vector<std::pair<std::string, kq::Tensor>>& v) {
  std::map<std::string, NpyArray> m;
  for (const auto& [name, t] : v) m[name] = as_npy(t);
  return m;
}

void require_same(const kq::KcnnLayerWeights& a, const kq::KcnnLayerWeights& b) {
  REQUIRE(a.granularity == b.granularity);
  REQUIRE(a.planes == b.planes);
  REQUIRE(a.alpha == b.alpha);
  REQUIRE(a.beta == b.beta);
  REQUIRE(a.fixed_exponent == b.fixed_exponent);
  REQUIRE(a.dequantize().data == b.dequantize().data);
}

}  // namespace

TEST_CASE("KCNN import: quantized weights written to .npz read back identically", "[unit]") {
  KcnnTempDir dir;
  kq::Workload w;
  w.name = "two";
  w.input = {6, 5, 5};
  w.layers = {conv("a", 6, 4, 3), conv("b.pw", 4, 5, 1)};
  w.layers[0].inputs = {-1};
  w.layers[1].inputs = {0};
  w.layers[1].in.c = 4;
  const kq::Tensor wa = random_tensor({4, 6, 3, 3}, 31);
  const kq::Tensor wb = random_tensor({5, 4, 1, 1}, 32);

  // pm1 kernel2d with fp16 scales; the 1×1 layer goes filter3d, with zero_one + offset in a
  // second round.
  for (bool zero_one : {false, true}) {
    KcnnOptions o;
    o.planes = 3;
    o.scale_format = KcnnScaleFormat::fp16;
    o.policy_1x1 = kq::KcnnPolicy1x1::filter3d;
    if (zero_one) {
      o.alphabet = KcnnAlphabet::zero_one;
      o.offset = KcnnOffset::per_kernel;
      o.scale_format = KcnnScaleFormat::fixed;
      o.fixed_bits = 12;
    }
    const auto qa = kq::quantize_kcnn_layer(w.layers[0], wa, o);
    const auto qb = kq::quantize_kcnn_layer(w.layers[1], wb, o);
    REQUIRE(qa);
    REQUIRE(qb);
    REQUIRE(qb->granularity == KcnnGranularity::filter3d);
    auto arrays = export_arrays("a", *qa);
    for (auto& x : export_arrays("b.pw", *qb)) arrays.push_back(x);
    arrays.emplace_back("a.weight", wa);  // not the importer's business: ignored
    const std::string path = dir.file(zero_one ? "zo.npz" : "pm1.npz");
    kq::write_npz(path, arrays);

    const auto imported = kq::import_kcnn_weights(path, w, o);
    REQUIRE(imported.size() == 2);
    REQUIRE(imported[0]);
    REQUIRE(imported[1]);
    require_same(*imported[0], *qa);
    require_same(*imported[1], *qb);
    CHECK(imported[0]->weight_shape == wa.shape);
    CHECK(std::isnan(imported[0]->sq_error));
    // The reference-based SQNR still works and matches the quantizer's own figure.
    CHECK(kq::kcnn_weight_sqnr_db(*imported[0], wa) == Approx(qa->weight_sqnr_db()).margin(1e-4));

    // int8 planes (numpy's usual dtype for bits) give the same weights.
    auto map = as_map(arrays);
    map["a.kcnn_planes"].dtype = NpyDtype::i1;
    const auto from_i1 = kq::import_kcnn_layer(map, "mem.npz", w.layers[0], o);
    REQUIRE(from_i1);
    require_same(*from_i1, *qa);
  }

  // A layer without arrays is nullopt.
  CHECK_FALSE(kq::import_kcnn_layer({}, "x.npz", w.layers[0], KcnnOptions{}).has_value());
}

TEST_CASE("KCNN import: bad arrays are InputErrors naming the file and the array", "[unit]") {
  const kq::Layer l = conv("c1", 2, 3, 3);
  KcnnOptions o;  // M = 2, pm1, fp32
  const auto q = kq::quantize_kcnn_layer(l, random_tensor({3, 2, 3, 3}, 33), o);
  REQUIRE(q);
  const auto good = as_map(export_arrays("c1", *q));
  REQUIRE(kq::import_kcnn_layer(good, "w.npz", l, o));

  auto expect = [&](std::map<std::string, NpyArray> m, const std::string& array,
                    const std::string& text, const KcnnOptions& opts) {
    const std::string msg =
        kcnn_input_error_of([&] { kq::import_kcnn_layer(m, "w.npz", l, opts); });
    CHECK_THAT(msg, Contains("w.npz: " + array + ": "));
    CHECK_THAT(msg, Contains(text));
  };
  {
    auto m = good;
    m["c1.kcnn_planes"].values[7] = 2;
    expect(m, "c1.kcnn_planes", "element [0, 0, 0, 2, 1] is 2", o);
    m = good;
    m["c1.kcnn_planes"].values[0] = -1;  // −1 is a value, not a bit
    expect(m, "c1.kcnn_planes", "must be 0 or 1", o);
    m = good;
    m["c1.kcnn_planes"].shape = {3, 2, 3, 3, 2};  // [N, C, kh, kw, M]: wrong order
    expect(m, "c1.kcnn_planes", "expected shape [3, 2, 2, 3, 3]", o);
    m = good;
    m["c1.kcnn_planes"].dtype = NpyDtype::i2;
    expect(m, "c1.kcnn_planes", "dtype <i2 not accepted", o);
    m = good;
    m.erase("c1.kcnn_alpha");
    expect(m, "c1.kcnn_alpha", "missing", o);
    m = good;
    m.erase("c1.kcnn_planes");
    expect(m, "c1.kcnn_planes", "missing", o);
    m = good;
    m["c1.kcnn_alpha"].values[4] = NAN;
    expect(m, "c1.kcnn_alpha", "element [1, 0, 0] is nan", o);
    m = good;
    m["c1.kcnn_alpha"].dtype = NpyDtype::f8;
    expect(m, "c1.kcnn_alpha", "dtype <f8 not accepted", o);
    m = good;
    m["c1.kcnn_alpha"].shape = {3, 2};
    expect(m, "c1.kcnn_alpha", "expected shape [3, 2, 2]", o);
    m = good;
    m["c1.kcnn_beta"] = as_npy(kq::Tensor{{3, 2}, std::vector<float>(6, 0.0f)});
    expect(m, "c1.kcnn_beta", "unexpected", o);
  }
  {
    // Scales the format cannot store exactly.
    KcnnOptions o16 = o;
    o16.scale_format = KcnnScaleFormat::fp16;
    auto m = good;
    m["c1.kcnn_alpha"].values[1] = 0.1;  // not an fp16 value
    expect(m, "c1.kcnn_alpha", "not representable in fp16", o16);
    for (double& v : m["c1.kcnn_alpha"].values) v = kq::round_to_fp16(static_cast<float>(v));
    CHECK(kq::import_kcnn_layer(m, "w.npz", l, o16));

    KcnnOptions ofx = o;
    ofx.scale_format = KcnnScaleFormat::fixed;
    ofx.fixed_bits = 8;
    m = good;
    for (double& v : m["c1.kcnn_alpha"].values) v = 0.25;
    m["c1.kcnn_alpha"].values[0] = 0.5;  // step 2^-8: 0.5 = 128·2^-8 > 127 → e = −7
    auto ok = kq::import_kcnn_layer(m, "w.npz", l, ofx);
    REQUIRE(ok);
    CHECK(ok->fixed_exponent == -7);
    m["c1.kcnn_alpha"].values[3] = 0.25 + 1.0 / 1024;  // finer than 2^-7
    expect(m, "c1.kcnn_alpha", "not a multiple of the layer's step 2^-7", ofx);
  }
  {
    // zero_one with an offset needs beta, of the right shape.
    KcnnOptions oz = o;
    oz.alphabet = KcnnAlphabet::zero_one;
    oz.offset = KcnnOffset::per_kernel;
    auto m = good;
    expect(m, "c1.kcnn_beta", "missing", oz);
    m["c1.kcnn_beta"] = as_npy(kq::Tensor{{3}, std::vector<float>(3, 0.0f)});
    expect(m, "c1.kcnn_beta", "expected shape [3, 2]", oz);
    m["c1.kcnn_beta"] = as_npy(kq::Tensor{{3, 2}, std::vector<float>(6, 0.0f)});
    m["c1.kcnn_beta"].values[5] = INFINITY;
    expect(m, "c1.kcnn_beta", "element [2, 1] is inf", oz);
    m["c1.kcnn_beta"].values[5] = -0.5;
    CHECK(kq::import_kcnn_layer(m, "w.npz", l, oz));
  }
  {
    // Arrays for a layer the policy keeps float, or a layer without conv weights.
    const kq::Layer pw = conv("pw", 2, 3, 1);
    std::map<std::string, NpyArray> m;
    m["pw.kcnn_alpha"] = as_npy(kq::Tensor{{3, 2, 2}, std::vector<float>(12, 1.0f)});
    CHECK_THAT(kcnn_input_error_of([&] { kq::import_kcnn_layer(m, "w.npz", pw, o); }),
               Contains("w.npz: pw.kcnn_alpha: layer \"pw\" is kept float"));
    kq::Layer relu;
    relu.name = "pw";
    relu.type = kq::LayerType::relu;
    CHECK_THAT(kcnn_input_error_of([&] { kq::import_kcnn_layer(m, "w.npz", relu, o); }),
               Contains("has no conv weights"));
  }
  {
    // A KCNN array no layer owns, or with an unknown suffix.
    kq::Workload w;
    w.layers = {l};
    auto m = good;
    m["c2.kcnn_planes"] = m["c1.kcnn_planes"];
    CHECK_THAT(kcnn_input_error_of([&] { kq::import_kcnn_arrays(m, "w.npz", w, o); }),
               Contains("w.npz: c2.kcnn_planes: no layer of the workload"));
    m = good;
    m["c1.kcnn_scale"] = m["c1.kcnn_alpha"];
    CHECK_THAT(kcnn_input_error_of([&] { kq::import_kcnn_arrays(m, "w.npz", w, o); }),
               Contains("w.npz: c1.kcnn_scale: no layer"));
    m = good;
    m["c1.weight"] = m["c1.kcnn_alpha"];  // ignored: load_params' array
    CHECK(kq::import_kcnn_arrays(m, "w.npz", w, o)[0]);
  }
  CHECK(kq::is_kcnn_array_name("layer1.0.conv1.kcnn_planes"));
  CHECK_FALSE(kq::is_kcnn_array_name("layer1.0.conv1.weight"));
}
