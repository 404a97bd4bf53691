#pragma once
#include <array>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "models/common/num_format.hpp"
#include "models/quant/kcnn_quantizer.hpp"
#include "models/quant/kq_quantizer.hpp"

namespace kq {

enum class Dataflow : uint8_t { ws, os, is };
std::string_view to_string(Dataflow d);

/// On-chip buffers. The index is the per-buffer counter slot. ifmap, weight and ofmap exist
/// in every design; scale (KCNN per-plane scales) and codebook (KQ kernel codebook) only in
/// the datapaths that use them (capacity 0 elsewhere: no accesses, no area, no leakage).
enum class BufferId : uint8_t { ifmap, weight, ofmap, scale, codebook };
inline constexpr int kNumBuffers = 5;
std::string_view to_string(BufferId b);

/// One on-chip SRAM buffer. Capacity is the whole macro; with double buffering each half
/// holds one tile while the other is filled.
struct BufferSpec {
  uint64_t capacity_bytes = 0;
  uint32_t word_bits = 0;
  uint32_t banks = 1;
  uint32_t read_ports = 1;   ///< per bank
  uint32_t write_ports = 1;  ///< per bank
  bool double_buffered = true;
  /// Bytes one tile may occupy: half the macro when double-buffered.
  uint64_t tile_capacity_bytes() const {
    return double_buffered ? capacity_bytes / 2 : capacity_bytes;
  }
  uint64_t read_bits_per_cycle() const { return uint64_t{banks} * read_ports * word_bits; }
  uint64_t write_bits_per_cycle() const { return uint64_t{banks} * write_ports * word_bits; }
};

/// Off-chip DRAM link: in-order requests; each waits latency_cycles after issue and then
/// transfers at bandwidth_bytes_per_cycle on a bus shared by reads and writes.
struct DramSpec {
  /// Ideal memory (SCALE-Sim's default CALC interface): transfers take no cycles, so folds
  /// never wait for DRAM. Bytes are still counted and priced.
  bool ideal = false;
  uint64_t bandwidth_bytes_per_cycle = 0;
  uint64_t latency_cycles = 0;
  double energy_pj_per_bit = 0;
  std::string energy_source;  ///< citation of energy_pj_per_bit
};

/// The rows × cols compute array and its arithmetic units.
struct ArrayConfig {
  uint32_t rows = 0, cols = 0;
  Dataflow dataflow = Dataflow::ws;
  uint64_t multipliers = 0;
  NumFormat multiplier_format = NumFormat::fp32;
  uint64_t adders = 0;
  NumFormat adder_format = NumFormat::fp32;
};

/// Element-wise unit for ReLU, pooling and residual adds (lanes operations per cycle).
struct VectorUnitConfig {
  uint32_t lanes = 0;
};

/// A whole accelerator, parsed once from arch_configs/*.json and immutable afterwards.
struct ArchConfig {
  std::string name;
  std::string file;
  std::string datapath;  ///< "mac_array" (baselines), "kcnn_bitplane" or "kq_codebook"
  double clock_mhz = 0;
  NumFormat activation_format = NumFormat::fp32;
  NumFormat weight_format = NumFormat::fp32;
  NumFormat accumulator_format = NumFormat::fp32;
  ArrayConfig array;
  VectorUnitConfig vector;
  DramSpec dram;
  std::array<BufferSpec, kNumBuffers> buffers;
  /// kcnn_bitplane: the quantizer's options and the datapath's (planes, alphabet, sharing...).
  std::optional<KcnnOptions> kcnn;
  /// kq_codebook: the kernel-codebook quantizer's options (K per layer, codebook width...).
  std::optional<KqOptions> kq;
  /// kq_codebook with response reuse: adders of the gather stage that sums the responses
  /// R[c, idx[n, c]] of each output.
  uint64_t kq_gather_adders = 0;
  std::string tech_file;  ///< resolved path of the technology table
  uint32_t tech_node_nm = 45;

  const BufferSpec& buffer(BufferId b) const { return buffers[static_cast<int>(b)]; }
};

/// Loads and validates an architecture. Relative tech paths resolve against the arch file's
/// folder. Throws InputError (file + JSON pointer + expectation).
ArchConfig load_arch_config(const std::string& path);

/// The float reference design a report compares against: an fp32 MAC array of the same
/// rows × cols, dataflow, clock, DRAM and technology, whose buffers hold the same number of
/// elements as the design's (so it maps whatever the design maps).
ArchConfig fp32_mac_baseline(const ArchConfig& design);
ArchConfig arch_config_from_text(const std::string& text, const std::string& file_name);
/// From an already-parsed document (a sweep's patched base design); `file_name` names it in
/// messages and anchors a relative tech table path.
ArchConfig arch_config_from_json(const nlohmann::json& j, const std::string& file_name);

}  // namespace kq
