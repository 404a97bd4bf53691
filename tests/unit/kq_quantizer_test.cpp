// KQ quantizer: options, k-means (cost, exact recovery, determinism, empty clusters), the
// codebook quantizers and whole-layer quantization.
#include "models/quant/kq_quantizer.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <stdexcept>

#include "models/workload/synthetic.hpp"
#include "models/workload/workload.hpp"

namespace {

std::vector<float> normal_points(uint64_t n, uint32_t dim, uint64_t seed, double sd = 0.1) {
  kq::Rng r(seed);
  std::vector<float> p(n * dim);
  for (float& v : p) v = static_cast<float>(sd * r.normal());
  return p;
}

double exact_cost(const std::vector<float>& points, const kq::KMeansResult& r) {
  double cost = 0;
  for (uint64_t i = 0; i < r.assignments.size(); ++i)
    for (uint32_t t = 0; t < r.dim; ++t) {
      const double e = static_cast<double>(points[i * r.dim + t]) -
                       r.centroids[uint64_t{r.assignments[i]} * r.dim + t];
      cost += e * e;
    }
  return cost;
}

/// `k` distinct random centres, each repeated `copies` times, shuffled (Fisher-Yates with the
/// seeded Rng). Returns the points and, per point, the index of its centre.
std::pair<std::vector<float>, std::vector<uint32_t>> exact_clusters(uint32_t k, uint32_t copies,
                                                                    uint32_t dim, uint64_t seed) {
  const std::vector<float> centres = normal_points(k, dim, seed, 1.0);
  std::vector<uint32_t> owner;
  for (uint32_t c = 0; c < k; ++c)
    for (uint32_t i = 0; i < copies; ++i) owner.push_back(c);
  kq::Rng r(seed ^ 0x5eed);
  for (size_t i = owner.size(); i > 1; --i) std::swap(owner[i - 1], owner[r.next_u64() % i]);
  std::vector<float> points;
  for (uint32_t c : owner)
    points.insert(points.end(), centres.begin() + c * dim, centres.begin() + (c + 1) * dim);
  return {points, owner};
}

kq::Tensor random_weights(std::vector<uint64_t> shape, uint64_t seed) {
  kq::Tensor t;
  t.shape = std::move(shape);
  t.data = normal_points(t.elements(), 1, seed, 0.05);
  return t;
}

}  // namespace

TEST_CASE("KQ options: defaults, lookup order, cap and validation", "[unit]") {
  kq::KqOptions o;
  REQUIRE_NOTHROW(o.validate());
  CHECK(o.max_iterations == 20);
  CHECK(o.codebook_bits == 6);
  CHECK(o.codebook_quant == kq::KqCodebookQuant::uniform);
  CHECK(o.datapath == kq::KqDatapath::decode_mac);
  CHECK_FALSE(o.count_fc);
  CHECK(o.side_info_bits() == 32);
  o.codebook_quant = kq::KqCodebookQuant::lut;
  CHECK(o.side_info_bits() == 64 * 32);  // 2^b·32
  o.side_value_bits = 16;
  CHECK(o.side_info_bits() == 64 * 16);

  kq::Workload w;
  w.input = {256, 14, 14};
  kq::Layer conv3, conv7, conv1, small, fc;
  conv3.name = "conv3";
  conv3.inputs = {-1};
  conv3.out.c = 256;
  conv3.kh = conv3.kw = 3;
  conv3.ph = conv3.pw = 1;
  conv7 = conv3;
  conv7.name = "conv7";
  conv7.kh = conv7.kw = 7;
  conv7.ph = conv7.pw = 3;
  conv1 = conv3;
  conv1.name = "conv1";
  conv1.kh = conv1.kw = 1;
  conv1.ph = conv1.pw = 0;
  small = conv3;
  small.name = "small";
  small.out.c = 4;
  fc.name = "fc";
  fc.type = kq::LayerType::fc;
  fc.inputs = {3};
  fc.out.c = 10;
  for (const auto& l : {conv3, conv7, conv1, small, fc}) w.layers.push_back(l);
  kq::infer_shapes(w);

  kq::KqOptions d;
  CHECK(d.codewords(w.layers[0]) == 512);  // 3×3 entry
  CHECK(d.codewords(w.layers[1]) == 512);  // default for other sizes
  CHECK(d.codewords(w.layers[2]) == 64);   // 1×1 entry
  CHECK(d.requested_codewords(w.layers[3]) == 512);
  CHECK(d.codewords(w.layers[3]) == 512);  // N·C = 1024 kernels, no cap
  d.codewords_by_layer["conv3"] = 100;
  d.codewords_by_kernel[{7, 7}] = 2048;
  CHECK(d.codewords(w.layers[0]) == 100);
  CHECK(d.codewords(w.layers[1]) == 2048);
  d.codewords_by_layer["small"] = 5000;
  CHECK(d.requested_codewords(w.layers[3]) == 5000);
  CHECK(d.codewords(w.layers[3]) == 1024);  // capped at N·C = 4·256
  CHECK(d.applies_to(w.layers[0]));
  CHECK_FALSE(d.applies_to(w.layers[4]));
  d.count_fc = true;
  CHECK(d.applies_to(w.layers[4]));
  CHECK(kq::kq_geometry(w.layers[4]).kernels() == 10 * 4 * 14 * 14);
  d.set_all_codewords(7);
  CHECK(d.codewords(w.layers[0]) == 7);
  CHECK(d.codewords(w.layers[2]) == 7);

  CHECK(kq::index_bits_for(1) == 0);
  CHECK(kq::index_bits_for(2) == 1);
  CHECK(kq::index_bits_for(512) == 9);
  CHECK(kq::index_bits_for(513) == 10);

  auto invalid = [](auto mutate) {
    kq::KqOptions b;
    mutate(b);
    return b;
  };
  CHECK_THROWS_AS(invalid([](auto& b) { b.default_codewords = 0; }).validate(),
                  std::invalid_argument);
  CHECK_THROWS_AS(invalid([](auto& b) { b.codewords_by_layer["x"] = 0; }).validate(),
                  std::invalid_argument);
  CHECK_THROWS_AS(invalid([](auto& b) { b.codewords_by_layer[""] = 4; }).validate(),
                  std::invalid_argument);
  CHECK_THROWS_AS(invalid([](auto& b) {
                    b.codewords_by_kernel[{0, 3}] = 4;
                  }).validate(),
                  std::invalid_argument);
  CHECK_THROWS_AS(invalid([](auto& b) { b.default_codewords = (1u << 31) + 1; }).validate(),
                  std::invalid_argument);
  CHECK_THROWS_AS(invalid([](auto& b) { b.max_iterations = 0; }).validate(), std::invalid_argument);
  CHECK_THROWS_AS(invalid([](auto& b) { b.codebook_bits = 1; }).validate(), std::invalid_argument);
  CHECK_THROWS_AS(invalid([](auto& b) { b.codebook_bits = 17; }).validate(), std::invalid_argument);
  CHECK_THROWS_AS(invalid([](auto& b) { b.side_value_bits = 8; }).validate(),
                  std::invalid_argument);
}

TEST_CASE("k-means cost never increases across iterations", "[unit]") {
  for (uint32_t dim : {9u, 5u}) {  // the 3×3 kernel and the general-dimension kernel
    const std::vector<float> points = normal_points(3000, dim, 11 + dim);
    for (uint32_t k : {1u, 7u, 64u, 300u}) {
      CAPTURE(dim, k);
      const kq::KMeansResult r = kq::kmeans(points, dim, k, 30, 3);
      REQUIRE(r.cost_per_iteration.size() == r.iterations);
      REQUIRE(r.iterations >= 1);
      for (size_t i = 1; i < r.cost_per_iteration.size(); ++i) {
        CAPTURE(i);
        // Exact arithmetic never increases; the 1e-12 allows for the rounding of the sum.
        CHECK(r.cost_per_iteration[i] <= r.cost_per_iteration[i - 1] * (1 + 1e-12));
      }
      // The recorded cost is the cost of the returned codebook and assignment.
      CHECK(r.final_cost() == Approx(exact_cost(points, r)).epsilon(1e-12));
      if (k > 1) CHECK(r.final_cost() < r.cost_per_iteration.front());
      // Every point is at least as close to its codeword as to any other (up to float noise
      // of the expanded form, which only ever keeps a point where it is).
      for (uint64_t i = 0; i < 3000; i += 97) {
        double own = 0, best = std::numeric_limits<double>::infinity();
        for (uint32_t j = 0; j < k; ++j) {
          double d = 0;
          for (uint32_t t = 0; t < dim; ++t) {
            const double e = static_cast<double>(points[i * dim + t]) - r.centroids[j * dim + t];
            d += e * e;
          }
          if (j == r.assignments[i]) own = d;
          best = std::min(best, d);
        }
        if (r.converged) CHECK(own <= best * (1 + 1e-5) + 1e-12);
      }
    }
  }
}

TEST_CASE("k-means recovers data made of K exact clusters", "[unit]") {
  for (uint32_t k : {1u, 5u, 64u, 200u}) {
    for (uint64_t seed : {1u, 2u}) {
      CAPTURE(k, seed);
      const auto [points, owner] = exact_clusters(k, 20, 9, 100 + k);
      const kq::KMeansResult r = kq::kmeans(points, 9, k, 20, seed);
      CHECK(r.final_cost() == 0.0);
      CHECK(r.converged);
      CHECK(r.empty_clusters == 0);
      for (uint64_t i = 0; i < owner.size(); ++i)
        for (uint32_t t = 0; t < 9; ++t)
          REQUIRE(r.centroids[uint64_t{r.assignments[i]} * 9 + t] == points[i * 9 + t]);
      // One codeword per centre.
      std::set<uint32_t> used(r.assignments.begin(), r.assignments.end());
      CHECK(used.size() == k);
    }
  }
}

TEST_CASE("k-means is deterministic for a seed and identical on every code path", "[unit]") {
  const std::vector<float> points = normal_points(2500, 9, 5);
  const kq::KMeansResult a = kq::kmeans(points, 9, 64, 20, 42);
  const kq::KMeansResult b = kq::kmeans(points, 9, 64, 20, 42);
  CHECK(a.assignments == b.assignments);
  CHECK(a.centroids == b.centroids);
  CHECK(a.cost_per_iteration == b.cost_per_iteration);
  const kq::KMeansResult c = kq::kmeans(points, 9, 64, 20, 43);
  CHECK(a.assignments != c.assignments);

  // The baseline vector path and the search without Hamerly bounds give the same bits.
  kq::detail::set_kmeans_wide_simd(false);
  const kq::KMeansResult narrow = kq::kmeans(points, 9, 64, 20, 42);
  kq::detail::set_kmeans_wide_simd(true);
  kq::detail::set_kmeans_pruning(false);
  const kq::KMeansResult brute = kq::kmeans(points, 9, 64, 20, 42);
  kq::detail::set_kmeans_pruning(true);
  CHECK(narrow.assignments == a.assignments);
  CHECK(narrow.centroids == a.centroids);
  CHECK(brute.assignments == a.assignments);
  CHECK(brute.centroids == a.centroids);
  CHECK(brute.cost_per_iteration == a.cost_per_iteration);

  // Same for a kernel size without a compiled-in dimension (5×5) and a K that is not a
  // multiple of the vector width, with codeword tiles (K·(d+1)·4 bytes > one L1 tile).
  const std::vector<float> p25 = normal_points(1500, 25, 6);
  const kq::KMeansResult d = kq::kmeans(p25, 25, 251, 10, 1);
  kq::detail::set_kmeans_wide_simd(false);
  kq::detail::set_kmeans_pruning(false);
  const kq::KMeansResult e = kq::kmeans(p25, 25, 251, 10, 1);
  kq::detail::set_kmeans_wide_simd(true);
  kq::detail::set_kmeans_pruning(true);
  CHECK(d.assignments == e.assignments);
  CHECK(d.centroids == e.centroids);

  const kq::KMeansResult two = kq::kmeans(points, 9, 64, 2, 42);  // T bounds the iterations
  CHECK(two.iterations == 2);
  CHECK_FALSE(two.converged);
  CHECK_THROWS_AS(kq::kmeans(points, 9, 64, 0, 1), std::invalid_argument);
  CHECK_THROWS_AS(kq::kmeans(points, 9, 0, 20, 1), std::invalid_argument);
  CHECK_THROWS_AS(kq::kmeans(points, 9, 2501, 20, 1), std::invalid_argument);
  CHECK_THROWS_AS(kq::kmeans(points, 7, 4, 20, 1), std::invalid_argument);
  std::vector<float> bad = points;
  bad[17] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_AS(kq::kmeans(bad, 9, 4, 20, 1), std::invalid_argument);
}

TEST_CASE("k-means refills empty clusters by splitting the most populated one", "[unit]") {
  SECTION("two identical initial centroids: the second starts empty and is refilled") {
    const std::vector<float> points = normal_points(400, 9, 8);
    std::vector<float> init(points.begin(), points.begin() + 4 * 9);
    std::copy_n(init.begin(), 9, init.begin() + 9);  // centroid 1 = centroid 0
    const kq::KMeansResult r = kq::kmeans_from_centroids(points, 9, init, 20);
    CHECK(r.empty_splits >= 1);
    CHECK(r.empty_clusters == 0);
    std::vector<uint64_t> counts(4);
    for (uint32_t a : r.assignments) ++counts[a];
    for (uint64_t c : counts) CHECK(c > 0);
    for (size_t i = 1; i < r.cost_per_iteration.size(); ++i)
      CHECK(r.cost_per_iteration[i] <= r.cost_per_iteration[i - 1] * (1 + 1e-12));
    // Without the split the duplicate would stay empty forever, so the split also pays off.
    std::vector<float> three(init.begin(), init.begin() + 9);
    three.insert(three.end(), init.begin() + 18, init.end());
    CHECK(r.final_cost() < kq::kmeans_from_centroids(points, 9, three, 20).final_cost());
  }
  SECTION("more codewords than distinct points: identical points cannot be split") {
    // 20 distinct kernels, each 10 times; K = 24, so k-means++ runs out of distinct points and
    // 4 duplicate codewords go empty; every cluster holds identical points.
    const auto [points, owner] = exact_clusters(20, 10, 9, 77);
    const kq::KMeansResult r = kq::kmeans(points, 9, 24, 20, 1);
    CHECK(r.empty_clusters == 4);
    CHECK(r.empty_splits == 0);
    CHECK(r.final_cost() == 0.0);
    CHECK(r.converged);
  }
  SECTION("as many codewords as distinct points, a duplicate initial codeword") {
    // 31 distinct points, point 0 repeated 40 more times; codeword 0 starts on point 1 like
    // codeword 1, so codeword 1 starts empty. Point 0's copies join some codeword m; that
    // cluster (two distinct points) is the most populated and the only splittable one, and
    // the split gives every distinct point its own codeword.
    std::vector<float> points = normal_points(31, 9, 9);
    for (int i = 0; i < 40; ++i) points.insert(points.end(), points.begin(), points.begin() + 9);
    std::vector<float> init(points.begin(), points.begin() + 31 * 9);
    std::copy_n(points.begin() + 9, 9, init.begin());  // codeword 0 duplicates codeword 1
    const kq::KMeansResult r = kq::kmeans_from_centroids(points, 9, init, 20);
    CHECK(r.empty_splits == 1);
    CHECK(r.empty_clusters == 0);
    CHECK(r.final_cost() == 0.0);
    CHECK(r.converged);
  }
}

TEST_CASE("6-bit uniform codebook: every error within half a step", "[unit]") {
  for (uint64_t seed : {1u, 2u, 3u}) {
    std::vector<float> values = normal_points(512 * 9, 1, seed, 0.05);
    if (seed == 3)
      for (float& v : values) v = -std::fabs(v);  // all negative: the −32 code is reachable
    const kq::QuantizedCodebook q = kq::quantize_codebook(values, kq::KqCodebookQuant::uniform, 6);
    REQUIRE(q.codes.size() == values.size());
    REQUIRE(q.scale > 0);
    CHECK(q.lut.empty());
    int32_t lo = 0, hi = 0;
    for (size_t i = 0; i < values.size(); ++i) {
      CAPTURE(i, values[i], q.codes[i]);
      REQUIRE(q.codes[i] >= -32);
      REQUIRE(q.codes[i] <= 31);
      const double err =
          std::fabs(static_cast<double>(values[i]) - static_cast<double>(q.scale) * q.codes[i]);
      REQUIRE(err <= 0.5 * q.scale * (1 + 1e-6));
      lo = std::min(lo, q.codes[i]);
      hi = std::max(hi, q.codes[i]);
    }
    // The scale is the smallest that clips nothing, so one end of the range is used.
    CHECK((lo == -32 || hi == 31));
    if (seed == 3) CHECK(lo == -32);
  }
  const kq::QuantizedCodebook zero =
      kq::quantize_codebook({0, 0, 0}, kq::KqCodebookQuant::uniform, 6);
  CHECK(zero.scale == 1.0f);
  CHECK(zero.codes == std::vector<int32_t>{0, 0, 0});
  CHECK_THROWS_AS(kq::quantize_codebook({}, kq::KqCodebookQuant::uniform, 6),
                  std::invalid_argument);
  CHECK_THROWS_AS(kq::quantize_codebook({1.0f}, kq::KqCodebookQuant::uniform, 1),
                  std::invalid_argument);
}

TEST_CASE("LUT codebook: exact for few values, nearest entry otherwise", "[unit]") {
  SECTION("at most 2^b distinct values are kept exactly") {
    std::vector<float> values;
    for (int i = 0; i < 500; ++i) values.push_back(0.01f * static_cast<float>((i * 7) % 40 - 20));
    const kq::QuantizedCodebook q = kq::quantize_codebook(values, kq::KqCodebookQuant::lut, 6);
    REQUIRE(q.lut.size() == 64);
    for (size_t i = 0; i < values.size(); ++i) CHECK(q.value(q.codes[i]) == values[i]);
  }
  SECTION("many values: 64 sorted entries, each value on its nearest one, lower MSE") {
    const std::vector<float> values = normal_points(512 * 9, 1, 4, 0.05);
    const kq::QuantizedCodebook q = kq::quantize_codebook(values, kq::KqCodebookQuant::lut, 6);
    REQUIRE(q.lut.size() == 64);
    CHECK(std::is_sorted(q.lut.begin(), q.lut.end()));
    double mse_lut = 0;
    for (size_t i = 0; i < values.size(); ++i) {
      REQUIRE(q.codes[i] >= 0);
      REQUIRE(q.codes[i] < 64);
      const double own = std::fabs(static_cast<double>(values[i]) - q.lut[q.codes[i]]);
      for (float e : q.lut) REQUIRE(own <= std::fabs(static_cast<double>(values[i]) - e));
      mse_lut += own * own;
    }
    const kq::QuantizedCodebook u = kq::quantize_codebook(values, kq::KqCodebookQuant::uniform, 6);
    double mse_uniform = 0;
    for (size_t i = 0; i < values.size(); ++i) {
      const double e = static_cast<double>(values[i]) - static_cast<double>(u.value(u.codes[i]));
      mse_uniform += e * e;
    }
    // Lloyd-Max fits the bell-shaped distribution better than equal steps.
    CHECK(mse_lut < mse_uniform);
  }
}

TEST_CASE("quantize a layer: shapes, ranges, storage, quality and the K cap", "[unit]") {
  kq::KqOptions o;
  const kq::Tensor w = random_weights({16, 8, 3, 3}, 21);
  kq::KMeansResult fit;
  const kq::KqLayerWeights q = kq::quantize_kernels(w, 32, o, 7, &fit);
  REQUIRE_NOTHROW(q.check_consistent());
  CHECK(q.codewords == 32);
  CHECK(q.index_bits == 5);
  CHECK(q.indices.size() == 128);
  CHECK(q.codebook_codes.size() == 32 * 9);
  CHECK(q.indices == fit.assignments);
  // §3.3: N·C·b + K·k²·b_c (+ σ) = 128·5 + 32·9·6 (+ 32).
  CHECK(q.storage_bits(false) == 128 * 5 + 32 * 9 * 6);
  CHECK(q.storage_bits(true) == 128 * 5 + 32 * 9 * 6 + 32);
  const kq::Tensor d = q.dequantize();
  CHECK(d.shape == w.shape);
  for (uint64_t kernel = 0; kernel < 128; ++kernel)
    for (uint64_t e = 0; e < 9; ++e)
      REQUIRE(d.data[kernel * 9 + e] == q.scale * q.codebook_codes[q.indices[kernel] * 9 + e]);
  const double sqnr32 = q.weight_sqnr_db(w);
  CHECK(std::isfinite(sqnr32));
  CHECK(sqnr32 > 0);
  // More codewords fit better.
  CHECK(kq::quantize_kernels(w, 128, o, 7).weight_sqnr_db(w) > sqnr32);
  CHECK_THROWS_AS(kq::quantize_kernels(w, 129, o, 7), std::invalid_argument);
  CHECK_THROWS_AS(q.weight_sqnr_db(random_weights({4, 8, 3, 3}, 1)), std::invalid_argument);

  // Same seed, same result; the LUT format carries 2^6 fp32 entries of side info.
  const kq::KqLayerWeights again = kq::quantize_kernels(w, 32, o, 7);
  CHECK(again.indices == q.indices);
  CHECK(again.codebook_codes == q.codebook_codes);
  CHECK(again.scale == q.scale);
  o.codebook_quant = kq::KqCodebookQuant::lut;
  const kq::KqLayerWeights lq = kq::quantize_kernels(w, 32, o, 7);
  REQUIRE_NOTHROW(lq.check_consistent());
  CHECK(lq.lut.size() == 64);
  CHECK(lq.storage_bits(true) == 128 * 5 + 32 * 9 * 6 + 64 * 32);
}

TEST_CASE("quantize_layer caps K at the layer's kernels, groups and fc included", "[unit]") {
  const kq::Workload w =
      kq::load_workload(std::string(KQSIM_SOURCE_DIR) + "/workloads/test/tiny_cnn.json");
  kq::KqOptions o;
  o.set_all_codewords(512);  // far above these layers' kernel counts
  o.count_fc = true;
  for (const char* name : {"conv1", "dwconv", "fc"}) {
    CAPTURE(name);
    const int li = w.find(name);
    REQUIRE(li >= 0);
    const kq::Layer& l = w.layers[static_cast<size_t>(li)];
    const kq::KqGeometry g = kq::kq_geometry(l);
    const kq::Tensor weight = random_weights(g.weight_shape(), 30 + static_cast<uint64_t>(li));
    const kq::KqLayerWeights q = kq::quantize_layer(l, static_cast<uint64_t>(li), weight, o);
    CHECK(q.codewords == g.kernels());  // conv1: 8·3, dwconv: 8·1, fc: 10·8
    CHECK(q.dequantize().shape == weight.shape);
    // One codeword per kernel: all k-means error is gone, only the 6-bit step remains.
    const kq::Tensor d = q.dequantize();
    for (size_t i = 0; i < d.data.size(); ++i)
      REQUIRE(std::fabs(d.data[i] - weight.data[i]) <= 0.5 * q.scale * (1 + 1e-6));
    CHECK_THROWS_AS(kq::quantize_layer(l, 0, random_weights({1, 1, 3, 3}, 1), o),
                    std::invalid_argument);
  }
  CHECK(kq::quantize_layer(w.layers[0], 0, random_weights({8, 3, 3, 3}, 1), o).geometry.groups ==
        1);
  CHECK(kq::kq_geometry(w.layers[static_cast<size_t>(w.find("dwconv"))]).groups == 8);
  CHECK_THROWS_AS(kq::kq_geometry(w.layers[static_cast<size_t>(w.find("relu1"))]),
                  std::invalid_argument);
}

// Timing of the speed target (a 512×512×3×3 layer: 262,144 kernels, K = 512, 20 iterations);
// hidden, run with: kqsim_unit_tests "[.bench]". No assertion on the time.
TEST_CASE("k-means speed on a 512x512x3x3 layer", "[.bench]") {
  const std::vector<float> points = normal_points(512 * 512, 9, 1, 0.02);
  const auto t0 = std::chrono::steady_clock::now();
  const kq::KMeansResult r = kq::kmeans(points, 9, 512, 20, 1);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("k-means 262144 x 9, K = 512, %u iterations: %.3f s (cost %.6g -> %.6g)\n",
              r.iterations, s, r.cost_per_iteration.front(), r.final_cost());
  CHECK(r.iterations == 20);
}
