#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "models/config/arch_config.hpp"
#include "models/cost/action_counts.hpp"
#include "models/quant/kcnn_quantizer.hpp"
#include "models/quant/kq_quantizer.hpp"
#include "models/workload/layer.hpp"

namespace kq {

/// One unit of work of a layer: a fold of the array (SCALE-Sim's unit: one array-sized tile of
/// the stationary operand plane) with the DRAM traffic it needs first and produces after.
struct Step {
  uint32_t group = 0;
  uint64_t r0 = 0, r_len = 0;  ///< slice of the operand plane's rows (Sr) this fold covers
  uint64_t c0 = 0, c_len = 0;  ///< slice of its columns (Sc)
  uint64_t t0 = 0, t_len = 0;  ///< slice of the streamed dimension (ws: a chunk of P)
  /// KQ response reuse: the fold ends its pixel chunk and gathers its outputs.
  bool gather = false;
  bool first_pass = true;         ///< first reduction fold of its outputs (no partial sum read)
  bool last_pass = true;          ///< last reduction fold: outputs final, written to DRAM
  uint64_t fill_cycles = 0;       ///< stationary operand enters the array
  uint64_t stream_cycles = 0;     ///< streamed operand passes (stretched by buffer ports)
  uint64_t drain_cycles = 0;      ///< operand skew and result drain: (rows−1) + (cols−1)
  uint64_t dram_read_bytes = 0;   ///< fetched before the fold may start
  uint64_t dram_write_bytes = 0;  ///< written after it ends
  /// Of the compute cycles, those the array's adders (or the vector unit) work; the rest the
  /// array waits inside the fold (e.g. for a multiplier array sized below its demand).
  uint64_t array_busy_cycles = 0;
  /// Of the compute cycles, those the multipliers work (a MAC array's are in its PEs).
  uint64_t multiplier_busy_cycles = 0;
  /// Arithmetic, buffer and register actions of the fold (no cycles, no DRAM bytes).
  ActionCounts actions;
  uint64_t compute_cycles() const { return fill_cycles + stream_cycles + drain_cycles; }
};

/// Convolution geometry as the mapper sees it; fc is a 1×1 conv over a 1×1×(C·H·W) input.
struct ConvGeometry {
  uint64_t c_in = 0, h_in = 0, w_in = 0, c_out = 0, h_out = 0, w_out = 0;
  uint32_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1, groups = 1;
};
ConvGeometry conv_geometry(const Layer& l);

/// The fold loop nest of an array layer, so that runs of identical folds can be evaluated in
/// closed form (models/cost/fold_program.*): step s = ((g·outer + a)·middle + b)·inner + i.
/// Every index of a level carries a class id; two steps whose classes agree at all three
/// levels are identical in every field the models read (cycles, DRAM bytes, actions, busy
/// cycles), except the layer's first step, which also loads what the whole layer shares (a
/// resident input, a KQ codebook). Groups are identical to each other but for that first step.
struct FoldNest {
  /// false: the folds have no such structure (KCNN counts that depend on each tile's bits);
  /// evaluate them one by one.
  bool structured = false;
  uint64_t groups = 1;
  std::array<uint64_t, 3> size{{1, 1, 1}};       ///< outer, middle, inner
  std::array<std::vector<uint32_t>, 3> classes;  ///< per level, one id per index
  /// Per level, the period its class sequence most likely has away from its ends (the
  /// channel or row alignment of a slice repeats); only a hint for finding runs.
  std::array<uint64_t, 3> period{{1, 1, 1}};
};

/// The tiling of one layer on one architecture, computed in this one place and consumed by
/// both the SystemC model and the analytic model. Steps are generated on demand (a big layer
/// has ~10^4 folds) in the order the controller runs them:
///   ws: Sr = K, Sc = N, T = P; per group, N-folds outer, then chunks of P, K-folds inner
///       (partial sums of a chunk stay in the ofmap buffer across its K-folds; P is split
///       into chunks only when one N-fold's P×cols partial sums overflow an ofmap tile, and
///       then each chunk pays its own fill and drain)
///   os: Sr = P, Sc = N, T = K; per group, P-folds outer, N-folds inner (the input rows of a
///       P-fold are fetched once for all its N-folds)
///   is: Sr = K, Sc = P, T = N; per group, P-folds outer, K-folds inner
/// Array layers read their input from DRAM once if the whole input fits one buffer tile
/// ("resident"), else per fold the input rows/channels the fold touches. Weights likewise.
/// Vector-unit layers are one step: read inputs, compute, write outputs.
class Schedule {
 public:
  /// Throws InputError (naming the arch file and buffer) if one fold's operands do not fit
  /// one tile of a buffer. Keeps references to both arguments: they must outlive it.
  /// kcnn_bitplane designs also take the layer's quantized weights (they set the additions
  /// under window-sum sharing and zero-skipping); nullptr is fine when they cannot matter.
  /// kq_codebook designs take the layer's codebook weights (their K and index width; nullptr:
  /// from the arch's options).
  Schedule(const Layer& layer, const ArchConfig& arch, const KcnnLayerWeights* kcnn = nullptr,
           const KqLayerWeights* kq = nullptr);

  uint64_t num_steps() const { return num_steps_; }
  Step step(uint64_t s) const;
  bool on_array() const { return on_array_; }
  /// KQ: the layer's codebook (and side information) in bits; 0 for other layers.
  uint64_t codebook_bits() const {
    return kq_ ? codewords_ * geo_.kh * geo_.kw * code_bits_ + side_bits_ : 0;
  }
  /// KQ with a double-buffered codebook SRAM: the previous KQ layer already fetched this
  /// layer's codebook into the other half, so its first fold does not.
  void set_codebook_prefetched(bool p) { codebook_prefetched_ = p; }
  /// DRAM prefetch depth: 2 when ifmap and weight buffers are double-buffered.
  uint32_t prefetch_depth() const { return prefetch_depth_; }
  /// How many finished folds' outputs may wait for DRAM: 2 when the ofmap is double-buffered.
  uint32_t output_depth() const { return output_depth_; }
  bool input_resident() const { return input_resident_; }
  bool weights_resident() const { return weights_resident_; }
  const GemmDims& gemm() const { return gemm_; }
  uint64_t row_folds() const { return row_folds_; }
  /// ws: how many chunks the stream over P is split into (1 for os/is).
  uint64_t stream_chunks() const { return chunks_; }
  uint64_t col_folds() const { return col_folds_; }
  /// SCALE-Sim v2's compute cycles for this layer (ideal memory, unconstrained ports):
  /// folds · per-fold − 1 (its total is the index of the last cycle).
  uint64_t scalesim_cycles() const;
  /// The loop nest of this layer's folds (vector layers: one step, one class). Reuses the
  /// vectors of `out`, so a caller evaluating many layers allocates only while they grow.
  void fold_nest(FoldNest& out) const;

 private:
  Step array_step(uint64_t s) const;
  Step kcnn_step(uint64_t s) const;
  void init_kcnn(const KcnnLayerWeights* w);
  void finish_step(Step& st) const;
  void kq_weights(Step& st, uint64_t pc, bool first_step) const;
  void init_kq_reuse();
  Step kq_reuse_step(uint64_t s) const;
  Step vector_step() const;
  uint64_t input_footprint_elems(uint64_t k0, uint64_t k_len, uint64_t p0, uint64_t p_len) const;
  /// The two factors of an input footprint: channels a K-slice touches, input rows a slice of
  /// output pixels touches (footprint = channels · rows · w_in).
  uint64_t input_channels(uint64_t k0, uint64_t k_len) const;
  uint64_t input_rows(uint64_t p0, uint64_t p_len) const;
  /// Slices of `slice` output pixels at x·slice, x < count: those in [begin, end) touch as
  /// many input rows as slice x − period (full slices clear of the input's top and bottom
  /// edges repeat their alignment to the output rows). begin = end when there are none.
  struct PeriodicSlices {
    uint64_t begin = 0, end = 0, period = 1;
  };
  PeriodicSlices periodic_slices(uint64_t slice, uint64_t count) const;
  /// The most input rows any of those slices touches.
  uint64_t max_input_rows(uint64_t slice) const;
  void check_capacity() const;
  /// Bits one ws fold keeps in the weight buffer for `weights` weights (KQ: their indices).
  uint64_t weight_tile_bits(uint64_t weights) const;
  /// ws: an upper bound of the input elements any fold of a `chunk`-pixel stream touches.
  uint64_t ws_footprint_bound(uint64_t chunk) const;
  uint64_t ws_channel_bound() const;
  /// Input rows any run of `chunk` consecutive output pixels may touch.
  uint64_t chunk_input_rows(uint64_t chunk) const;
  /// Unless the input is resident, shrinks chunk_len_ until the rows of `channels` input
  /// channels that a chunk touches fit one ifmap tile (possibly to 0: the caller reports it).
  void fit_chunk_to_ifmap(uint64_t channels);

  const Layer* layer_;
  const ArchConfig* arch_;
  ConvGeometry geo_;
  GemmDims gemm_;
  bool on_array_ = false;
  uint64_t num_steps_ = 0;
  uint64_t row_folds_ = 0, col_folds_ = 0, stream_len_ = 0;
  uint64_t chunk_len_ = 0, chunks_ = 1;  ///< ws stream chunking
  bool ws_column_resident_ = false;      ///< ws: one N-fold's K×cols weights fit a tile
  uint32_t prefetch_depth_ = 1, output_depth_ = 1;
  bool input_resident_ = false, weights_resident_ = false;
  uint32_t act_bits_ = 0, weight_bits_ = 0, acc_bits_ = 0;
  // kcnn_bitplane: rows are input channels, columns filters, each PE one k×k kernel.
  bool kcnn_ = false;
  KcnnLayerMode kcnn_mode_ = KcnnLayerMode::float_kept;
  uint64_t window_ = 1;  ///< kh·kw
  /// Per fold tile [group][row fold][col fold], over its (filter, channel, plane) slices: the
  /// 1-bits, the bits of the minority side (window-sum sharing sums that side), and the
  /// non-empty planes (kernel2d; filter3d keeps per-filter counts in the tile of row fold 0).
  std::vector<uint64_t> tile_ones_, tile_minority_, tile_nonempty_;
  // kq_codebook: the layer's kernels are indices into a codebook of codewords_ rows.
  bool kq_ = false;
  uint64_t codewords_ = 0, index_bits_ = 0, code_bits_ = 0, side_bits_ = 0;
  bool kq_scale_ = false;  ///< uniform codebook: one scale multiply per output
  bool kq_reuse_ = false;  ///< response reuse: codeword responses, then gathers by index
  bool codebook_prefetched_ = false;
};

}  // namespace kq
