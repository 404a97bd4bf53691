// The fold model of the kcnn_bitplane datapath (docs/MODEL.md §KCNN). The array is
// weight-stationary with one k×k kernel per PE: rows are input channels, columns filters.
// Per streamed pixel a PE forms M plane sums of its channel's window with its adder tree,
// and a separately sized multiplier array scales them by their α.
#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "models/common/input_error.hpp"
#include "models/mapping/fold_accounting.hpp"
#include "models/mapping/schedule.hpp"

namespace kq {

using fold::add_read;
using fold::add_write;
using fold::bytes_of;
using fold::ceil_div;
using fold::port_cycles;

namespace {

bool planes_of(KcnnLayerMode m) {
  return m != KcnnLayerMode::float_kept;
}

}  // namespace

void Schedule::init_kcnn(const KcnnLayerWeights* w) {
  kcnn_ = true;
  const KcnnOptions& o = *arch_->kcnn;
  kcnn_mode_ = kcnn_layer_mode(*layer_, o);
  window_ = uint64_t{geo_.kh} * geo_.kw;
  const uint64_t cg = gemm_.k / window_, ng = gemm_.n;
  const uint64_t ar = arch_->array.rows, ac = arch_->array.cols;
  const auto& ib = arch_->buffer(BufferId::ifmap);
  const auto& wb = arch_->buffer(BufferId::weight);
  const auto& ob = arch_->buffer(BufferId::ofmap);
  const auto& sb = arch_->buffer(BufferId::scale);
  row_folds_ = ceil_div(cg, ar);
  col_folds_ = ceil_div(ng, ac);
  stream_len_ = gemm_.p;
  prefetch_depth_ = (ib.double_buffered && wb.double_buffered && sb.double_buffered) ? 2 : 1;
  output_depth_ = ob.double_buffered ? 2 : 1;
  input_resident_ = bytes_of(layer_->in.elements() * act_bits_) <= ib.tile_capacity_bytes();

  const uint64_t rows = std::min(ar, cg), cols = std::min(ac, ng);
  const bool planes = planes_of(kcnn_mode_);
  const uint64_t m = o.planes, b_alpha = o.scale_bits();
  const uint64_t per_kernel_bits = planes ? m * window_ : window_ * weight_bits_;
  const uint64_t scalars = planes ? m + (o.has_offset() ? 1 : 0) : 0;
  const uint64_t column_scale_bits = kcnn_mode_ == KcnnLayerMode::kernel2d
                                         ? cg * cols * scalars * b_alpha
                                         : cols * scalars * b_alpha;
  const uint64_t fold_scale_bits = kcnn_mode_ == KcnnLayerMode::kernel2d
                                       ? rows * cols * scalars * b_alpha
                                       : cols * scalars * b_alpha;
  const uint64_t psums_per_pixel = cols * (kcnn_mode_ == KcnnLayerMode::filter3d ? m : 1);

  // Largest chunk of P whose partial sums fit an ofmap tile and whose input rows fit an
  // ifmap tile (unless the whole input is resident).
  chunk_len_ = std::min(stream_len_, ob.tile_capacity_bytes() * 8 / (psums_per_pixel * acc_bits_));
  fit_chunk_to_ifmap(rows);
  if (chunk_len_ == 0)
    throw InputError(arch_->file, "/buffers/ofmap/capacity_bytes",
                     fmt::format("layer \"{}\": no chunk of output pixels fits the ofmap and ifmap "
                                 "tiles",
                                 layer_->name));
  chunks_ = ceil_div(stream_len_, chunk_len_);
  ws_column_resident_ = bytes_of(cg * cols * per_kernel_bits) <= wb.tile_capacity_bytes() &&
                        bytes_of(column_scale_bits) <= sb.tile_capacity_bytes();
  num_steps_ = uint64_t{geo_.groups} * row_folds_ * col_folds_ * chunks_;

  struct Need {
    BufferId id;
    uint64_t bytes;
  };
  const Need needs[] = {{BufferId::weight, bytes_of(rows * cols * per_kernel_bits)},
                        {BufferId::scale, bytes_of(fold_scale_bits)}};
  for (const Need& n : needs) {
    const auto& b = arch_->buffer(n.id);
    if (n.bytes > b.tile_capacity_bytes())
      throw InputError(arch_->file, fmt::format("/buffers/{}/capacity_bytes", to_string(n.id)),
                       fmt::format("layer \"{}\" needs {} bytes for one fold, but one tile holds "
                                   "{} bytes",
                                   layer_->name, n.bytes, b.tile_capacity_bytes()));
  }

  // Window-sum sharing and zero-skipping make counts depend on the planes' bits: total them
  // per fold tile once, so every step is O(1).
  const bool data_dependent = planes && (o.window_sum_sharing || o.zero_skip);
  if (!data_dependent) return;
  if (!w)
    throw std::logic_error("Schedule: layer " + layer_->name +
                           " needs its quantized KCNN weights to count operations");
  const uint64_t tiles = uint64_t{geo_.groups} * row_folds_ * col_folds_;
  tile_ones_.assign(tiles, 0), tile_minority_.assign(tiles, 0), tile_nonempty_.assign(tiles, 0);
  const bool filter3d = kcnn_mode_ == KcnnLayerMode::filter3d;
  const uint64_t d = filter3d ? cg * window_ : window_;  // elements of one plane
  for (uint64_t g = 0; g < geo_.groups; ++g)
    for (uint64_t nl = 0; nl < ng; ++nl) {
      const uint64_t n = g * ng + nl;
      for (uint32_t p = 0; p < m; ++p) {
        if (filter3d) {
          // One plane spans every channel; its minority side is chosen for the whole filter.
          const uint64_t plus = w->ones(n, p);
          const bool sum_plus = plus <= d - plus;
          if (plus > 0) ++tile_nonempty_[(g * row_folds_) * col_folds_ + nl / ac];
          for (uint64_t ci = 0; ci < cg; ++ci) {
            uint64_t ones = 0;
            for (uint64_t i = ci * window_; i < (ci + 1) * window_; ++i) ones += w->bit(n, p, i);
            const uint64_t t = (g * row_folds_ + ci / ar) * col_folds_ + nl / ac;
            tile_ones_[t] += ones;
            tile_minority_[t] += sum_plus ? ones : window_ - ones;
          }
        } else {
          for (uint64_t ci = 0; ci < cg; ++ci) {
            const uint64_t ones = w->ones(n * cg + ci, p);
            const uint64_t t = (g * row_folds_ + ci / ar) * col_folds_ + nl / ac;
            tile_ones_[t] += ones;
            tile_minority_[t] += std::min(ones, window_ - ones);
            if (ones > 0) ++tile_nonempty_[t];
          }
        }
      }
    }
}

Step Schedule::kcnn_step(uint64_t s) const {
  Step st;
  const KcnnOptions& o = *arch_->kcnn;
  const uint64_t ar = arch_->array.rows, ac = arch_->array.cols;
  const uint64_t cg = gemm_.k / window_, ng = gemm_.n;
  const uint64_t per_group = row_folds_ * col_folds_ * chunks_;
  st.group = static_cast<uint32_t>(s / per_group);
  const uint64_t local = s % per_group;
  const uint64_t nf = local / (chunks_ * row_folds_);  // filter fold, outer
  const uint64_t pc = local / row_folds_ % chunks_;    // chunk of P
  const uint64_t cf = local % row_folds_;              // channel fold, inner
  st.r0 = cf * ar, st.r_len = std::min(ar, cg - st.r0);
  st.c0 = nf * ac, st.c_len = std::min(ac, ng - st.c0);
  st.t0 = pc * chunk_len_, st.t_len = std::min(chunk_len_, gemm_.p - st.t0);
  st.first_pass = cf == 0;
  st.last_pass = cf + 1 == row_folds_;
  const uint64_t t = st.t_len, win = window_, m = o.planes;
  const uint64_t kernels = st.r_len * st.c_len;
  const bool planes = planes_of(kcnn_mode_);
  const bool filter3d = kcnn_mode_ == KcnnLayerMode::filter3d;
  const bool beta = planes && o.has_offset();
  const uint64_t b_alpha = o.scale_bits();
  const auto& ib = arch_->buffer(BufferId::ifmap);
  const auto& wb = arch_->buffer(BufferId::weight);
  const auto& ob = arch_->buffer(BufferId::ofmap);
  const auto& sb = arch_->buffer(BufferId::scale);
  ActionCounts& a = st.actions;

  // Stationary operands: packed planes (or float weights of a kept layer) and scales.
  const uint64_t weight_bits = planes ? kernels * m * win : kernels * win * weight_bits_;
  const uint64_t scale_bits = !planes    ? 0
                              : filter3d ? st.c_len * (m + (beta ? 1 : 0)) * b_alpha
                                         : kernels * (m + (beta ? 1 : 0)) * b_alpha;
  const bool fetch_weights = !ws_column_resident_ || pc == 0;
  const uint64_t in_elems =
      input_resident_ ? (s == 0 ? layer_->in.elements() : 0)
                      : input_footprint_elems(st.r0 * win, st.r_len * win, st.t0, st.t_len);
  add_read(a, BufferId::weight, weight_bits, wb.word_bits);
  if (scale_bits) add_read(a, BufferId::scale, scale_bits, sb.word_bits);
  if (in_elems) add_write(a, BufferId::ifmap, in_elems * act_bits_, ib.word_bits);
  if (fetch_weights) {
    add_write(a, BufferId::weight, weight_bits, wb.word_bits);
    if (scale_bits) add_write(a, BufferId::scale, scale_bits, sb.word_bits);
  }
  st.dram_read_bytes = bytes_of(in_elems * act_bits_) +
                       (fetch_weights ? bytes_of(weight_bits) + bytes_of(scale_bits) : 0);

  // Work per streamed pixel, counted as docs/KCNN.md's closed forms so the folds of a layer
  // add up to them exactly (a sum of n operands: n − 1 additions; accumulating: 1). Adder
  // trees are sized for dense planes, so time follows the dense count; sharing and
  // zero-skipping save operations (energy), not cycles.
  const uint64_t dense_adds = planes ? kernels * m * win : kernels * win;
  const uint64_t tile = (st.group * row_folds_ + cf) * col_folds_ + nf;
  const bool pm1 = o.alphabet == KcnnAlphabet::pm1;
  const bool sharing = planes && o.window_sum_sharing && (pm1 || beta);
  const bool skip = planes && o.zero_skip && !pm1;
  uint64_t adds = dense_adds;
  uint64_t mults = !planes    ? kernels * win
                   : filter3d ? (st.last_pass ? st.c_len * m : 0)
                              : kernels * m;
  if (planes) {
    if (pm1 && o.window_sum_sharing) {
      // S = ±(2·Σ_minority − T): the minority side's bits, then 1 combine + 1 accumulate per
      // plane (filter3d: the plane's slices add into one running sum, combined at the end).
      adds = tile_minority_[tile] + (filter3d ? (st.last_pass ? st.c_len * m : 0) : kernels * m);
    } else if (skip) {
      adds = tile_ones_[tile];  // only the 1-bits: n₁ − 1 additions + 1 accumulation
      const uint64_t nonempty =
          filter3d ? (st.last_pass ? tile_nonempty_[(st.group * row_folds_) * col_folds_ + nf] : 0)
                   : tile_nonempty_[tile];
      mults = nonempty;  // an all-zero plane is skipped, its multiplication too
    }
    if (beta) {
      const uint64_t with_beta = filter3d ? (st.last_pass ? st.c_len : 0) : kernels;
      mults += with_beta;
      // β·T: with sharing T is shared and only the accumulation remains; without, T is
      // recomputed for every output (d − 1 additions) and accumulated (1).
      adds += sharing ? with_beta : kernels * win;
    }
  }
  // Shared window sums T, once per (window, pixel): in the first filter fold, kept beside the
  // activations in the ifmap buffer for the later filter folds.
  if (sharing) {
    if (nf == 0) {
      adds += filter3d ? st.r_len * win - (st.first_pass ? 1 : 0) : st.r_len * (win - 1);
      add_write(a, BufferId::ifmap, t * (filter3d ? 1 : st.r_len) * act_bits_, ib.word_bits);
    } else {
      add_read(a, BufferId::ifmap, t * (filter3d ? 1 : st.r_len) * act_bits_, ib.word_bits);
    }
  }
  const uint64_t add_cycles = ceil_div(dense_adds, arch_->array.adders);
  const uint64_t mult_cycles = mults ? ceil_div(mults, arch_->array.multipliers) : 0;
  const uint64_t per_pixel = std::max<uint64_t>({1, add_cycles, mult_cycles});

  const uint64_t psums = st.c_len * (filter3d ? m : 1);
  add_read(a, BufferId::ifmap, t * st.r_len * win * act_bits_, ib.word_bits);
  add_write(a, BufferId::ofmap, t * psums * acc_bits_, ob.word_bits);
  if (!st.first_pass) add_read(a, BufferId::ofmap, t * psums * acc_bits_, ob.word_bits);
  st.fill_cycles = std::max({ar, ceil_div(weight_bits, wb.read_bits_per_cycle()),
                             scale_bits ? ceil_div(scale_bits, sb.read_bits_per_cycle()) : 0});
  st.stream_cycles = std::max(
      {t * per_pixel, port_cycles(t, t * st.r_len * win * act_bits_, ib.read_bits_per_cycle()),
       port_cycles(t, t * psums * acc_bits_, ob.write_bits_per_cycle()),
       st.first_pass ? t : port_cycles(t, t * psums * acc_bits_, ob.read_bits_per_cycle())});
  st.drain_cycles = (ar - 1) + (ac - 1);
  st.array_busy_cycles = st.fill_cycles + t * add_cycles + st.drain_cycles;
  st.multiplier_busy_cycles = t * mult_cycles;

  a.multiplications[static_cast<int>(arch_->array.multiplier_format)] += t * mults;
  a.additions[static_cast<int>(arch_->array.adder_format)] += t * adds;
  // Each PE reads its window and plane bits per pixel; each multiplication reads a scale and
  // a plane sum; PEs write their plane sums and the columns their partial sums.
  const uint64_t add_bits = width_bits(arch_->array.adder_format);
  a.register_read_bits += t * (kernels * win * (act_bits_ + (planes ? m : weight_bits_)) +
                               mults * ((planes ? b_alpha : weight_bits_) + add_bits));
  a.register_write_bits +=
      t * (kernels * (planes ? m : 1) * add_bits + psums * acc_bits_) + weight_bits + scale_bits;
  if (st.last_pass) {
    const uint64_t outs = t * st.c_len;
    add_read(a, BufferId::ofmap, outs * acc_bits_, ob.word_bits);
    st.dram_write_bytes = bytes_of(outs * act_bits_);
    if (!is_float(arch_->activation_format))
      a.multiplications[static_cast<int>(NumFormat::fp32)] += 2 * outs;  // dequantize, requantize
  }
  return st;
}

}  // namespace kq
