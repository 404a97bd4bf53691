#include "models/quant/kq_counts.hpp"

#include <stdexcept>

namespace kq {
namespace {

uint64_t checked_mul(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) throw std::overflow_error("kq counts: 64-bit overflow");
  return r;
}
uint64_t checked_add(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) throw std::overflow_error("kq counts: 64-bit overflow");
  return r;
}
uint64_t bytes_for(uint64_t bits) {
  return bits / 8 + (bits % 8 != 0);
}

/// Output positions P of a layer (fc: one).
uint64_t positions(const Layer& l) {
  return l.type == LayerType::fc ? 1 : l.out.h * l.out.w;
}

}  // namespace

uint64_t KqLayerStorage::dram_weight_bytes() const {
  return bytes_for(index_bits_total) + bytes_for(codebook_bits_total) + bytes_for(side_info_bits);
}

KqLayerStorage kq_layer_storage(const Layer& l, const KqOptions& o) {
  const KqGeometry g = kq_geometry(l);
  KqLayerStorage s;
  s.name = l.name;
  s.kernels = g.kernels();
  s.params = g.params();
  s.codewords = o.codewords(l);
  s.index_bits = index_bits_for(s.codewords);
  s.index_bits_total = checked_mul(s.kernels, s.index_bits);
  s.codebook_bits_total = checked_mul(checked_mul(s.codewords, g.kernel_area()), o.codebook_bits);
  s.side_info_bits = o.side_info_bits();
  return s;
}

uint64_t KqNetworkStorage::bits(bool with_side_info) const {
  uint64_t b = 0;
  for (const auto& l : layers) b = checked_add(b, l.bits(with_side_info));
  return b;
}

uint64_t KqNetworkStorage::params() const {
  uint64_t p = 0;
  for (const auto& l : layers) p = checked_add(p, l.params);
  return p;
}

uint64_t KqNetworkStorage::kernels() const {
  uint64_t k = 0;
  for (const auto& l : layers) k = checked_add(k, l.kernels);
  return k;
}

double KqNetworkStorage::bits_per_param(bool with_side_info) const {
  return static_cast<double>(bits(with_side_info)) / static_cast<double>(params());
}

KqNetworkStorage kq_network_storage(const Workload& w, const KqOptions& o,
                                    const std::function<bool(const Layer&)>& include) {
  KqNetworkStorage n;
  for (const Layer& l : w.layers)
    if (o.applies_to(l) && (!include || include(l))) n.layers.push_back(kq_layer_storage(l, o));
  return n;
}

KqLayerCounts& KqLayerCounts::operator+=(const KqLayerCounts& o) {
  outputs = checked_add(outputs, o.outputs);
  float_macs = checked_add(float_macs, o.float_macs);
  mul = checked_add(mul, o.mul);
  narrow_mul = checked_add(narrow_mul, o.narrow_mul);
  table_mul = checked_add(table_mul, o.table_mul);
  scale_mul = checked_add(scale_mul, o.scale_mul);
  add = checked_add(add, o.add);
  index_reads = checked_add(index_reads, o.index_reads);
  codebook_row_reads = checked_add(codebook_row_reads, o.codebook_row_reads);
  lut_reads = checked_add(lut_reads, o.lut_reads);
  activation_reads = checked_add(activation_reads, o.activation_reads);
  response_writes = checked_add(response_writes, o.response_writes);
  response_reads = checked_add(response_reads, o.response_reads);
  output_writes = checked_add(output_writes, o.output_writes);
  dram_weight_bytes = checked_add(dram_weight_bytes, o.dram_weight_bytes);
  return *this;
}

KqLayerCounts kq_layer_counts(const Layer& l, const KqOptions& o) {
  const KqGeometry g = kq_geometry(l);
  const uint64_t n = g.out_channels;
  const uint64_t cg = g.in_channels_per_group;  // C' = C/g
  const uint64_t c_all = cg * g.groups;         // every input channel (the table needs all)
  const uint64_t k2 = g.kernel_area();
  const uint64_t p = positions(l);
  const uint64_t kw = o.codewords(l);
  const bool uniform = o.codebook_quant == KqCodebookQuant::uniform;

  KqLayerCounts c;
  c.datapath = o.datapath;
  c.outputs = checked_mul(n, p);
  c.float_macs = checked_mul(checked_mul(c.outputs, cg), k2);
  c.output_writes = c.outputs;
  c.dram_weight_bytes = kq_layer_storage(l, o).dram_weight_bytes();
  if (o.datapath == KqDatapath::decode_mac) {
    // Per output: C'·k² products of a code with an activation, summed into the accumulator
    // that starts at the bias; one scale multiply at the end (uniform).
    c.narrow_mul = c.float_macs;
    c.scale_mul = uniform ? c.outputs : 0;
    c.add = c.float_macs;
    c.index_reads = checked_mul(c.outputs, cg);
    c.codebook_row_reads = c.index_reads;
    c.lut_reads = uniform ? 0 : c.float_macs;
    c.activation_reads = c.float_macs;
  } else {
    // Per position: the C×K response table (k² products and k²−1 additions per entry), then
    // each of the N outputs gathers C' entries, adds them (C' additions from the bias) and is
    // scaled once (uniform).
    const uint64_t entries = checked_mul(c_all, kw);  // C·K
    c.table_mul = checked_mul(checked_mul(entries, k2), p);
    c.scale_mul = uniform ? c.outputs : 0;
    const uint64_t gathers = checked_mul(checked_mul(n, cg), p);  // N·C'·P
    c.add = checked_add(checked_mul(checked_mul(entries, k2 - 1), p), gathers);
    c.index_reads = gathers;
    c.response_reads = gathers;
    c.response_writes = checked_mul(entries, p);
    c.codebook_row_reads = c.response_writes;
    c.lut_reads = uniform ? 0 : c.table_mul;
    c.activation_reads = checked_mul(checked_mul(c_all, k2), p);
  }
  c.mul = checked_add(checked_add(c.narrow_mul, c.table_mul), c.scale_mul);
  return c;
}

KqLayerCounts kq_network_counts(const Workload& w, const KqOptions& o) {
  KqLayerCounts total;
  total.datapath = o.datapath;
  for (const Layer& l : w.layers)
    if (o.applies_to(l)) total += kq_layer_counts(l, o);
  return total;
}

}  // namespace kq
