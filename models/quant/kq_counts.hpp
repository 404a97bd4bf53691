#pragma once
// Closed forms for KQ (methods.md §3.3 storage, §3.4 operation counts). These are the
// reference figures a Schedule-based KQ datapath must reproduce; they assume no on-chip reuse
// except where a datapath is defined by it (docs/KQ.md lists every convention).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "models/quant/kq_quantizer.hpp"
#include "models/workload/layer.hpp"
#include "models/workload/workload.hpp"

namespace kq {

/// Storage of one KQ layer (methods.md §3.3).
struct KqLayerStorage {
  std::string name;
  uint64_t kernels = 0;              ///< N·C/g
  uint64_t params = 0;               ///< N·C/g·k²
  uint64_t codewords = 0;            ///< K (after the cap at N·C/g)
  uint32_t index_bits = 0;           ///< b = ceil(log2 K)
  uint64_t index_bits_total = 0;     ///< N·C/g·b
  uint64_t codebook_bits_total = 0;  ///< K·k²·b_c
  uint64_t side_info_bits = 0;       ///< σ

  uint64_t bits(bool with_side_info) const {
    return index_bits_total + codebook_bits_total + (with_side_info ? side_info_bits : 0);
  }
  double bits_per_param(bool with_side_info) const {
    return static_cast<double>(bits(with_side_info)) / static_cast<double>(params);
  }
  /// Bytes of the compressed weights in DRAM: packed indices, packed codebook codes and the
  /// side info, each rounded up to whole bytes on its own (three separately addressed
  /// regions): ceil(N·C/g·b/8) + ceil(K·k²·b_c/8) + ceil(σ/8).
  uint64_t dram_weight_bytes() const;
};

/// The layer must have kernels (conv2d or fc); K = o.codewords(l).
KqLayerStorage kq_layer_storage(const Layer& l, const KqOptions& o);

/// Storage of the layers a figure covers; bits/param = Σ bits / Σ params.
struct KqNetworkStorage {
  std::vector<KqLayerStorage> layers;
  uint64_t bits(bool with_side_info) const;
  uint64_t params() const;
  uint64_t kernels() const;
  double bits_per_param(bool with_side_info) const;
};

/// Over the layers o.applies_to() accepts (conv2d; fc with count_fc), further restricted by
/// `include` if given (e.g. "3×3 layers only").
KqNetworkStorage kq_network_storage(const Workload& w, const KqOptions& o,
                                    const std::function<bool(const Layer&)>& include = nullptr);

/// Operation and access counts of one layer on a KQ datapath (methods.md §3.4), totals over
/// the whole layer. Per output y[n,p] with C' = C/g input channels per group:
///
/// decode_mac (Q1): C'·k² narrow products (b_c-bit code × activation) and C'·k² additions
///   (the accumulator starts at the bias), plus one scale multiply per output for the uniform
///   codebook (value = s·code, so Σ code·x is scaled once at the output; a LUT holds final
///   values and needs none). Reads: C' indices, C' codebook rows (k²·b_c bits each),
///   C'·k² activations, and C'·k² LUT lookups for a LUT codebook; 1 output write.
/// response_reuse (Q2), per output position p: the table R[c, j] = CB[j]·window(c, p) for all
///   C input channels and K codewords, C·K·k² MUL and C·K·(k²−1) ADD (each window is read once,
///   C·k² activation reads, and reused by every codeword; C·K codebook row reads, and
///   C·K·k² LUT lookups for a LUT codebook); then N·C' gathers R[c, idx[n,c]] summed with N·C'
///   ADD (starting from the bias), N·C' index reads, and N scale MUL (uniform only).
struct KqLayerCounts {
  KqDatapath datapath = KqDatapath::decode_mac;
  uint64_t outputs = 0;     ///< N·P
  uint64_t float_macs = 0;  ///< the float baseline, N·C'·k²·P
  uint64_t mul = 0;         ///< all multiplications = narrow_mul + table_mul + scale_mul
  uint64_t narrow_mul = 0;  ///< decode_mac: code × activation
  uint64_t table_mul = 0;   ///< response_reuse: codeword × activation for the table
  uint64_t scale_mul = 0;   ///< per-output multiplications by the layer scale
  uint64_t add = 0;
  uint64_t index_reads = 0;
  uint64_t codebook_row_reads = 0;
  uint64_t lut_reads = 0;
  uint64_t activation_reads = 0;
  uint64_t response_writes = 0;  ///< response_reuse: table entries written
  uint64_t response_reads = 0;   ///< response_reuse: gathered table entries
  uint64_t output_writes = 0;
  uint64_t dram_weight_bytes = 0;  ///< KqLayerStorage::dram_weight_bytes()

  KqLayerCounts& operator+=(const KqLayerCounts& o);
};

/// Counts for `o.datapath` with K = o.codewords(l). Throws std::overflow_error if a count
/// does not fit 64 bits, std::invalid_argument for a layer without kernels.
KqLayerCounts kq_layer_counts(const Layer& l, const KqOptions& o);
/// Sum over the layers o.applies_to() accepts.
KqLayerCounts kq_network_counts(const Workload& w, const KqOptions& o);

}  // namespace kq
