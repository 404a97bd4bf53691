#include "models/quant/kq_quantizer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

#include "models/workload/synthetic.hpp"

// The hot loops use GCC/Clang vector extensions (8 float lanes; the compiler splits them into
// two SSE registers on baseline x86-64 and uses one AVX2 register in the avx2 clone). Other
// compilers get the plain scalar loops, which compute the same values in the same order.
#if defined(__GNUC__) || defined(__clang__)
#define KQ_VECTOR_EXTENSIONS 1
#define KQ_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define KQ_ALWAYS_INLINE inline
#endif
#if defined(KQ_VECTOR_EXTENSIONS) && defined(__x86_64__) && !defined(__AVX2__)
#define KQ_AVX2_CLONE 1
#endif

namespace kq {

std::string_view to_string(KqCodebookQuant q) {
  switch (q) {
    case KqCodebookQuant::uniform:
      return "uniform";
    case KqCodebookQuant::lut:
      return "lut";
  }
  return "unknown";
}

std::string_view to_string(KqDatapath d) {
  switch (d) {
    case KqDatapath::decode_mac:
      return "decode_mac";
    case KqDatapath::response_reuse:
      return "response_reuse";
  }
  return "unknown";
}

KqGeometry kq_geometry(const Layer& l) {
  KqGeometry g;
  if (l.type == LayerType::conv2d) {
    if (l.groups == 0 || l.in.c % l.groups != 0)
      throw std::invalid_argument("kq_geometry: layer \"" + l.name + "\" has bad groups");
    g.out_channels = l.out.c;
    g.in_channels_per_group = l.in.c / l.groups;
    g.groups = l.groups;
    g.kh = l.kh;
    g.kw = l.kw;
  } else if (l.type == LayerType::fc) {
    // An fc layer is a 1×1 conv over the flattened input: each weight is its own "kernel".
    g.out_channels = l.out.c;
    g.in_channels_per_group = l.in.elements();
    g.fc = true;
  } else {
    throw std::invalid_argument("kq_geometry: layer \"" + l.name + "\" (" +
                                std::string(to_string(l.type)) + ") has no kernels");
  }
  return g;
}

std::vector<uint64_t> KqGeometry::weight_shape() const {
  if (fc) return {out_channels, in_channels_per_group};
  return {out_channels, in_channels_per_group, kh, kw};
}

uint32_t index_bits_for(uint64_t k) {
  uint32_t b = 0;
  while (b < 64 && (uint64_t{1} << b) < k) ++b;
  return b;
}

// ---------------------------------------------------------------------------------------------
// Options

namespace {

constexpr uint32_t kMaxCodewords = uint32_t{1} << 31;  // indices are uint32_t
constexpr uint32_t kMaxIterations = 10000;

void check_codewords(uint32_t k, const std::string& what) {
  if (k == 0 || k > kMaxCodewords)
    throw std::invalid_argument("KqOptions: " + what + " = " + std::to_string(k) +
                                " codewords, must be in [1, 2^31]");
}

}  // namespace

void KqOptions::validate() const {
  check_codewords(default_codewords, "default_codewords");
  for (const auto& [kernel, k] : codewords_by_kernel) {
    if (kernel.first == 0 || kernel.second == 0)
      throw std::invalid_argument("KqOptions: codewords_by_kernel has a 0-sized kernel");
    check_codewords(k, "codewords_by_kernel[" + std::to_string(kernel.first) + "x" +
                           std::to_string(kernel.second) + "]");
  }
  for (const auto& [name, k] : codewords_by_layer) {
    if (name.empty())
      throw std::invalid_argument("KqOptions: codewords_by_layer has an empty name");
    check_codewords(k, "codewords_by_layer[" + name + "]");
  }
  if (max_iterations == 0 || max_iterations > kMaxIterations)
    throw std::invalid_argument("KqOptions: max_iterations = " + std::to_string(max_iterations) +
                                ", must be in [1, " + std::to_string(kMaxIterations) + "]");
  // b = 1 would leave the symmetric uniform format the codes {−1, 0}; above 16 the LUT fit
  // and the 2^b·σ side info stop making sense for a "few-bit" codebook.
  if (codebook_bits < 2 || codebook_bits > 16)
    throw std::invalid_argument("KqOptions: codebook_bits = " + std::to_string(codebook_bits) +
                                ", must be in [2, 16]");
  if (side_value_bits != 16 && side_value_bits != 32)
    throw std::invalid_argument("KqOptions: side_value_bits = " + std::to_string(side_value_bits) +
                                ", must be 16 or 32");
}

void KqOptions::set_all_codewords(uint32_t k) {
  codewords_by_layer.clear();
  codewords_by_kernel.clear();
  default_codewords = k;
}

bool KqOptions::applies_to(const Layer& l) const {
  return l.type == LayerType::conv2d || (count_fc && l.type == LayerType::fc);
}

uint32_t KqOptions::requested_codewords(const Layer& l) const {
  if (auto it = codewords_by_layer.find(l.name); it != codewords_by_layer.end()) return it->second;
  const KqGeometry g = kq_geometry(l);
  if (auto it = codewords_by_kernel.find({g.kh, g.kw}); it != codewords_by_kernel.end())
    return it->second;
  return default_codewords;
}

uint32_t KqOptions::codewords(const Layer& l) const {
  const uint64_t kernels = kq_geometry(l).kernels();
  return static_cast<uint32_t>(std::min<uint64_t>(requested_codewords(l), kernels));
}

uint64_t KqOptions::side_info_bits() const {
  return codebook_quant == KqCodebookQuant::uniform
             ? side_value_bits
             : (uint64_t{1} << codebook_bits) * side_value_bits;
}

// ---------------------------------------------------------------------------------------------
// k-means kernels

namespace detail {
namespace {
bool g_wide_simd = true;
}
void set_kmeans_wide_simd(bool enabled) {
  g_wide_simd = enabled;
}
}  // namespace detail

namespace {

constexpr uint32_t kLanes = 8;         // codeword padding: a multiple of every vector width used
constexpr uint64_t kPointTile = 1024;  // points per tile: 36 KiB of 3×3 kernels, L2-resident
constexpr uint64_t kCodewordTileBytes = 24 * 1024;  // −2c rows + ‖c‖² of a tile stay in L1
constexpr uint64_t kSeedBlock = 4096;               // points per k-means++ distance block

/// Centroids in the layout the assignment kernel streams: m2c[t·stride + j] = −2·c_j[t] (exact,
/// a power-of-two scale) and cn[j] = ‖c_j‖², padded to a multiple of kLanes with cn = +inf so
/// padding never wins.
struct CodewordTable {
  uint32_t dim = 0;
  uint64_t stride = 0;  // padded codeword count
  uint32_t tile = 0;    // codewords per L1 tile, multiple of kLanes
  std::vector<float> m2c;
  std::vector<float> cn;
};

CodewordTable make_table(const std::vector<float>& centroids, uint32_t dim, uint32_t k) {
  CodewordTable t;
  t.dim = dim;
  t.stride = (uint64_t{k} + kLanes - 1) / kLanes * kLanes;
  const uint64_t per_codeword_bytes = 4 * (uint64_t{dim} + 1);
  t.tile = static_cast<uint32_t>(
      std::max<uint64_t>(kLanes, kCodewordTileBytes / per_codeword_bytes / kLanes * kLanes));
  t.m2c.assign(dim * t.stride, 0.0f);
  t.cn.assign(t.stride, std::numeric_limits<float>::infinity());
  for (uint32_t j = 0; j < k; ++j) {
    double norm = 0;
    for (uint32_t d = 0; d < dim; ++d) {
      const float c = centroids[uint64_t{j} * dim + d];
      t.m2c[d * t.stride + j] = -2.0f * c;
      norm += static_cast<double>(c) * c;
    }
    t.cn[j] = static_cast<float>(norm);
  }
  return t;
}

/// Arguments of the nearest-codeword search over all points.
struct NearestArgs {
  const float* points;
  uint64_t n;
  const CodewordTable* table;
  float* best_val;  // [n] running minimum of ‖c‖² − 2x·c (‖x‖² is the same for all c)
  float* second_val;   // [n] running second smallest value (another codeword)
  uint32_t* best_idx;  // [n]
};

#ifdef KQ_VECTOR_EXTENSIONS
/// W float lanes: 4 (one SSE register) on baseline x86-64, 8 (one AVX2 register) in the AVX2
/// clone; vectors wider than the target's registers are split by the compiler, badly.
template <uint32_t W>
struct Vec;
template <>
struct Vec<4> {
  typedef float F __attribute__((vector_size(16)));
  typedef int32_t I __attribute__((vector_size(16)));
  /// For unaligned loads from float arrays (the idiom of immintrin.h's __m128_u).
  typedef float FU __attribute__((vector_size(16), aligned(4), may_alias));
};
template <>
struct Vec<8> {
  typedef float F __attribute__((vector_size(32)));
  typedef int32_t I __attribute__((vector_size(32)));
  typedef float FU __attribute__((vector_size(32), aligned(4), may_alias));
};
#endif
// Loads through memcpy (unaligned), and by reference: returning a vector wider than the
// target's registers would change the ABI.
template <class V, class T>
KQ_ALWAYS_INLINE void load_vec(V& v, const T* p) {
  std::memcpy(&v, p, sizeof v);
}

/// ‖c‖² − 2x·c for one codeword (or W codewords in lanes) from the terms q_0 = ‖c‖² = c0
/// and q_{t+1} = x_t·(−2c_t) = xb[t]·c(t+1). For 3×3 kernels they are added as the balanced
/// tree (((q0+q1)+(q2+q3))+((q4+q5)+(q6+q7)))+(q8+q9), so the dependency chain is 4
/// additions deep instead of 9; for other sizes in ascending t. There is no fused
/// multiply-add (ISO C++ mode keeps -ffp-contract=off), so every vector width and the scalar
/// path produce identical values.
template <class V>
KQ_ALWAYS_INLINE void distance9(V& out, const V* xb, const V& c0, const V& c1, const V& c2,
                                const V& c3, const V& c4, const V& c5, const V& c6, const V& c7,
                                const V& c8, const V& c9) {
  out = (((c0 + xb[0] * c1) + (xb[1] * c2 + xb[2] * c3)) +
         ((xb[3] * c4 + xb[4] * c5) + (xb[5] * c6 + xb[6] * c7))) +
        (xb[7] * c8 + xb[8] * c9);
}

/// Keeps the first (lowest-index) minimum per lane, and the second smallest value.
#ifdef KQ_VECTOR_EXTENSIONS
template <class VF, class VI>
KQ_ALWAYS_INLINE void keep_min(VF& bv, VF& sv, VI& bi, const VF& v, const VI& idx) {
  const VI lt = v < bv;
  const VI lt2 = v < sv;
  sv = lt ? bv : (lt2 ? v : sv);
  bv = lt ? v : bv;
  bi = lt ? idx : bi;
}
#endif

/// Points [i0, i1) against codewords [j0, j1) of the table. For 3×3 kernels two points share
/// each load of W codewords (register blocking). A lane keeps its first (lowest-index)
/// minimum; the lane reduction and the strict < across tiles then give the lowest-index
/// argmin, whatever the vector width.
template <uint32_t W, uint32_t D>
KQ_ALWAYS_INLINE void nearest_tile(const NearestArgs& a, uint64_t i0, uint64_t i1, uint64_t j0,
                                   uint64_t j1) {
  static_assert(D == 0 || D == 9, "only 3x3 has a compile-time kernel");
  const CodewordTable& tb = *a.table;
  const uint32_t dim = D ? D : tb.dim;
  const float* m2c = tb.m2c.data();
  const float* cn = tb.cn.data();
  const uint64_t stride = tb.stride;
  constexpr uint32_t P = D == 9 ? 2 : 1;  // points per register block
  for (uint64_t i = i0; i < i1; i += P) {
    const uint32_t np = static_cast<uint32_t>(std::min<uint64_t>(P, i1 - i));
    float v[P], v2[P];
    uint32_t ix[P];
#ifdef KQ_VECTOR_EXTENSIONS
    using VecF = typename Vec<W>::F;
    using VecI = typename Vec<W>::I;
    // The running minima live in named variables, not arrays, so they stay in registers.
    VecF bv0 = VecF{} + std::numeric_limits<float>::infinity(), bv1 = bv0, sv0 = bv0, sv1 = bv0;
    VecI bi0 = VecI{}, bi1 = bi0;
    int32_t first[W];
    for (uint32_t l = 0; l < W; ++l) first[l] = static_cast<int32_t>(j0 + l);
    VecI jv;
    load_vec(jv, first);
    if constexpr (D == 9) {
      const float* x0 = a.points + i * 9;
      const float* x1 = a.points + (i + np - 1) * 9;  // a missing second point repeats the first
      VecF xb0[9], xb1[9];
      for (uint32_t t = 0; t < 9; ++t) {
        xb0[t] = VecF{} + x0[t];
        xb1[t] = VecF{} + x1[t];
      }
      using VecFU = typename Vec<W>::FU;
      for (uint64_t j = j0; j < j1; j += W) {
        // Named loads (no array), so the ten codeword vectors stay in registers.
        const VecF c0 = *reinterpret_cast<const VecFU*>(cn + j);
        const VecF c1 = *reinterpret_cast<const VecFU*>(m2c + j);
        const VecF c2 = *reinterpret_cast<const VecFU*>(m2c + stride + j);
        const VecF c3 = *reinterpret_cast<const VecFU*>(m2c + 2 * stride + j);
        const VecF c4 = *reinterpret_cast<const VecFU*>(m2c + 3 * stride + j);
        const VecF c5 = *reinterpret_cast<const VecFU*>(m2c + 4 * stride + j);
        const VecF c6 = *reinterpret_cast<const VecFU*>(m2c + 5 * stride + j);
        const VecF c7 = *reinterpret_cast<const VecFU*>(m2c + 6 * stride + j);
        const VecF c8 = *reinterpret_cast<const VecFU*>(m2c + 7 * stride + j);
        const VecF c9 = *reinterpret_cast<const VecFU*>(m2c + 8 * stride + j);
        VecF d0, d1;
        distance9(d0, xb0, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9);
        distance9(d1, xb1, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9);
        keep_min(bv0, sv0, bi0, d0, jv);
        keep_min(bv1, sv1, bi1, d1, jv);
        jv += static_cast<int32_t>(W);
      }
    } else {
      const float* x = a.points + i * dim;
      for (uint64_t j = j0; j < j1; j += W) {
        VecF d, c;
        load_vec(d, cn + j);
        for (uint32_t t = 0; t < dim; ++t) {
          load_vec(c, m2c + t * stride + j);
          d += (VecF{} + x[t]) * c;
        }
        keep_min(bv0, sv0, bi0, d, jv);
        jv += static_cast<int32_t>(W);
      }
    }
    float lane_v[2][W], lane_s[2][W];
    int32_t lane_i[2][W];
    std::memcpy(lane_v[0], &bv0, sizeof bv0);
    std::memcpy(lane_v[1], &bv1, sizeof bv1);
    std::memcpy(lane_s[0], &sv0, sizeof sv0);
    std::memcpy(lane_s[1], &sv1, sizeof sv1);
    std::memcpy(lane_i[0], &bi0, sizeof bi0);
    std::memcpy(lane_i[1], &bi1, sizeof bi1);
    for (uint32_t p = 0; p < P; ++p) {
      uint32_t win = 0;
      for (uint32_t l = 1; l < W; ++l)
        if (lane_v[p][l] < lane_v[p][win] ||
            (lane_v[p][l] == lane_v[p][win] && lane_i[p][l] < lane_i[p][win]))
          win = l;
      v[p] = lane_v[p][win];
      ix[p] = static_cast<uint32_t>(lane_i[p][win]);
      // Second smallest: every lane's runner-up and every other lane's minimum.
      v2[p] = std::numeric_limits<float>::infinity();
      for (uint32_t l = 0; l < W; ++l) {
        v2[p] = std::min(v2[p], lane_s[p][l]);
        if (l != win) v2[p] = std::min(v2[p], lane_v[p][l]);
      }
    }
#else
    for (uint32_t p = 0; p < np; ++p) {
      const float* x = a.points + (i + p) * dim;
      v[p] = v2[p] = std::numeric_limits<float>::infinity();
      ix[p] = 0;
      for (uint64_t j = j0; j < j1; ++j) {
        float d;
        if constexpr (D == 9) {
          distance9(d, x, cn[j], m2c[j], m2c[stride + j], m2c[2 * stride + j], m2c[3 * stride + j],
                    m2c[4 * stride + j], m2c[5 * stride + j], m2c[6 * stride + j],
                    m2c[7 * stride + j], m2c[8 * stride + j]);
        } else {
          d = cn[j];
          for (uint32_t t = 0; t < dim; ++t) d += x[t] * m2c[t * stride + j];
        }
        if (d < v[p]) {
          v2[p] = v[p];
          v[p] = d;
          ix[p] = static_cast<uint32_t>(j);
        } else if (d < v2[p]) {
          v2[p] = d;
        }
      }
    }
#endif
    for (uint32_t p = 0; p < np; ++p) {
      float& best = a.best_val[i + p];
      float& second = a.second_val[i + p];
      if (v[p] < best) {  // earlier tiles win ties: they hold the lower indices
        second = std::min(best, v2[p]);
        best = v[p];
        a.best_idx[i + p] = ix[p];
      } else {
        second = std::min(second, v[p]);
      }
    }
  }
}

/// The blocked product: a tile of points (L2) meets every tile of codewords (L1) in turn.
template <uint32_t W, uint32_t D>
KQ_ALWAYS_INLINE void nearest_all_body(const NearestArgs& a) {
  const CodewordTable& tb = *a.table;
  for (uint64_t i0 = 0; i0 < a.n; i0 += kPointTile) {
    const uint64_t i1 = std::min(a.n, i0 + kPointTile);
    for (uint64_t j0 = 0; j0 < tb.stride; j0 += tb.tile)
      nearest_tile<W, D>(a, i0, i1, j0, std::min(tb.stride, j0 + tb.tile));
  }
}

/// k-means++ distance update for one new centre over points [i0, i1) of the transposed
/// points xt[t·n + i]: min_d2[i] = min(min_d2[i], ‖x_i − c‖²), summing each term in
/// ascending t in float (identical points give exactly 0). Returns the block's Σ min_d2 in
/// double, accumulated in 8 interleaved partial sums (fixed order, so deterministic). Points
/// go 8 at a time with their sums in registers: each lane is one point's scalar sum.
KQ_ALWAYS_INLINE double seed_update_body(const float* xt, uint64_t n, uint32_t dim, const float* c,
                                         float* min_d2, uint64_t i0, uint64_t i1) {
  const uint64_t m = i1 - i0;
  float* md = min_d2 + i0;
  double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  uint64_t i = 0;
#ifdef KQ_VECTOR_EXTENSIONS
  using V = Vec<8>::F;
  using VI = Vec<8>::I;
  for (; i + 8 <= m; i += 8) {
    V d = V{};
    for (uint32_t t = 0; t < dim; ++t) {
      V row;
      load_vec(row, xt + t * n + i0 + i);
      const V e = row - c[t];
      d += e * e;
    }
    V old;
    load_vec(old, md + i);
    const VI lt = d < old;
    const V now = lt ? d : old;
    float lanes[8];
    std::memcpy(lanes, &now, sizeof lanes);
    std::memcpy(md + i, lanes, sizeof lanes);
    for (uint32_t l = 0; l < 8; ++l) part[l] += static_cast<double>(lanes[l]);
  }
#endif
  for (; i < m; ++i) {
    float d = 0.0f;
    for (uint32_t t = 0; t < dim; ++t) {
      const float e = xt[t * n + i0 + i] - c[t];
      d += e * e;
    }
    md[i] = d < md[i] ? d : md[i];
    // Full blocks of 8 feed the 8 partial sums; the rest goes to the first.
    if (m - m % 8 <= i)
      part[0] += static_cast<double>(md[i]);
    else
      part[i % 8] += static_cast<double>(md[i]);
  }
  double s = 0;
  for (double p : part) s += p;
  return s;
}

void nearest_all_base(const NearestArgs& a) {
  if (a.table->dim == 9)
    nearest_all_body<4, 9>(a);
  else
    nearest_all_body<4, 0>(a);
}
double seed_update_base(const float* xt, uint64_t n, uint32_t dim, const float* c, float* min_d2,
                        uint64_t i0, uint64_t i1) {
  return seed_update_body(xt, n, dim, c, min_d2, i0, i1);
}

#ifdef KQ_AVX2_CLONE
// Same bodies compiled for AVX2 (no FMA: results stay bit-identical to the baseline clone),
// chosen at run time, since the project builds for baseline x86-64.
__attribute__((target("avx2"))) void nearest_all_avx2(const NearestArgs& a) {
  if (a.table->dim == 9)
    nearest_all_body<8, 9>(a);
  else
    nearest_all_body<8, 0>(a);
}
__attribute__((target("avx2"))) double seed_update_avx2(const float* xt, uint64_t n, uint32_t dim,
                                                        const float* c, float* min_d2, uint64_t i0,
                                                        uint64_t i1) {
  return seed_update_body(xt, n, dim, c, min_d2, i0, i1);
}
bool use_avx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has && detail::g_wide_simd;
}
#endif

void nearest_all(const NearestArgs& a) {
#ifdef KQ_AVX2_CLONE
  if (use_avx2()) return nearest_all_avx2(a);
#endif
  nearest_all_base(a);
}

double seed_update(const float* xt, uint64_t n, uint32_t dim, const float* c, float* min_d2,
                   uint64_t i0, uint64_t i1) {
#ifdef KQ_AVX2_CLONE
  if (use_avx2()) return seed_update_avx2(xt, n, dim, c, min_d2, i0, i1);
#endif
  return seed_update_base(xt, n, dim, c, min_d2, i0, i1);
}

/// ‖x − c‖² in double: the differences and squares of floats are exact in double, so this
/// is the reference distance that decides moves and costs.
double exact_d2(const float* x, const float* c, uint32_t dim) {
  double s = 0;
  for (uint32_t t = 0; t < dim; ++t) {
    const double e = static_cast<double>(x[t]) - static_cast<double>(c[t]);
    s += e * e;
  }
  return s;
}

/// k-means++ (Arthur & Vassilvitskii 2007): the first centre uniformly, each next one with
/// probability ∝ D², the squared distance to the nearest centre chosen so far. If every
/// point already coincides with a centre (fewer distinct points than k), the next centre is
/// drawn uniformly; the duplicate codewords then go empty and are split later.
std::vector<float> seed_plus_plus(const std::vector<float>& points, uint64_t n, uint32_t dim,
                                  uint32_t k, Rng& rng) {
  std::vector<float> xt(points.size());
  for (uint64_t i = 0; i < n; ++i)
    for (uint32_t t = 0; t < dim; ++t) xt[t * n + i] = points[i * dim + t];
  std::vector<float> min_d2(n, std::numeric_limits<float>::infinity());
  const uint64_t blocks = (n + kSeedBlock - 1) / kSeedBlock;
  std::vector<double> block_sum(blocks);
  std::vector<float> centroids(uint64_t{k} * dim);

  auto uniform_index = [&]() {
    return std::min<uint64_t>(n - 1, static_cast<uint64_t>(rng.uniform() * static_cast<double>(n)));
  };
  uint64_t chosen = uniform_index();
  for (uint32_t j = 0; j < k; ++j) {
    float* c = centroids.data() + uint64_t{j} * dim;
    std::copy_n(points.data() + chosen * dim, dim, c);
    if (j + 1 == k) break;
    double total = 0;
    for (uint64_t b = 0; b < blocks; ++b) {
      block_sum[b] = seed_update(xt.data(), n, dim, c, min_d2.data(), b * kSeedBlock,
                                 std::min(n, (b + 1) * kSeedBlock));
      total += block_sum[b];
    }
    // Draw u every time, even when D² is all zero, so the stream does not depend on the data.
    const double target = rng.uniform() * total;
    if (!(total > 0)) {
      chosen = uniform_index();
      continue;
    }
    // Find the first point whose running D² sum exceeds the target: blocks first, then
    // points. A point with D² = 0 can never be chosen. Rounding may leave the target past the
    // in-block sums; then the block's last point with D² > 0 is taken.
    double cum = 0;
    uint64_t b = 0;
    while (b + 1 < blocks && cum + block_sum[b] <= target) cum += block_sum[b++];
    const uint64_t i_end = std::min(n, (b + 1) * kSeedBlock);
    uint64_t pick = n;
    uint64_t last_positive = n;
    for (uint64_t i = b * kSeedBlock; i < i_end; ++i) {
      if (!(min_d2[i] > 0)) continue;
      last_positive = i;
      cum += static_cast<double>(min_d2[i]);
      if (cum > target) {
        pick = i;
        break;
      }
    }
    if (pick == n) pick = last_positive;
    if (pick == n) {  // the selected block holds no weight (only possible through rounding)
      for (uint64_t i = n; i-- > 0;)
        if (min_d2[i] > 0) {
          pick = i;
          break;
        }
    }
    chosen = pick;
  }
  return centroids;
}

/// Refills empty clusters: each empty codeword (ascending) takes half of the most populated
/// cluster that can be split (ties: lowest index). The split is the ε → 0 limit of moving
/// the donor's centroid to μ ± ε·e_t, with t the donor's coordinate of widest range and μ the
/// mean of its members, and re-assigning the donor's members to the nearer of the two: the
/// members with x_t > μ_t move to the empty codeword. Any partition followed by the mean
/// update cannot raise the cost, unlike actually displacing a populated centroid. A cluster
/// whose members are all identical cannot be split. Returns the number of splits.
uint64_t split_empty_clusters(const std::vector<float>& points, uint32_t dim, uint32_t k,
                              std::vector<uint32_t>& assign, std::vector<uint64_t>& counts,
                              std::vector<uint64_t>& moved) {
  bool any_empty = false;
  for (uint32_t j = 0; j < k; ++j) any_empty |= counts[j] == 0;
  if (!any_empty) return 0;
  std::vector<std::vector<uint64_t>> members(k);
  for (uint32_t j = 0; j < k; ++j) members[j].reserve(counts[j]);
  for (uint64_t i = 0; i < assign.size(); ++i) members[assign[i]].push_back(i);
  std::vector<char> unsplittable(k, 0);
  uint64_t splits = 0;
  for (uint32_t e = 0; e < k; ++e) {
    if (counts[e] != 0) continue;
    for (;;) {
      uint32_t m = k;
      for (uint32_t j = 0; j < k; ++j)
        if (!unsplittable[j] && counts[j] >= 2 && (m == k || counts[j] > counts[m])) m = j;
      if (m == k) return splits;  // nothing left to split
      std::vector<float> lo(points.begin() + members[m][0] * dim,
                            points.begin() + (members[m][0] + 1) * dim);
      std::vector<float> hi = lo;
      for (uint64_t i : members[m])
        for (uint32_t t = 0; t < dim; ++t) {
          lo[t] = std::min(lo[t], points[i * dim + t]);
          hi[t] = std::max(hi[t], points[i * dim + t]);
        }
      uint32_t axis = 0;
      double widest = 0;
      for (uint32_t t = 0; t < dim; ++t) {
        const double r = static_cast<double>(hi[t]) - lo[t];
        if (r > widest) {
          widest = r;
          axis = t;
        }
      }
      if (!(widest > 0)) {
        unsplittable[m] = 1;
        continue;
      }
      double mean = 0;
      for (uint64_t i : members[m]) mean += points[i * dim + axis];
      mean /= static_cast<double>(members[m].size());
      std::vector<uint64_t> keep, move;
      for (uint64_t i : members[m]) (points[i * dim + axis] > mean ? move : keep).push_back(i);
      if (keep.empty() || move.empty()) {  // only through rounding of the mean
        unsplittable[m] = 1;
        continue;
      }
      for (uint64_t i : move) assign[i] = e;
      moved.insert(moved.end(), move.begin(), move.end());
      counts[m] = keep.size();
      counts[e] = move.size();
      members[m] = std::move(keep);
      members[e] = std::move(move);
      ++splits;
      break;
    }
  }
  return splits;
}

/// Half the distance from each centroid to its nearest other centroid (Hamerly's s_j): a
/// point closer than that to its own centroid cannot be closer to any other.
std::vector<double> half_gaps(const std::vector<float>& centroids, uint32_t dim, uint32_t k) {
  std::vector<double> g(k, std::numeric_limits<double>::infinity());
  for (uint32_t j = 0; j < k; ++j)
    for (uint32_t m = j + 1; m < k; ++m) {
      const double d2 =
          exact_d2(centroids.data() + uint64_t{j} * dim, centroids.data() + uint64_t{m} * dim, dim);
      g[j] = std::min(g[j], d2);
      g[m] = std::min(g[m], d2);
    }
  for (double& v : g) v = 0.5 * std::sqrt(v);
  return g;
}

}  // namespace

namespace detail {
namespace {
bool g_pruning = true;
}
void set_kmeans_pruning(bool enabled) {
  g_pruning = enabled;
}
}  // namespace detail

namespace {

/// Checks the arguments; returns the number of points.
uint64_t check_kmeans_args(const std::vector<float>& points, uint32_t dim, uint64_t k,
                           uint32_t max_iterations) {
  if (dim == 0) throw std::invalid_argument("kmeans: dim must be at least 1");
  if (max_iterations == 0) throw std::invalid_argument("kmeans: max_iterations must be >= 1");
  if (points.size() % dim != 0)
    throw std::invalid_argument("kmeans: point data is not a multiple of dim");
  const uint64_t n = points.size() / dim;
  if (k == 0 || k > n || k > kMaxCodewords)
    throw std::invalid_argument("kmeans: need 1 <= k <= number of points (k = " +
                                std::to_string(k) + ", points = " + std::to_string(n) + ")");
  for (float v : points)
    if (!std::isfinite(v)) throw std::invalid_argument("kmeans: non-finite point value");
  return n;
}

KMeansResult lloyd(const std::vector<float>& points, uint32_t dim, std::vector<float> seeds,
                   uint32_t max_iterations);

}  // namespace

KMeansResult kmeans(const std::vector<float>& points, uint32_t dim, uint32_t k,
                    uint32_t max_iterations, uint64_t seed) {
  const uint64_t n = check_kmeans_args(points, dim, k, max_iterations);
  Rng rng(seed);
  return lloyd(points, dim, seed_plus_plus(points, n, dim, k, rng), max_iterations);
}

KMeansResult kmeans_from_centroids(const std::vector<float>& points, uint32_t dim,
                                   const std::vector<float>& centroids, uint32_t max_iterations) {
  if (dim == 0 || centroids.size() % dim != 0)
    throw std::invalid_argument("kmeans_from_centroids: centroid data is not a multiple of dim");
  check_kmeans_args(points, dim, centroids.size() / dim, max_iterations);
  for (float v : centroids)
    if (!std::isfinite(v)) throw std::invalid_argument("kmeans: non-finite centroid value");
  return lloyd(points, dim, centroids, max_iterations);
}

namespace {

KMeansResult lloyd(const std::vector<float>& points, uint32_t dim, std::vector<float> seeds,
                   uint32_t max_iterations) {
  const uint64_t n = points.size() / dim;
  const uint32_t k = static_cast<uint32_t>(seeds.size() / dim);
  KMeansResult r;
  r.dim = dim;
  r.k = k;
  r.centroids = std::move(seeds);
  r.assignments.assign(n, 0);
  auto point = [&](uint64_t i) { return points.data() + i * dim; };
  auto centroid = [&](uint32_t j) { return r.centroids.data() + uint64_t{j} * dim; };

  // Hamerly's bounds (2010), in distances (not squared), double: upper[i] ≥ ‖x_i − c_a(i)‖,
  // lower[i] ≤ ‖x_i − c_j‖ for every other j. A point whose upper bound is below
  // max(lower, half gap of its centroid) keeps its codeword without a search; only the rest
  // go through the blocked search. Pruning changes which points are searched, not the result:
  // a skipped point's search would have returned its own codeword.
  const bool prune = detail::g_pruning;
  std::vector<double> upper(n, std::numeric_limits<double>::infinity()), lower(n, 0.0);
  std::vector<double> norm2(n);
  for (uint64_t i = 0; i < n; ++i) {
    const float* x = point(i);
    double s = 0;
    for (uint32_t t = 0; t < dim; ++t) s += static_cast<double>(x[t]) * x[t];
    norm2[i] = s;
  }
  std::vector<uint64_t> search;
  std::vector<float> gathered;
  std::vector<float> best_val, second_val;
  std::vector<uint32_t> best_idx;
  std::vector<uint64_t> counts(k), moved;
  std::vector<double> sums(uint64_t{k} * dim);
  std::vector<float> old_centroids;
  for (uint32_t it = 0; it < max_iterations; ++it) {
    // Which points need a search.
    search.clear();
    if (it == 0 || !prune) {
      search.resize(n);
      for (uint64_t i = 0; i < n; ++i) search[i] = i;
    } else {
      const std::vector<double> gap = half_gaps(r.centroids, dim, k);
      for (uint64_t i = 0; i < n; ++i) {
        // The 1e-9 slack keeps double rounding of the bounds on the safe side.
        const double bound = std::max(gap[r.assignments[i]], lower[i]) * (1 - 1e-9);
        if (upper[i] <= bound) continue;
        upper[i] = std::sqrt(exact_d2(point(i), centroid(r.assignments[i]), dim));
        if (upper[i] <= bound) continue;
        search.push_back(i);
      }
    }
    const uint64_t m = search.size();
    const float* sub = points.data();
    if (m != n) {
      gathered.resize(m * dim);
      for (uint64_t s = 0; s < m; ++s) std::copy_n(point(search[s]), dim, &gathered[s * dim]);
      sub = gathered.data();
    }

    // Assignment: the nearest codeword by the expanded form (fast, float) ...
    const CodewordTable table = make_table(r.centroids, dim, k);
    double max_cn = 0;
    for (uint32_t j = 0; j < k; ++j) max_cn = std::max(max_cn, static_cast<double>(table.cn[j]));
    best_val.assign(m, std::numeric_limits<float>::infinity());
    second_val.assign(m, std::numeric_limits<float>::infinity());
    best_idx.assign(m, 0u);
    nearest_all({sub, m, &table, best_val.data(), second_val.data(), best_idx.data()});
    // ... then a move is accepted only if the exact distance strictly drops, so rounding in
    // the expanded form can never raise the cost or make two codewords trade points forever.
    uint64_t changed = 0;
    for (uint64_t s = 0; s < m; ++s) {
      const uint64_t i = search[s];
      const float* x = point(i);
      const uint32_t cand = best_idx[s];
      const uint32_t cur = r.assignments[i];
      double d_new = exact_d2(x, centroid(cand), dim);
      if (it == 0) {
        r.assignments[i] = cand;
      } else if (cand != cur) {
        const double d_cur = exact_d2(x, centroid(cur), dim);
        if (d_new < d_cur) {
          r.assignments[i] = cand;
          ++changed;
        } else {
          d_new = d_cur;
        }
      }
      upper[i] = std::sqrt(d_new);
      // Lower bound from the search's other values: the runner-up if the point took the
      // winner, else the winner itself. Expanded-form values carry float rounding up to a few
      // 1e-7 of ‖x‖² + 2‖c‖²; 1e-5 of it is subtracted so the bound stays a bound.
      const double other = r.assignments[i] == cand ? second_val[s] : best_val[s];
      const double margin = 1e-5 * (norm2[i] + 2 * max_cn);
      lower[i] = std::sqrt(std::max(0.0, other + norm2[i] - margin));
    }
    std::fill(counts.begin(), counts.end(), 0);
    for (uint32_t a : r.assignments) ++counts[a];
    moved.clear();
    const uint64_t splits = split_empty_clusters(points, dim, k, r.assignments, counts, moved);
    r.empty_splits += splits;
    for (uint64_t i : moved) {  // their new codeword moves next: search them again
      upper[i] = std::numeric_limits<double>::infinity();
      lower[i] = 0;
    }

    // Update: each non-empty centroid becomes its members' mean (double sums, rounded to
    // float); an empty one keeps its place.
    old_centroids = r.centroids;
    std::fill(sums.begin(), sums.end(), 0.0);
    for (uint64_t i = 0; i < n; ++i) {
      double* sm = sums.data() + uint64_t{r.assignments[i]} * dim;
      const float* x = point(i);
      for (uint32_t t = 0; t < dim; ++t) sm[t] += x[t];
    }
    for (uint32_t j = 0; j < k; ++j) {
      if (counts[j] == 0) continue;
      for (uint32_t t = 0; t < dim; ++t)
        r.centroids[uint64_t{j} * dim + t] =
            static_cast<float>(sums[uint64_t{j} * dim + t] / static_cast<double>(counts[j]));
    }
    // Bounds follow the centroids' moves (triangle inequality).
    std::vector<double> drift(k);
    uint32_t far = 0;
    for (uint32_t j = 0; j < k; ++j) {
      drift[j] = std::sqrt(exact_d2(old_centroids.data() + uint64_t{j} * dim, centroid(j), dim));
      if (drift[j] > drift[far]) far = j;
    }
    double second_far = 0;
    for (uint32_t j = 0; j < k; ++j)
      if (j != far) second_far = std::max(second_far, drift[j]);
    for (uint64_t i = 0; i < n; ++i) {
      const uint32_t a = r.assignments[i];
      upper[i] += drift[a];
      lower[i] -= a == far ? second_far : drift[far];
    }

    double cost = 0;
    for (uint64_t i = 0; i < n; ++i) cost += exact_d2(point(i), centroid(r.assignments[i]), dim);
    r.cost_per_iteration.push_back(cost);
    r.iterations = it + 1;
    if (it > 0 && changed == 0 && splits == 0) {
      r.converged = true;
      break;
    }
  }
  std::fill(counts.begin(), counts.end(), 0);
  for (uint32_t a : r.assignments) ++counts[a];
  r.empty_clusters = static_cast<uint32_t>(std::count(counts.begin(), counts.end(), 0));
  return r;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Codebook quantization

namespace {

QuantizedCodebook quantize_uniform(const std::vector<float>& values, uint32_t bits) {
  const double qmax = static_cast<double>((int64_t{1} << (bits - 1)) - 1);  // 31 for 6 bits
  const double qneg = static_cast<double>(int64_t{1} << (bits - 1));        // 32 for 6 bits
  double max_pos = 0, max_neg = 0;
  for (float v : values) {
    max_pos = std::max(max_pos, static_cast<double>(v));
    max_neg = std::max(max_neg, -static_cast<double>(v));
  }
  // The smallest step that clips nothing: positive values reach code qmax, negative ones
  // −qneg (two's complement gives one more negative code).
  const double s = std::max(max_pos / qmax, max_neg / qneg);
  QuantizedCodebook q;
  q.codes.assign(values.size(), 0);
  if (!(s > 0)) return q;  // all zero: scale 1, codes 0
  // Round the scale up to a float so that no value falls outside the code range.
  float sf = static_cast<float>(s);
  if (static_cast<double>(sf) < s) sf = std::nextafter(sf, std::numeric_limits<float>::infinity());
  q.scale = sf;
  for (size_t i = 0; i < values.size(); ++i) {
    const double c = std::nearbyint(static_cast<double>(values[i]) / sf);
    q.codes[i] = static_cast<int32_t>(std::clamp(c, -qneg, qmax));
  }
  return q;
}

QuantizedCodebook quantize_lut(const std::vector<float>& values, uint32_t bits) {
  const uint64_t levels = uint64_t{1} << bits;
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  std::vector<double> distinct = sorted;
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());

  std::vector<double> lev(levels);
  if (distinct.size() <= levels) {
    // Every value gets its own entry; the rest repeat the largest (never selected, since
    // lookups take the first of equal entries).
    for (uint64_t i = 0; i < levels; ++i)
      lev[i] = distinct[std::min<uint64_t>(i, distinct.size() - 1)];
  } else {
    // Quantiles of the distinct values: strictly increasing, one per level.
    const double u = static_cast<double>(distinct.size());
    for (uint64_t i = 0; i < levels; ++i)
      lev[i] = distinct[static_cast<uint64_t>((static_cast<double>(i) + 0.5) * u /
                                              static_cast<double>(levels))];
    std::vector<double> prefix(sorted.size() + 1, 0.0);
    for (size_t i = 0; i < sorted.size(); ++i) prefix[i + 1] = prefix[i] + sorted[i];
    std::vector<size_t> bounds(levels - 1), prev;
    for (int iter = 0; iter < 100; ++iter) {
      // Lloyd-Max: cell i holds values in (mid[i−1], mid[i]] (a value on a midpoint goes to
      // the lower level), then each level moves to its cell's mean; an empty cell keeps its
      // level, which lies between its neighbours' cells, so the levels stay sorted.
      for (uint64_t i = 0; i + 1 < levels; ++i)
        bounds[i] = static_cast<size_t>(
            std::upper_bound(sorted.begin(), sorted.end(), 0.5 * (lev[i] + lev[i + 1])) -
            sorted.begin());
      if (bounds == prev) break;
      for (uint64_t i = 0; i < levels; ++i) {
        const size_t b0 = i == 0 ? 0 : bounds[i - 1];
        const size_t b1 = i + 1 == levels ? sorted.size() : bounds[i];
        if (b1 > b0) lev[i] = (prefix[b1] - prefix[b0]) / static_cast<double>(b1 - b0);
      }
      prev = bounds;
    }
  }
  QuantizedCodebook q;
  q.lut.resize(levels);
  for (uint64_t i = 0; i < levels; ++i) q.lut[i] = static_cast<float>(lev[i]);
  q.codes.resize(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    // Nearest table entry, ties to the lower index.
    const double v = values[i];
    const auto it = std::lower_bound(q.lut.begin(), q.lut.end(), values[i]);
    size_t hi = static_cast<size_t>(it - q.lut.begin());
    size_t best = std::min<size_t>(hi, levels - 1);
    if (hi > 0) {
      const size_t lo = hi - 1;
      if (hi == levels || std::fabs(v - q.lut[lo]) <= std::fabs(q.lut[hi] - v)) best = lo;
    }
    // Among equal entries the first one, so padded duplicates are never used.
    while (best > 0 && q.lut[best - 1] == q.lut[best]) --best;
    q.codes[i] = static_cast<int32_t>(best);
  }
  return q;
}

}  // namespace

QuantizedCodebook quantize_codebook(const std::vector<float>& values, KqCodebookQuant quant,
                                    uint32_t bits) {
  if (bits < 2 || bits > 16) throw std::invalid_argument("quantize_codebook: bits must be 2..16");
  if (values.empty()) throw std::invalid_argument("quantize_codebook: no values");
  for (float v : values)
    if (!std::isfinite(v)) throw std::invalid_argument("quantize_codebook: non-finite value");
  return quant == KqCodebookQuant::uniform ? quantize_uniform(values, bits)
                                           : quantize_lut(values, bits);
}

// ---------------------------------------------------------------------------------------------
// Layer weights

Tensor KqLayerWeights::dequantize() const {
  Tensor t;
  t.shape = geometry.weight_shape();
  const uint64_t area = geometry.kernel_area();
  t.data.resize(geometry.params());
  for (uint64_t kernel = 0; kernel < indices.size(); ++kernel) {
    const int32_t* row = codebook_codes.data() + uint64_t{indices[kernel]} * area;
    for (uint64_t e = 0; e < area; ++e) t.data[kernel * area + e] = code_value(row[e]);
  }
  return t;
}

double KqLayerWeights::weight_sqnr_db(const Tensor& original) const {
  if (original.data.size() != geometry.params())
    throw std::invalid_argument("weight_sqnr_db: original has " +
                                std::to_string(original.data.size()) + " values, expected " +
                                std::to_string(geometry.params()));
  const Tensor q = dequantize();
  double sig = 0, noise = 0;
  for (size_t i = 0; i < q.data.size(); ++i) {
    const double w = original.data[i];
    const double d = w - static_cast<double>(q.data[i]);
    sig += w * w;
    noise += d * d;
  }
  if (noise == 0) return std::numeric_limits<double>::infinity();
  if (sig == 0) return -std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(sig / noise);
}

uint64_t KqLayerWeights::storage_bits(bool with_side_info) const {
  return geometry.kernels() * index_bits +
         uint64_t{codewords} * geometry.kernel_area() * codebook_bits +
         (with_side_info ? side_info_bits : 0);
}

void KqLayerWeights::check_consistent() const {
  auto fail = [](const std::string& m) { throw std::invalid_argument("KqLayerWeights: " + m); };
  if (codewords == 0) fail("no codewords");
  if (index_bits != index_bits_for(codewords)) fail("index_bits is not ceil(log2 K)");
  if (codebook_bits < 2 || codebook_bits > 16) fail("codebook_bits outside [2, 16]");
  if (indices.size() != geometry.kernels()) fail("index count is not N·C/g");
  if (codebook_codes.size() != uint64_t{codewords} * geometry.kernel_area())
    fail("codebook size is not K·k²");
  for (uint32_t i : indices)
    if (i >= codewords) fail("index " + std::to_string(i) + " >= K");
  int64_t lo = 0, hi = 0;
  if (codebook_quant == KqCodebookQuant::uniform) {
    lo = -(int64_t{1} << (codebook_bits - 1));
    hi = (int64_t{1} << (codebook_bits - 1)) - 1;
    if (!lut.empty()) fail("uniform codebook with a LUT");
    if (!std::isfinite(scale) || !(scale > 0)) fail("scale must be finite and positive");
  } else {
    hi = (int64_t{1} << codebook_bits) - 1;
    if (lut.size() != (uint64_t{1} << codebook_bits)) fail("LUT size is not 2^b");
    for (float v : lut)
      if (!std::isfinite(v)) fail("non-finite LUT value");
  }
  for (int32_t c : codebook_codes)
    if (c < lo || c > hi) fail("code " + std::to_string(c) + " outside the code range");
}

KqLayerWeights quantize_kernels(const Tensor& weight, uint32_t k, const KqOptions& o, uint64_t seed,
                                KMeansResult* fit) {
  o.validate();
  KqGeometry g;
  if (weight.shape.size() == 4) {
    g.out_channels = weight.shape[0];
    g.in_channels_per_group = weight.shape[1];
    if (weight.shape[2] > UINT32_MAX || weight.shape[3] > UINT32_MAX)
      throw std::invalid_argument("quantize_kernels: kernel too large");
    g.kh = static_cast<uint32_t>(weight.shape[2]);
    g.kw = static_cast<uint32_t>(weight.shape[3]);
  } else if (weight.shape.size() == 2) {
    g.out_channels = weight.shape[0];
    g.in_channels_per_group = weight.shape[1];
    g.fc = true;
  } else {
    throw std::invalid_argument("quantize_kernels: weights must be [N, C/g, kh, kw] or [N, C]");
  }
  if (weight.data.size() != g.params() || g.params() == 0)
    throw std::invalid_argument("quantize_kernels: weight data does not match its shape");
  if (g.kernel_area() > UINT32_MAX)
    throw std::invalid_argument("quantize_kernels: kernel too large");
  if (k == 0 || k > g.kernels())
    throw std::invalid_argument("quantize_kernels: K = " + std::to_string(k) +
                                " must be in [1, N·C/g = " + std::to_string(g.kernels()) + "]");

  KMeansResult km =
      kmeans(weight.data, static_cast<uint32_t>(g.kernel_area()), k, o.max_iterations, seed);
  QuantizedCodebook cb = quantize_codebook(km.centroids, o.codebook_quant, o.codebook_bits);

  KqLayerWeights w;
  w.geometry = g;
  w.codewords = k;
  w.index_bits = index_bits_for(k);
  w.codebook_bits = o.codebook_bits;
  w.codebook_quant = o.codebook_quant;
  w.side_info_bits = o.side_info_bits();
  w.indices = km.assignments;
  w.codebook_codes = std::move(cb.codes);
  w.scale = cb.scale;
  w.lut = std::move(cb.lut);
  if (fit) *fit = std::move(km);
  return w;
}

KqLayerWeights quantize_layer(const Layer& l, uint64_t layer_index, const Tensor& weight,
                              const KqOptions& o, KMeansResult* fit) {
  const KqGeometry g = kq_geometry(l);
  if (weight.shape != g.weight_shape())
    throw std::invalid_argument("quantize_layer: weight shape of \"" + l.name +
                                "\" does not match the layer");
  KqLayerWeights w =
      quantize_kernels(weight, o.codewords(l), o, tensor_seed(o.seed, layer_index, 'K'), fit);
  w.geometry = g;  // keeps groups
  return w;
}

}  // namespace kq
