#pragma once
// KQ (Kernel Quantization, methods.md §3): every k×k kernel of a layer is replaced by an index
// into a per-layer codebook of K kernels, learned by k-means; the codebook values are then
// quantized to a few bits. Pure C++17 (no SystemC); docs/KQ.md describes the algorithm.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "models/workload/layer.hpp"
#include "models/workload/tensor.hpp"

namespace kq {

/// How the codebook's K·k² values are stored (methods.md §3.2 step 4).
enum class KqCodebookQuant : uint8_t {
  /// Symmetric uniform: value = scale·code, code in [−2^(b−1), 2^(b−1)−1], one fp scale per
  /// layer.
  uniform,
  /// A 2^b-entry value table per layer (scalar k-means over the codebook values); code is
  /// the table index in [0, 2^b).
  lut,
};
/// Which datapath the closed-form counts describe (methods.md §3.4). Values are unaffected.
enum class KqDatapath : uint8_t { decode_mac, response_reuse };

std::string_view to_string(KqCodebookQuant q);
std::string_view to_string(KqDatapath d);

/// Kernel geometry of a layer as KQ sees it. conv2d: N = out channels, C/g input channels
/// per group, kh×kw kernels; fc: a 1×1 conv over the flattened input (C = C·H·W).
struct KqGeometry {
  uint64_t out_channels = 0;           ///< N
  uint64_t in_channels_per_group = 0;  ///< C/g
  uint64_t groups = 1;
  uint32_t kh = 1, kw = 1;
  bool fc = false;  ///< weights are [N, C] rather than [N, C/g, kh, kw]
  uint64_t kernels() const { return out_channels * in_channels_per_group; }  ///< N·C/g
  uint64_t kernel_area() const { return uint64_t{kh} * kw; }                 ///< k²
  uint64_t params() const { return kernels() * kernel_area(); }
  std::vector<uint64_t> weight_shape() const;  ///< [N, C/g, kh, kw], or [N, C] for fc
};
/// Only conv2d and fc layers have kernels; anything else throws std::invalid_argument.
KqGeometry kq_geometry(const Layer& l);

/// KQ settings (methods.md §6; every default is an [A] assumption there). JSON parsing is
/// done elsewhere; validate() checks consistency.
struct KqOptions {
  /// Codewords K for a layer: a per-layer entry wins, then a per-kernel-size entry
  /// ({kh, kw}), then default_codewords. The result is capped at the layer's N·C/g kernels.
  std::map<std::string, uint32_t> codewords_by_layer;
  /// 3×3: 512, which fits the reported 1.05 b/param of VGG-16 (methods.md §3.3). 1×1: 64 —
  /// a 1×1 kernel is one scalar, and a 6-bit codebook holds at most 2^6 distinct scalars,
  /// so more codewords would only add index bits.
  std::map<std::pair<uint32_t, uint32_t>, uint32_t> codewords_by_kernel{{{3, 3}, 512},
                                                                        {{1, 1}, 64}};
  /// Any other kernel size (e.g. 7×7, 5×5): 512, the 3×3 figure (9 index bits per kernel).
  uint32_t default_codewords = 512;

  uint32_t max_iterations = 20;  ///< k-means stops earlier once no assignment changes
  uint64_t seed = 1;             ///< mixed with the layer index (tensor_seed) per layer
  uint32_t codebook_bits = 6;    ///< b_c, bits per codebook value
  KqCodebookQuant codebook_quant = KqCodebookQuant::uniform;
  /// Width of each stored side-info value (the uniform scale, or each LUT entry); fp32 as in
  /// methods.md §3.3 (σ = 32 or 2^b·32). 16 models an fp16 header.
  uint32_t side_value_bits = 32;
  KqDatapath datapath = KqDatapath::decode_mac;
  bool count_fc = false;  ///< fc layers take part in KQ (and in bits/param) only if set

  /// Throws std::invalid_argument: codewords 0 or above 2^31, codebook_bits outside [2, 16],
  /// max_iterations 0 or above 10000, side_value_bits not 16 or 32, an empty layer name.
  void validate() const;
  /// Sets one K for every layer and kernel size (the §3.3 tables use one K throughout).
  void set_all_codewords(uint32_t k);
  /// Whether the layer is quantized by KQ: conv2d always, fc when count_fc.
  bool applies_to(const Layer& l) const;
  /// K before the cap (per-layer, then per-kernel-size, then default).
  uint32_t requested_codewords(const Layer& l) const;
  /// K actually used: min(requested, N·C/g).
  uint32_t codewords(const Layer& l) const;
  /// σ: side_value_bits for uniform (one scale), 2^b·side_value_bits for lut.
  uint64_t side_info_bits() const;
};

/// ceil(log2(k)) for k ≥ 1 (0 for k = 1: a one-entry codebook needs no index).
uint32_t index_bits_for(uint64_t k);

/// Result of kmeans(). Costs are Σ‖x − c_a(x)‖², evaluated in double on the float points
/// and float centroids.
struct KMeansResult {
  uint32_t dim = 0;
  uint32_t k = 0;
  std::vector<float> centroids;       ///< [k][dim]
  std::vector<uint32_t> assignments;  ///< [n], each < k
  /// Cost after each iteration (assignment, empty-cluster splits, centroid update); never
  /// increases (see docs/KQ.md for why float rounding cannot make it increase).
  std::vector<double> cost_per_iteration;
  uint32_t iterations = 0;
  bool converged = false;       ///< stopped because no assignment changed
  uint64_t empty_splits = 0;    ///< clusters split to refill an empty one, over all iterations
  uint32_t empty_clusters = 0;  ///< codewords left without points at the end
  double final_cost() const { return cost_per_iteration.empty() ? 0 : cost_per_iteration.back(); }
};

/// k-means (Lloyd) on n = points.size()/dim points of `dim` floats, row-major. k-means++
/// seeding from Rng(seed); assignment by the ‖x‖² − 2x·c + ‖c‖² form over blocked tiles of
/// points × codewords, skipping points that Hamerly's distance bounds prove cannot move; a
/// point moves only if its new codeword is strictly closer in exact (double) distance; empty
/// clusters are refilled by splitting the most populated one. Stops after max_iterations or
/// once no assignment changes. Deterministic for a seed, bit for bit on every platform and
/// vector width (docs/KQ.md). Requires 1 ≤ k ≤ n, dim ≥ 1, max_iterations ≥ 1, finite values
/// (std::invalid_argument otherwise).
KMeansResult kmeans(const std::vector<float>& points, uint32_t dim, uint32_t k,
                    uint32_t max_iterations, uint64_t seed);
/// The same Lloyd iterations from given initial centroids ([k][dim], 1 ≤ k ≤ n): a warm
/// start, e.g. to refine an imported codebook, and a way for tests to set up empty clusters.
KMeansResult kmeans_from_centroids(const std::vector<float>& points, uint32_t dim,
                                   const std::vector<float>& centroids, uint32_t max_iterations);

namespace detail {
/// Test hook: false restricts k-means to the baseline vector path (no AVX2 clone), so tests
/// can check that both paths give bit-identical results.
void set_kmeans_wide_simd(bool enabled);
/// Test hook: false makes every k-means iteration search every point (no Hamerly bounds), to
/// check that the bounds change nothing.
void set_kmeans_pruning(bool enabled);
}  // namespace detail

/// The codebook values quantized to `bits` (methods.md §3.2 step 4).
struct QuantizedCodebook {
  std::vector<int32_t> codes;  ///< one per value
  float scale = 1;             ///< uniform: value = scale·code; lut: 1 (unused)
  std::vector<float> lut;      ///< lut: 2^bits ascending values; uniform: empty
  float value(int32_t code) const {
    return lut.empty() ? scale * static_cast<float>(code) : lut[static_cast<size_t>(code)];
  }
};
/// uniform: scale = max(max⁺/(2^(b−1)−1), max⁻/2^(b−1)) (rounded up to a float), codes by
/// round-to-nearest-even, so no value is clipped and each error ≤ scale/2. All zeros: scale 1.
/// lut: 1-D Lloyd-Max over the values (quantile initialisation over the distinct values,
/// ≤ 100 iterations); with ≤ 2^b distinct values the table holds them exactly.
QuantizedCodebook quantize_codebook(const std::vector<float>& values, KqCodebookQuant quant,
                                    uint32_t bits);

/// One layer's KQ weights.
struct KqLayerWeights {
  KqGeometry geometry;
  uint32_t codewords = 0;   ///< K
  uint32_t index_bits = 0;  ///< ceil(log2 K)
  uint32_t codebook_bits = 6;
  KqCodebookQuant codebook_quant = KqCodebookQuant::uniform;
  uint64_t side_info_bits = 32;         ///< σ of this layer's format
  std::vector<uint32_t> indices;        ///< [N][C/g], each < K
  std::vector<int32_t> codebook_codes;  ///< [K][kh·kw]
  float scale = 1;                      ///< uniform
  std::vector<float> lut;               ///< lut: 2^codebook_bits entries

  /// Value of one codebook code under this layer's format.
  float code_value(int32_t code) const {
    return lut.empty() ? scale * static_cast<float>(code) : lut[static_cast<size_t>(code)];
  }
  /// The weights the hardware computes with, [N, C/g, kh, kw].
  Tensor dequantize() const;
  /// 10·log10(Σw² / Σ(w − ŵ)²) against the float weights (same shape); +inf if identical.
  double weight_sqnr_db(const Tensor& original) const;
  /// methods.md §3.3: N·C·b + K·k²·b_c (+ σ).
  uint64_t storage_bits(bool with_side_info) const;
  /// Throws std::invalid_argument if sizes, index range, code range or LUT size disagree
  /// with the fields (used by the importer and tests).
  void check_consistent() const;
};

/// Quantizes one layer's weights [N, C/g, kh, kw] with K codewords (K ≤ N·C/g) and the
/// codebook settings of `o`; `fit`, if given, receives the k-means record.
KqLayerWeights quantize_kernels(const Tensor& weight, uint32_t k, const KqOptions& o, uint64_t seed,
                                KMeansResult* fit = nullptr);
/// Same with K = o.codewords(l) and the seed tensor_seed(o.seed, layer_index, 'K'). The
/// weight shape must be the layer's (conv: [N, C/g, kh, kw]; fc: [N, C·H·W]).
KqLayerWeights quantize_layer(const Layer& l, uint64_t layer_index, const Tensor& weight,
                              const KqOptions& o, KMeansResult* fit = nullptr);

}  // namespace kq
