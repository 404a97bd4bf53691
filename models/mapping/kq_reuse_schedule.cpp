// KQ codebook-response reuse (docs/MODEL.md §7): because every kernel is one of K codewords,
// the array computes, for a chunk of output pixels, every codeword's response to every input
// channel's window, R[p, c, j] = CB[j]·window(c, p) — a GEMM with the codebook stationary
// (rows: the k² taps, columns: codewords) and the windows streamed; the ofmap buffer holds
// the chunk's response table. The fold that completes a chunk then gathers each output,
// y[n, p] = Σ_c R[p, c, idx[n, c]], on the gather adders and scales it once.
#include <fmt/format.h>

#include <algorithm>

#include "models/common/input_error.hpp"
#include "models/mapping/fold_accounting.hpp"
#include "models/mapping/schedule.hpp"

namespace kq {

using fold::add_read;
using fold::add_write;
using fold::bytes_of;
using fold::ceil_div;
using fold::port_cycles;

void Schedule::init_kq_reuse() {
  kq_reuse_ = true;
  window_ = uint64_t{geo_.kh} * geo_.kw;
  const uint64_t cg = gemm_.k / window_;
  const uint64_t ar = arch_->array.rows, ac = arch_->array.cols;
  const auto& ib = arch_->buffer(BufferId::ifmap);
  const auto& wb = arch_->buffer(BufferId::weight);
  const auto& ob = arch_->buffer(BufferId::ofmap);
  const auto& cb = arch_->buffer(BufferId::codebook);
  row_folds_ = ceil_div(window_, ar);     // taps
  col_folds_ = ceil_div(codewords_, ac);  // codewords
  prefetch_depth_ = (ib.double_buffered && wb.double_buffered && cb.double_buffered) ? 2 : 1;
  output_depth_ = ob.double_buffered ? 2 : 1;
  input_resident_ = bytes_of(layer_->in.elements() * act_bits_) <= ib.tile_capacity_bytes();
  // The indices of the layer stay in the weight buffer if they fit, else stream from DRAM
  // again for every chunk (its gathers need all of them).
  weights_resident_ = bytes_of(gemm_.n * cg * index_bits_) <= wb.tile_capacity_bytes();
  // A chunk's response table (chunk · C · K values) and its input rows must fit their tiles.
  chunk_len_ = std::min(gemm_.p, ob.tile_capacity_bytes() * 8 / (cg * codewords_ * acc_bits_));
  fit_chunk_to_ifmap(cg);
  if (chunk_len_ == 0)
    throw InputError(
        arch_->file, "/buffers/ofmap/capacity_bytes",
        fmt::format("layer \"{}\": no chunk of output pixels fits: one pixel needs its "
                    "response table ({} channels × {} codewords) in an ofmap tile and "
                    "its input rows in an ifmap tile",
                    layer_->name, cg, codewords_));
  chunks_ = ceil_div(gemm_.p, chunk_len_);
  num_steps_ = uint64_t{geo_.groups} * chunks_ * col_folds_ * row_folds_;
}

Step Schedule::kq_reuse_step(uint64_t s) const {
  Step st;
  const uint64_t ar = arch_->array.rows, ac = arch_->array.cols;
  const uint64_t cg = gemm_.k / window_, ng = gemm_.n;
  const uint64_t per_group = chunks_ * col_folds_ * row_folds_;
  st.group = static_cast<uint32_t>(s / per_group);
  const uint64_t local = s % per_group;
  const uint64_t pc = local / (col_folds_ * row_folds_);  // pixel chunk, outer
  const uint64_t jf = local / row_folds_ % col_folds_;    // codeword fold
  const uint64_t tf = local % row_folds_;                 // tap fold, inner
  st.r0 = tf * ar, st.r_len = std::min(ar, window_ - st.r0);
  st.c0 = jf * ac, st.c_len = std::min(ac, codewords_ - st.c0);
  st.t0 = pc * chunk_len_, st.t_len = std::min(chunk_len_, gemm_.p - st.t0);
  st.first_pass = tf == 0;
  st.last_pass = tf + 1 == row_folds_;
  st.gather = st.last_pass && jf + 1 == col_folds_;
  const auto& ib = arch_->buffer(BufferId::ifmap);
  const auto& wb = arch_->buffer(BufferId::weight);
  const auto& ob = arch_->buffer(BufferId::ofmap);
  const auto& cb = arch_->buffer(BufferId::codebook);
  ActionCounts& a = st.actions;
  const uint64_t windows = st.t_len * cg;  // streamed: every channel's window of every pixel

  // DRAM: the input rows of the chunk (once, in its first fold), the layer's codebook and
  // indices (once per layer if the indices stay resident, else per chunk).
  uint64_t in_elems = 0;
  if (jf == 0 && tf == 0)
    in_elems = input_resident_ ? (s == 0 ? layer_->in.elements() : 0)
                               : input_footprint_elems(0, gemm_.k, st.t0, st.t_len);
  uint64_t dram_bits = in_elems * act_bits_;
  if (in_elems) add_write(a, BufferId::ifmap, in_elems * act_bits_, ib.word_bits);
  if (s == 0 && !codebook_prefetched_) {
    const uint64_t codebook_bits = codewords_ * window_ * code_bits_ + side_bits_;
    add_write(a, BufferId::codebook, codebook_bits, cb.word_bits);
    dram_bits += codebook_bits;
  }
  const uint64_t index_bits = ng * cg * index_bits_;  // the group's kernels
  const bool fetch_indices = jf == 0 && tf == 0 && (!weights_resident_ || pc == 0);
  if (fetch_indices) {
    dram_bits += index_bits;
    add_write(a, BufferId::weight, index_bits, wb.word_bits);
  }
  st.dram_read_bytes = bytes_of(dram_bits);

  // The table fold: the codebook slice is stationary (taps × codewords), windows stream.
  const uint64_t codes = st.r_len * st.c_len;
  add_read(a, BufferId::codebook, codes * code_bits_, cb.word_bits);
  add_read(a, BufferId::ifmap, windows * st.r_len * act_bits_, ib.word_bits);
  add_write(a, BufferId::ofmap, windows * st.c_len * acc_bits_, ob.word_bits);
  if (!st.first_pass) add_read(a, BufferId::ofmap, windows * st.c_len * acc_bits_, ob.word_bits);
  st.fill_cycles = std::max(ar, ceil_div(codes * code_bits_, cb.read_bits_per_cycle()));
  st.stream_cycles =
      std::max({port_cycles(windows, windows * st.r_len * act_bits_, ib.read_bits_per_cycle()),
                port_cycles(windows, windows * st.c_len * acc_bits_, ob.write_bits_per_cycle()),
                st.first_pass ? windows
                              : port_cycles(windows, windows * st.c_len * acc_bits_,
                                            ob.read_bits_per_cycle())});
  st.drain_cycles = (ar - 1) + (ac - 1);
  const uint64_t products = windows * codes;
  a.narrow_multiplications += products;
  // A response sums k² products: k² − 1 additions, the first tap fold saving one each.
  a.additions[static_cast<int>(arch_->array.adder_format)] +=
      products - (st.first_pass ? windows * st.c_len : 0);
  a.register_read_bits += products * (act_bits_ + code_bits_ + acc_bits_);
  a.register_write_bits += products * (act_bits_ + acc_bits_) + codes * code_bits_;
  st.array_busy_cycles = st.fill_cycles + st.stream_cycles + st.drain_cycles;
  st.multiplier_busy_cycles = st.stream_cycles;

  if (st.gather) {
    // Gather: each output sums its C responses R[c, idx[n, c]] (C additions from the bias),
    // reading the indices and the response table, then is scaled once and written.
    const uint64_t outs = st.t_len * ng;
    const uint64_t gathers = outs * cg;
    a.additions[static_cast<int>(arch_->accumulator_format)] += gathers;
    add_read(a, BufferId::weight, st.t_len * index_bits, wb.word_bits);
    add_read(a, BufferId::ofmap, gathers * acc_bits_, ob.word_bits);
    const uint64_t gather_cycles = ceil_div(gathers, arch_->kq_gather_adders);
    st.drain_cycles += gather_cycles;  // the gather stage follows the chunk's last fold
    if (!is_float(arch_->activation_format))
      a.multiplications[static_cast<int>(NumFormat::fp32)] += 2 * outs;  // dequantize, requantize
    else if (kq_scale_)
      a.multiplications[static_cast<int>(arch_->accumulator_format)] += outs;
    st.dram_write_bytes = bytes_of(outs * act_bits_);
  }
  return st;
}

}  // namespace kq
