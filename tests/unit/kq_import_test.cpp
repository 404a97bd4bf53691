// Import of pre-quantized KQ codebooks from .npz, round trips and every rejected input.
#include "models/quant/kq_import.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <limits>
#include <random>

#include "models/common/input_error.hpp"
#include "models/workload/synthetic.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("kqsim_kq_import_test_" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

kq::Workload tiny() {
  return kq::load_workload(std::string(KQSIM_SOURCE_DIR) + "/workloads/test/tiny_cnn.json");
}

kq::Tensor tensor(std::vector<uint64_t> shape, std::vector<float> data) {
  kq::Tensor t;
  t.shape = std::move(shape);
  t.data = std::move(data);
  return t;
}

template <class T>
kq::Tensor as_float(std::vector<uint64_t> shape, const std::vector<T>& v) {
  return tensor(std::move(shape), std::vector<float>(v.begin(), v.end()));
}

kq::KqLayerWeights quantized(const kq::Workload& w, const std::string& name, uint32_t k,
                             const kq::KqOptions& o) {
  const int li = w.find(name);
  const kq::Layer& l = w.layers[static_cast<size_t>(li)];
  kq::Tensor weight;
  weight.shape = kq::kq_geometry(l).weight_shape();
  kq::Rng r(static_cast<uint64_t>(li) + 1);
  weight.data.resize(weight.elements());
  for (float& v : weight.data) v = static_cast<float>(0.1 * r.normal());
  return kq::quantize_kernels(weight, k, o, 3);
}

/// The arrays of one layer as the importer expects them (integers written as float32).
std::vector<std::pair<std::string, kq::Tensor>> arrays_of(const std::string& name,
                                                          const kq::KqLayerWeights& q) {
  const kq::KqGeometry& g = q.geometry;
  std::vector<std::pair<std::string, kq::Tensor>> a;
  a.emplace_back(name + ".kq_indices",
                 as_float({g.out_channels, g.in_channels_per_group}, q.indices));
  a.emplace_back(name + ".kq_codebook", as_float({q.codewords, g.kh, g.kw}, q.codebook_codes));
  if (q.lut.empty())
    a.emplace_back(name + ".kq_scale", tensor({1}, {q.scale}));
  else
    a.emplace_back(name + ".kq_lut", tensor({q.lut.size()}, q.lut));
  return a;
}

void check_same(const kq::KqLayerWeights& a, const kq::KqLayerWeights& b) {
  CHECK(a.codewords == b.codewords);
  CHECK(a.index_bits == b.index_bits);
  CHECK(a.indices == b.indices);
  CHECK(a.codebook_codes == b.codebook_codes);
  CHECK(a.scale == b.scale);
  CHECK(a.lut == b.lut);
  CHECK(a.side_info_bits == b.side_info_bits);
  CHECK(a.dequantize().data == b.dequantize().data);
}

/// Writes `arrays`, imports, and returns the InputError message (fails if none is thrown).
std::string import_error(const std::vector<std::pair<std::string, kq::Tensor>>& arrays,
                         const kq::KqOptions& o = kq::KqOptions{}) {
  TempDir dir;
  const std::string path = dir.file("kq.npz");
  kq::write_npz(path, arrays);
  const kq::Workload w = tiny();
  try {
    kq::import_kq_npz(path, w, o);
  } catch (const kq::InputError& e) {
    CHECK(e.file() == path);
    return e.what();
  }
  FAIL("expected an InputError");
  return "";
}

}  // namespace

TEST_CASE("KQ import round-trips quantized layers (uniform and LUT)", "[unit]") {
  const kq::Workload w = tiny();
  for (auto quant : {kq::KqCodebookQuant::uniform, kq::KqCodebookQuant::lut}) {
    CAPTURE(kq::to_string(quant));
    kq::KqOptions o;
    o.codebook_quant = quant;
    const kq::KqLayerWeights conv2 = quantized(w, "conv2", 16, o);
    const kq::KqLayerWeights dw = quantized(w, "dwconv", 5, o);
    auto arrays = arrays_of("conv2", conv2);
    for (auto& a : arrays_of("dwconv", dw)) arrays.push_back(std::move(a));
    TempDir dir;
    const std::string path = dir.file("kq.npz");
    kq::write_npz(path, arrays);
    const auto imported = kq::import_kq_npz(path, w, o);
    REQUIRE(imported.size() == w.layers.size());
    for (size_t i = 0; i < w.layers.size(); ++i) {
      CAPTURE(w.layers[i].name);
      const bool present = w.layers[i].name == "conv2" || w.layers[i].name == "dwconv";
      CHECK(imported[i].has_value() == present);
    }
    const auto& c2 = *imported[static_cast<size_t>(w.find("conv2"))];
    const auto& d = *imported[static_cast<size_t>(w.find("dwconv"))];
    check_same(c2, conv2);
    check_same(d, dw);
    CHECK(d.geometry.groups == 8);
  }
}

TEST_CASE("KQ import takes integer dtypes, a scalar scale and float codebooks", "[unit]") {
  const kq::Workload w = tiny();
  kq::KqOptions o;
  const kq::KqLayerWeights q = quantized(w, "conv1", 6, o);
  auto int_array = [](kq::NpyDtype t, std::vector<uint64_t> shape, auto values) {
    kq::NpyArray a;
    a.dtype = t;
    a.shape = std::move(shape);
    a.values.assign(values.begin(), values.end());
    return a;
  };
  std::map<std::string, kq::NpyArray> m;
  m["conv1.kq_indices"] = int_array(kq::NpyDtype::i2, {8, 3}, q.indices);
  m["conv1.kq_codebook"] = int_array(kq::NpyDtype::i1, {6, 3, 3}, q.codebook_codes);
  m["conv1.kq_scale"] = int_array(kq::NpyDtype::f4, {}, std::vector<float>{q.scale});
  const auto imported = kq::import_kq_arrays(m, "mem.npz", w, o);
  check_same(*imported[0], q);

  // A float codebook (no scale, no LUT) is quantized to the options' format on import.
  std::vector<float> values(6 * 9);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = 0.01f * static_cast<float>(static_cast<int>(i * 37 % 23) - 11);
  m.erase("conv1.kq_scale");
  m["conv1.kq_codebook"] = int_array(kq::NpyDtype::f4, {6, 3, 3}, values);
  const kq::QuantizedCodebook expect =
      kq::quantize_codebook(values, kq::KqCodebookQuant::uniform, 6);
  const kq::KqLayerWeights f = *kq::import_kq_arrays(m, "mem.npz", w, o)[0];
  CHECK(f.codebook_codes == expect.codes);
  CHECK(f.scale == expect.scale);
  CHECK(f.indices == q.indices);
  o.codebook_quant = kq::KqCodebookQuant::lut;
  const kq::KqLayerWeights fl = *kq::import_kq_arrays(m, "mem.npz", w, o)[0];
  CHECK(fl.lut.size() == 64);
  for (size_t i = 0; i < values.size(); ++i)
    CHECK(fl.code_value(fl.codebook_codes[i]) == values[i]);

  // fc takes part with count_fc: indices [N, C·H·W], codebook [K, 1, 1].
  o = kq::KqOptions{};
  o.count_fc = true;
  const kq::KqLayerWeights fc = quantized(w, "fc", 4, o);
  TempDir dir;
  kq::write_npz(dir.file("fc.npz"), arrays_of("fc", fc));
  check_same(*kq::import_kq_npz(dir.file("fc.npz"), w, o)[static_cast<size_t>(w.find("fc"))], fc);
}

TEST_CASE("KQ import rejects bad files with one InputError naming the array", "[unit]") {
  const kq::Workload w = tiny();
  const kq::KqOptions o;
  const kq::KqLayerWeights q = quantized(w, "conv1", 6, o);  // indices [8, 3], codebook [6, 3, 3]
  const auto good = arrays_of("conv1", q);
  auto with = [&](const std::string& member, kq::Tensor t) {
    auto a = good;
    for (auto& [name, tensor] : a)
      if (name == member) tensor = std::move(t);
    return a;
  };
  auto without = [&](const std::string& member) {
    auto a = good;
    a.erase(std::remove_if(a.begin(), a.end(), [&](const auto& p) { return p.first == member; }),
            a.end());
    return a;
  };
  std::vector<float> idx(q.indices.begin(), q.indices.end());
  std::vector<float> codes(q.codebook_codes.begin(), q.codebook_codes.end());
  auto idx_with = [&](size_t i, float v) {
    auto c = idx;
    c[i] = v;
    return tensor({8, 3}, c);
  };
  auto codes_with = [&](size_t i, float v) {
    auto c = codes;
    c[i] = v;
    return tensor({6, 3, 3}, c);
  };

  CHECK_THAT(import_error(with("conv1.kq_indices", tensor({3, 8}, idx))),
             Contains("conv1.kq_indices") && Contains("expected shape [8, 3], got [3, 8]"));
  CHECK_THAT(import_error(with("conv1.kq_indices", idx_with(5, 6))),
             Contains("conv1.kq_indices") && Contains("element 5 = 6") && Contains("K = 6"));
  CHECK_THAT(import_error(with("conv1.kq_indices", idx_with(2, -1))),
             Contains("conv1.kq_indices") && Contains("element 2 = -1"));
  CHECK_THAT(import_error(with("conv1.kq_indices", idx_with(1, 1.5f))),
             Contains("conv1.kq_indices") && Contains("not an integer"));
  CHECK_THAT(
      import_error(with("conv1.kq_indices", idx_with(0, std::numeric_limits<float>::quiet_NaN()))),
      Contains("conv1.kq_indices") && Contains("not an integer"));
  CHECK_THAT(import_error(with("conv1.kq_codebook", tensor({6, 9}, codes))),
             Contains("conv1.kq_codebook") && Contains("expected shape [K, 3, 3]"));
  CHECK_THAT(import_error(with("conv1.kq_codebook", codes_with(7, 32))),
             Contains("conv1.kq_codebook") && Contains("element 7 = 32") && Contains("[-32, 31]"));
  CHECK_THAT(import_error(with("conv1.kq_codebook", codes_with(3, -33))),
             Contains("conv1.kq_codebook") && Contains("element 3 = -33"));
  CHECK_THAT(import_error(with("conv1.kq_scale", tensor({1}, {0.0f}))),
             Contains("conv1.kq_scale") && Contains("finite positive"));
  CHECK_THAT(
      import_error(with("conv1.kq_scale", tensor({1}, {std::numeric_limits<float>::infinity()}))),
      Contains("conv1.kq_scale") && Contains("finite positive"));
  CHECK_THAT(import_error(with("conv1.kq_scale", tensor({2}, {1.0f, 1.0f}))),
             Contains("conv1.kq_scale") && Contains("[1] or []"));
  CHECK_THAT(import_error(without("conv1.kq_codebook")),
             Contains("conv1.kq_codebook") && Contains("missing"));
  CHECK_THAT(import_error(without("conv1.kq_indices")),
             Contains("conv1.kq_indices") && Contains("missing"));

  // A float codebook must be finite.
  auto float_cb = without("conv1.kq_scale");
  for (auto& [name, t] : float_cb)
    if (name == "conv1.kq_codebook") t.data[4] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THAT(import_error(float_cb), Contains("conv1.kq_codebook") && Contains("element 4"));

  // The codebook format must match the options.
  auto lut_arrays = good;
  lut_arrays.emplace_back("conv1.kq_lut", tensor({64}, std::vector<float>(64, 0.5f)));
  CHECK_THAT(import_error(lut_arrays), Contains("conv1.kq_lut") && Contains("uniform"));
  kq::KqOptions lut = o;
  lut.codebook_quant = kq::KqCodebookQuant::lut;
  CHECK_THAT(import_error(good, lut), Contains("conv1.kq_scale") && Contains("lut"));
  auto bad_lut = without("conv1.kq_scale");
  bad_lut.emplace_back("conv1.kq_lut", tensor({32}, std::vector<float>(32, 0.5f)));
  CHECK_THAT(import_error(bad_lut, lut), Contains("conv1.kq_lut") && Contains("[64]"));
  bad_lut.back().second = tensor({64}, std::vector<float>(64, 0.5f));
  bad_lut.back().second.data[9] = std::numeric_limits<float>::infinity();
  CHECK_THAT(import_error(bad_lut, lut), Contains("conv1.kq_lut") && Contains("element 9"));
  bad_lut.back().second.data[9] = 0.25f;
  for (auto& [name, t] : bad_lut)
    if (name == "conv1.kq_codebook") t.data[0] = -1;  // a LUT index must be in [0, 63]
  CHECK_THAT(import_error(bad_lut, lut), Contains("conv1.kq_codebook") &&
                                             Contains("element 0 = -1") &&
                                             Contains("LUT index range [0, 63]"));
  // Names: members that are not KQ arrays, unknown layers, layers KQ does not quantize.
  auto extra = good;
  extra.emplace_back("conv1.weight", tensor({1}, {1.0f}));
  CHECK_THAT(import_error(extra), Contains("conv1.weight") && Contains("not a KQ array"));
  auto unknown = good;
  unknown.emplace_back("conv9.kq_indices", tensor({1}, {0.0f}));
  CHECK_THAT(import_error(unknown), Contains("conv9.kq_indices") && Contains("no layer"));
  auto relu = good;
  relu.emplace_back("relu1.kq_indices", tensor({1}, {0.0f}));
  CHECK_THAT(import_error(relu), Contains("relu1.kq_indices") && Contains("not quantized"));
  auto fc = good;
  fc.emplace_back("fc.kq_indices", tensor({1}, {0.0f}));
  CHECK_THAT(import_error(fc), Contains("fc.kq_indices") && Contains("count_fc"));
}
