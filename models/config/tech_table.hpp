#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/common/input_error.hpp"
#include "models/common/num_format.hpp"
#include "models/config/arch_config.hpp"

namespace kq {

/// One arithmetic unit kind (multiplier, adder, comparator): cost per operation and per instance.
struct OpEntry {
  double energy_pj = 0;   ///< dynamic energy per operation
  double area_um2 = 0;    ///< area per instance
  double leakage_uw = 0;  ///< static power per instance
  std::string source;     ///< citation
};

/// A storage element priced per access (register bit, fixed-size SRAM buffer).
struct AccessEntry {
  double read_pj = 0;     ///< per read access (per bit for registers, per word for buffers)
  double write_pj = 0;    ///< per write access
  double area_um2 = 0;    ///< per instance (per bit for registers, whole macro for buffers)
  double leakage_uw = 0;  ///< per instance
  std::string source;
};

/// One SRAM characterisation point (a single-bank macro of capacity_bytes, word_bits wide).
struct SramPoint {
  uint64_t capacity_bytes = 0;
  uint32_t word_bits = 0;
  double read_pj = 0;   ///< per word_bits-wide read
  double write_pj = 0;  ///< per word_bits-wide write
  double area_um2 = 0;
  double leakage_uw = 0;
  std::string source;
};

/// Cost of one SRAM macro as a buffer sees it: per-access energy for the buffer's word width,
/// and the whole macro's area and leakage (all banks).
struct SramCost {
  double read_pj = 0;
  double write_pj = 0;
  double area_um2 = 0;
  double leakage_uw = 0;
};

/// Fixed-point energy fit in the operand width b (QKeras qtools' fit of Horowitz ISSCC 2014):
/// add = add_pj_per_bit·b, mult = mult_pj_per_bit_sq·b² + mult_pj_per_bit·b.
struct FixedPointFit {
  double add_pj_per_bit = 0;
  double mult_pj_per_bit_sq = 0;
  double mult_pj_per_bit = 0;
  std::string source;
};

/// Area and energy factors from the table's node to another node.
struct NodeScaling {
  uint32_t node_nm = 0;
  double area_factor = 1;
  double energy_factor = 1;  ///< also applied to leakage power
};

/// A technology table (arch_configs/tech/*.json), already scaled to the node it was loaded for.
/// Every energy, area and leakage value held here is at node_nm.
struct TechTable {
  std::string name;
  std::string file;                              ///< path it was read from, for error messages
  uint32_t table_node_nm = 0;                    ///< node the JSON numbers are for
  uint32_t node_nm = 0;                          ///< node the values below are scaled to
  double vdd_v = 0;                              ///< supply voltage of the JSON numbers
  double area_factor = 1;                        ///< applied: table_node_nm → node_nm
  double energy_factor = 1;                      ///< applied to dynamic energy and leakage power
  std::array<OpEntry, kNumFormats> multipliers;  ///< by NumFormat index
  std::array<OpEntry, kNumFormats> adders;       ///< by NumFormat index
  OpEntry comparator;
  AccessEntry register_bit;  ///< per bit
  std::optional<FixedPointFit> fixed_point_fit;
  /// Interpolation mode: characterisation points, capacities strictly increasing (≥ 2).
  std::vector<SramPoint> sram_points;
  std::string sram_source;
  /// Fixed mode (user tables): one entry per buffer, used as is. Exactly one mode is set.
  std::optional<std::array<std::optional<AccessEntry>, kNumBuffers>> fixed_buffers;
  std::vector<NodeScaling> scaling;  ///< as listed in the file (unscaled factors)
  std::string scaling_source;

  const OpEntry& multiplier(NumFormat f) const { return multipliers[static_cast<int>(f)]; }
  const OpEntry& adder(NumFormat f) const { return adders[static_cast<int>(f)]; }

  /// Interpolated single-bank SRAM of capacity_bytes: per-access energy for a word_bits-wide
  /// access, area and leakage of that bank. Requires interpolation mode.
  SramCost sram_bank_cost(double capacity_bytes, uint32_t word_bits) const;
  /// The macro backing buffer `id`: fixed entry if the table has them, otherwise the
  /// interpolated macro of spec.banks banks of capacity/banks each. Capacity 0 costs nothing.
  SramCost buffer_cost(BufferId id, const BufferSpec& spec) const;

  /// Fit-based fixed-point energies, for widths with no entry of their own (e.g. 6 bits).
  /// Throw InputError at /fixed_point_fit if the table has no fit.
  double fixed_point_add_energy_pj(uint32_t bits) const;
  /// b² → bits_a·bits_b and b → (bits_a + bits_b)/2, so equal widths give the published fit.
  double fixed_point_mult_energy_pj(uint32_t bits_a, uint32_t bits_b) const;
};

/// Reads a technology table and scales it from its own node to node_nm. Throws InputError
/// (file + JSON pointer) on unknown or missing keys, negative or non-numeric values, and on a
/// node the table's /scaling/factors do not list.
TechTable load_tech_table(const std::string& path, uint32_t node_nm);
TechTable tech_table_from_text(const std::string& text, const std::string& file_name,
                               uint32_t node_nm);

/// Entry names in the JSON "/entries" object for a format, e.g. "mult_fp32", "add_int8".
std::string multiplier_entry_name(NumFormat f);
std::string adder_entry_name(NumFormat f);

}  // namespace kq
