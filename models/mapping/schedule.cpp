#include "models/mapping/schedule.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "models/common/input_error.hpp"
#include "models/mapping/fold_accounting.hpp"

namespace kq {

using fold::add_read;
using fold::add_write;
using fold::bytes_of;
using fold::ceil_div;
using fold::port_cycles;

ConvGeometry conv_geometry(const Layer& l) {
  ConvGeometry g;
  if (l.type == LayerType::fc) {
    g.c_in = l.in.elements();
    g.h_in = g.w_in = 1;
    g.c_out = l.out.c;
    g.h_out = g.w_out = 1;
    return g;
  }
  g.c_in = l.in.c;
  g.h_in = l.in.h;
  g.w_in = l.in.w;
  g.c_out = l.out.c;
  g.h_out = l.out.h;
  g.w_out = l.out.w;
  g.kh = l.kh;
  g.kw = l.kw;
  g.sh = l.sh;
  g.sw = l.sw;
  g.ph = l.ph;
  g.pw = l.pw;
  g.dh = l.dh;
  g.dw = l.dw;
  g.groups = l.groups;
  return g;
}

Schedule::Schedule(const Layer& layer, const ArchConfig& arch, const KcnnLayerWeights* kcnn,
                   const KqLayerWeights* kq)
    : layer_(&layer), arch_(&arch), on_array_(layer.on_array()) {
  act_bits_ = width_bits(arch.activation_format);
  weight_bits_ = width_bits(arch.weight_format);
  acc_bits_ = width_bits(arch.accumulator_format);
  if (!on_array_) {
    num_steps_ = 1;
    return;
  }
  geo_ = conv_geometry(layer);
  gemm_ = layer.gemm();
  if (arch.kcnn) {
    init_kcnn(kcnn);
    return;
  }
  if (arch.kq && arch.kq->applies_to(layer)) {
    kq_ = true;
    codewords_ = kq ? kq->codewords : arch.kq->codewords(layer);
    index_bits_ = kq ? kq->index_bits : index_bits_for(codewords_);
    code_bits_ = kq ? kq->codebook_bits : arch.kq->codebook_bits;
    side_bits_ = kq ? kq->side_info_bits : arch.kq->side_info_bits();
    kq_scale_ = (kq ? kq->codebook_quant : arch.kq->codebook_quant) == KqCodebookQuant::uniform;
    const uint64_t codebook_bytes =
        bytes_of(codewords_ * geo_.kh * geo_.kw * code_bits_ + side_bits_);
    const auto& cb = arch.buffer(BufferId::codebook);
    if (codebook_bytes > cb.tile_capacity_bytes())
      throw InputError(
          arch.file, "/buffers/codebook/capacity_bytes",
          fmt::format("layer \"{}\": its codebook of {} codewords needs {} bytes, but one "
                      "tile holds {} bytes",
                      layer.name, codewords_, codebook_bytes, cb.tile_capacity_bytes()));
    if (arch.kq->datapath == KqDatapath::response_reuse) {
      init_kq_reuse();
      return;
    }
  }
  const uint64_t ar = arch.array.rows, ac = arch.array.cols;
  uint64_t sr = 0, sc = 0;
  switch (arch.array.dataflow) {
    case Dataflow::ws:
      sr = gemm_.k, sc = gemm_.n, stream_len_ = gemm_.p;
      break;
    case Dataflow::os:
      sr = gemm_.p, sc = gemm_.n, stream_len_ = gemm_.k;
      break;
    case Dataflow::is:
      sr = gemm_.k, sc = gemm_.p, stream_len_ = gemm_.n;
      break;
  }
  row_folds_ = ceil_div(sr, ar);
  col_folds_ = ceil_div(sc, ac);
  const auto& ib = arch.buffer(BufferId::ifmap);
  const auto& wb = arch.buffer(BufferId::weight);
  const auto& ob = arch.buffer(BufferId::ofmap);
  input_resident_ = bytes_of(layer.in.elements() * act_bits_) <= ib.tile_capacity_bytes();
  chunk_len_ = stream_len_;
  if (arch.array.dataflow == Dataflow::ws) {
    const uint64_t cols = std::min(ac, gemm_.n);
    // Largest chunk of P whose partial sums fit an ofmap tile and, unless the whole input is
    // resident, whose worst-case input rows fit an ifmap tile.
    chunk_len_ = std::min(stream_len_, ob.tile_capacity_bytes() * 8 / (cols * acc_bits_));
    fit_chunk_to_ifmap(ws_channel_bound());
    if (chunk_len_ == 0)
      throw InputError(arch.file, "/buffers/ofmap/capacity_bytes",
                       fmt::format("layer \"{}\": no chunk of output pixels fits the ofmap and "
                                   "ifmap tiles",
                                   layer.name));
    chunks_ = ceil_div(stream_len_, chunk_len_);
    // kq_codebook: the weight buffer holds the kernels' indices, not their weights.
    const uint64_t column_bits = kq_ ? gemm_.k / (uint64_t{geo_.kh} * geo_.kw) * cols * index_bits_
                                     : gemm_.k * cols * weight_bits_;
    ws_column_resident_ = bytes_of(column_bits) <= wb.tile_capacity_bytes();
  }
  num_steps_ = uint64_t{geo_.groups} * row_folds_ * col_folds_ * chunks_;
  prefetch_depth_ = (ib.double_buffered && wb.double_buffered) ? 2 : 1;
  output_depth_ = ob.double_buffered ? 2 : 1;
  weights_resident_ = bytes_of(layer.weight_params() * weight_bits_) <= wb.tile_capacity_bytes();
  check_capacity();
}

uint64_t Schedule::input_footprint_elems(uint64_t k0, uint64_t k_len, uint64_t p0,
                                         uint64_t p_len) const {
  return input_channels(k0, k_len) * input_rows(p0, p_len) * geo_.w_in;
}

uint64_t Schedule::input_channels(uint64_t k0, uint64_t k_len) const {
  // K is channel-major: k = c·kh·kw + i·kw + j, as in the [N, C, kh, kw] weight layout.
  const uint64_t window = uint64_t{geo_.kh} * geo_.kw;
  return (k0 + k_len - 1) / window - k0 / window + 1;
}

uint64_t Schedule::input_rows(uint64_t p0, uint64_t p_len) const {
  const uint64_t e_lo = p0 / geo_.w_out, e_hi = (p0 + p_len - 1) / geo_.w_out;
  const int64_t lo = static_cast<int64_t>(e_lo * geo_.sh) - geo_.ph;
  const int64_t hi = static_cast<int64_t>(e_hi * geo_.sh) - geo_.ph +
                     static_cast<int64_t>((geo_.kh - 1) * geo_.dh);
  const int64_t lo_c = std::max<int64_t>(lo, 0);
  const int64_t hi_c = std::min<int64_t>(hi, static_cast<int64_t>(geo_.h_in) - 1);
  return hi_c >= lo_c ? static_cast<uint64_t>(hi_c - lo_c + 1) : 0;
}

Schedule::PeriodicSlices Schedule::periodic_slices(uint64_t slice, uint64_t count) const {
  // A full slice x spans output rows e_lo..e_hi and touches (e_hi − e_lo)·sh + (kh−1)·dh + 1
  // input rows unless they are clipped at the top (e_lo·sh < ph) or at the bottom; e_hi − e_lo
  // depends only on x·slice mod w_out, which repeats every w_out / gcd(slice, w_out) slices.
  PeriodicSlices r;
  r.period = geo_.w_out / std::gcd(slice, geo_.w_out);
  const uint64_t first_row = ceil_div(geo_.ph, geo_.sh);  // first output row not clipped on top
  const int64_t bottom = static_cast<int64_t>(geo_.h_in) - 1 + geo_.ph -
                         static_cast<int64_t>(uint64_t{geo_.kh - 1} * geo_.dh);
  if (bottom < 0) return r;
  const uint64_t last_row = static_cast<uint64_t>(bottom) / geo_.sh;  // last not clipped below
  const uint64_t x_lo = ceil_div(first_row * geo_.w_out, slice);
  const uint64_t end_pixel = (last_row + 1) * geo_.w_out;  // slices must end before it
  if (end_pixel < slice) return r;
  uint64_t x_end = (end_pixel - slice) / slice + 1;  // first slice reaching past it
  x_end = std::min(x_end, gemm_.p / slice);          // full slices only
  x_end = std::min(x_end, count);
  r.begin = std::max<uint64_t>(x_lo, 1) + r.period;
  r.end = std::max(r.begin, x_end);
  return r;
}

uint64_t Schedule::max_input_rows(uint64_t slice) const {
  const uint64_t count = ceil_div(gemm_.p, slice);
  const PeriodicSlices run = periodic_slices(slice, count);
  uint64_t rows = 0;
  for (uint64_t x = 0; x < count; x = x + 1 == run.begin ? run.end : x + 1)
    rows = std::max(rows, input_rows(x * slice, std::min(slice, gemm_.p - x * slice)));
  return rows;
}

uint64_t Schedule::ws_channel_bound() const {
  // Any K-slice of `rows` consecutive k touches at most ceil(rows / window) + 1 channels.
  const uint64_t window = uint64_t{geo_.kh} * geo_.kw;
  const uint64_t cg = gemm_.k / window;
  return std::min(cg, ceil_div(std::min<uint64_t>(arch_->array.rows, gemm_.k), window) + 1);
}

uint64_t Schedule::ws_footprint_bound(uint64_t chunk) const {
  return ws_channel_bound() * chunk_input_rows(chunk) * geo_.w_in;
}

uint64_t Schedule::chunk_input_rows(uint64_t chunk) const {
  // A run of `chunk` output pixels spans at most ceil(chunk / w_out) + 1 output rows.
  const uint64_t out_rows = std::min(geo_.h_out, ceil_div(chunk, geo_.w_out) + 1);
  return std::min(geo_.h_in, (out_rows - 1) * geo_.sh + uint64_t{geo_.kh - 1} * geo_.dh + 1);
}

void Schedule::fit_chunk_to_ifmap(uint64_t channels) {
  if (input_resident_) return;
  const uint64_t tile = arch_->buffer(BufferId::ifmap).tile_capacity_bytes();
  // Drop whole output rows while the chunk spans several, then halve.
  while (chunk_len_ > 0 &&
         bytes_of(channels * chunk_input_rows(chunk_len_) * geo_.w_in * act_bits_) > tile)
    chunk_len_ = chunk_len_ > geo_.w_out ? chunk_len_ - geo_.w_out : chunk_len_ / 2;
}

uint64_t Schedule::weight_tile_bits(uint64_t weights) const {
  if (!kq_) return weights * weight_bits_;
  // kq_codebook: the weight buffer holds one index per kernel a fold touches.
  const uint64_t win = uint64_t{geo_.kh} * geo_.kw;
  const uint64_t c_full = std::min<uint64_t>(arch_->array.cols, gemm_.n);
  const uint64_t kernels =
      ws_column_resident_ ? gemm_.k / win * c_full
                          : (std::min<uint64_t>(arch_->array.rows, gemm_.k) / win + 2) * c_full;
  return std::min(kernels, gemm_.k / win * c_full) * index_bits_;
}

void Schedule::check_capacity() const {
  // Every fold's operands must fit one buffer tile (half the macro when double-buffered).
  // Full folds are the largest in weights and outputs; input footprints vary with the slice,
  // so take the maximum over the distinct slices (a few hundred at most).
  const uint64_t ar = arch_->array.rows, ac = arch_->array.cols;
  const uint64_t t = stream_len_;
  const uint64_t r_full = std::min(ar, arch_->array.dataflow == Dataflow::os ? gemm_.p : gemm_.k);
  const uint64_t c_full = std::min(ac, arch_->array.dataflow == Dataflow::is ? gemm_.p : gemm_.n);
  uint64_t in_elems = 0, w_elems = 0, out_elems = 0;
  switch (arch_->array.dataflow) {
    case Dataflow::ws:
      if (!input_resident_) in_elems = ws_footprint_bound(chunk_len_);
      w_elems = ws_column_resident_ ? gemm_.k * c_full : r_full * c_full;
      out_elems = chunk_len_ * c_full;
      break;
    case Dataflow::os:
      // Footprints are channels(all of K) · rows(P-slice) · w_in.
      if (!input_resident_) in_elems = input_channels(0, gemm_.k) * max_input_rows(ar) * geo_.w_in;
      w_elems = gemm_.k * c_full;
      out_elems = r_full * c_full;
      break;
    case Dataflow::is:
      if (!input_resident_) {
        // A footprint is channels(K-slice) · rows(P-slice) · w_in, so its maximum over all
        // folds is the product of the two maxima: one pass per level, not one per fold.
        uint64_t channels = 0, rows = 0;
        for (uint64_t k0 = 0; k0 < gemm_.k; k0 += ar)
          channels = std::max(channels, input_channels(k0, std::min(ar, gemm_.k - k0)));
        rows = max_input_rows(ac);
        in_elems = channels * rows * geo_.w_in;
      }
      w_elems = r_full * t;
      out_elems = c_full * t;
      break;
  }
  struct Need {
    BufferId id;
    uint64_t bytes;
  };
  const Need needs[] = {{BufferId::ifmap, bytes_of(in_elems * act_bits_)},
                        {BufferId::weight, bytes_of(weight_tile_bits(w_elems))},
                        {BufferId::ofmap, bytes_of(out_elems * acc_bits_)}};
  for (const Need& n : needs) {
    const auto& b = arch_->buffer(n.id);
    if (n.bytes > b.tile_capacity_bytes())
      throw InputError(
          arch_->file, fmt::format("/buffers/{}/capacity_bytes", to_string(n.id)),
          fmt::format("layer \"{}\" needs {} bytes for one {} fold, but one tile holds "
                      "{} bytes{}",
                      layer_->name, n.bytes, to_string(arch_->array.dataflow),
                      b.tile_capacity_bytes(),
                      b.double_buffered ? " (half of the double-buffered macro)" : ""));
  }
}

Step Schedule::step(uint64_t s) const {
  Step st = !on_array_  ? vector_step()
            : kcnn_     ? kcnn_step(s)
            : kq_reuse_ ? kq_reuse_step(s)
                        : array_step(s);
  finish_step(st);
  return st;
}

void Schedule::finish_step(Step& st) const {
  // A MAC array's multipliers sit in its PEs and work whenever the fold does; a vector layer
  // keeps the array's multipliers idle. kcnn_step sets both itself.
  if ((!kcnn_ && !kq_reuse_) || !on_array_) {
    st.array_busy_cycles = st.compute_cycles();
    st.multiplier_busy_cycles = on_array_ ? st.compute_cycles() : 0;
  }
}

Step Schedule::array_step(uint64_t s) const {
  Step st;
  const uint64_t ar = arch_->array.rows, ac = arch_->array.cols;
  const uint64_t per_group = row_folds_ * col_folds_ * chunks_;
  st.group = static_cast<uint32_t>(s / per_group);
  const uint64_t local = s % per_group;
  uint64_t t = stream_len_;
  const bool first_step = s == 0;
  const auto& ib = arch_->buffer(BufferId::ifmap);
  const auto& wb = arch_->buffer(BufferId::weight);
  const auto& ob = arch_->buffer(BufferId::ofmap);
  ActionCounts& a = st.actions;
  uint64_t r = 0, c = 0;
  uint64_t in_elems = 0, w_elems = 0;
  const uint64_t out_bits_final = act_bits_;  // results leave in the activation format
  switch (arch_->array.dataflow) {
    case Dataflow::ws: {
      c = local / (chunks_ * row_folds_);                // N-fold, outer
      const uint64_t pc = local / row_folds_ % chunks_;  // chunk of P
      r = local % row_folds_;                            // K-fold, inner
      st.r0 = r * ar, st.r_len = std::min(ar, gemm_.k - st.r0);
      st.c0 = c * ac, st.c_len = std::min(ac, gemm_.n - st.c0);
      st.t0 = pc * chunk_len_, st.t_len = std::min(chunk_len_, gemm_.p - st.t0);
      t = st.t_len;
      st.first_pass = r == 0;
      st.last_pass = r + 1 == row_folds_;
      in_elems = input_resident_ ? (first_step ? layer_->in.elements() : 0)
                                 : input_footprint_elems(st.r0, st.r_len, st.t0, st.t_len);
      // Weights come from DRAM once per layer when an N-fold's column of K×cols weights
      // fits a tile (later chunks re-read them from the buffer), else once per fold.
      const uint64_t w_read = st.r_len * st.c_len;
      if (kq_) {
        kq_weights(st, pc, s == 0);
      } else {
        w_elems = (!ws_column_resident_ || pc == 0) ? st.r_len * st.c_len : 0;
        add_read(a, BufferId::weight, w_read * weight_bits_, wb.word_bits);
        st.fill_cycles = port_cycles(ar, w_read * weight_bits_, wb.read_bits_per_cycle());
      }
      add_read(a, BufferId::ifmap, t * st.r_len * act_bits_, ib.word_bits);
      add_write(a, BufferId::ofmap, t * st.c_len * acc_bits_, ob.word_bits);
      if (!st.first_pass) add_read(a, BufferId::ofmap, t * st.c_len * acc_bits_, ob.word_bits);
      st.stream_cycles = std::max(
          {port_cycles(t, t * st.r_len * act_bits_, ib.read_bits_per_cycle()),
           port_cycles(t, t * st.c_len * acc_bits_, ob.write_bits_per_cycle()),
           st.first_pass ? t : port_cycles(t, t * st.c_len * acc_bits_, ob.read_bits_per_cycle())});
      a.register_write_bits += w_read * (kq_ ? code_bits_ : weight_bits_);
      break;
    }
    case Dataflow::os: {
      r = local / col_folds_;  // P-fold, outer
      c = local % col_folds_;  // N-fold, inner
      st.r0 = r * ar, st.r_len = std::min(ar, gemm_.p - st.r0);
      st.c0 = c * ac, st.c_len = std::min(ac, gemm_.n - st.c0);
      st.t0 = 0, st.t_len = t;
      if (input_resident_)
        in_elems = first_step ? layer_->in.elements() : 0;
      else
        in_elems = c == 0 ? input_footprint_elems(0, gemm_.k, st.r0, st.r_len) : 0;
      w_elems = weights_resident_ ? (r == 0 ? gemm_.k * st.c_len : 0) : gemm_.k * st.c_len;
      add_read(a, BufferId::ifmap, t * st.r_len * act_bits_, ib.word_bits);
      add_read(a, BufferId::weight, t * st.c_len * weight_bits_, wb.word_bits);
      st.fill_cycles = 0;
      st.stream_cycles =
          std::max(port_cycles(t, t * st.r_len * act_bits_, ib.read_bits_per_cycle()),
                   port_cycles(t, t * st.c_len * weight_bits_, wb.read_bits_per_cycle()));
      // The finished outputs drain into the ofmap buffer and on to DRAM.
      add_write(a, BufferId::ofmap, st.r_len * st.c_len * acc_bits_, ob.word_bits);
      break;
    }
    case Dataflow::is: {
      c = local / row_folds_;  // P-fold, outer
      r = local % row_folds_;  // K-fold, inner
      st.r0 = r * ar, st.r_len = std::min(ar, gemm_.k - st.r0);
      st.c0 = c * ac, st.c_len = std::min(ac, gemm_.p - st.c0);
      st.t0 = 0, st.t_len = t;
      st.first_pass = r == 0;
      st.last_pass = r + 1 == row_folds_;
      in_elems = input_resident_ ? (first_step ? layer_->in.elements() : 0)
                                 : input_footprint_elems(st.r0, st.r_len, st.c0, st.c_len);
      w_elems = weights_resident_ ? (c == 0 ? st.r_len * gemm_.n : 0) : st.r_len * gemm_.n;
      add_read(a, BufferId::ifmap, st.r_len * st.c_len * act_bits_, ib.word_bits);
      add_read(a, BufferId::weight, t * st.r_len * weight_bits_, wb.word_bits);
      add_write(a, BufferId::ofmap, t * st.c_len * acc_bits_, ob.word_bits);
      if (!st.first_pass) add_read(a, BufferId::ofmap, t * st.c_len * acc_bits_, ob.word_bits);
      st.fill_cycles = port_cycles(ar, st.r_len * st.c_len * act_bits_, ib.read_bits_per_cycle());
      st.stream_cycles = std::max(
          {port_cycles(t, t * st.r_len * weight_bits_, wb.read_bits_per_cycle()),
           port_cycles(t, t * st.c_len * acc_bits_, ob.write_bits_per_cycle()),
           st.first_pass ? t : port_cycles(t, t * st.c_len * acc_bits_, ob.read_bits_per_cycle())});
      a.register_write_bits += st.r_len * st.c_len * act_bits_;
      break;
    }
  }
  st.drain_cycles = (ar - 1) + (ac - 1);
  const uint64_t macs = t * st.r_len * st.c_len;
  if (kq_)
    a.narrow_multiplications += macs;  // codebook code × activation
  else
    a.multiplications[static_cast<int>(arch_->array.multiplier_format)] += macs;
  // The accumulator starts at the bias (or the partial sum fed back), so one addition per MAC.
  a.additions[static_cast<int>(arch_->array.adder_format)] += macs;
  // Each MAC reads its two operand registers and the incoming partial sum; it writes the
  // forwarded moving operand and the outgoing partial sum.
  a.register_read_bits += macs * (act_bits_ + weight_bits_ + acc_bits_);
  const uint32_t moving_bits = arch_->array.dataflow == Dataflow::is ? weight_bits_ : act_bits_;
  a.register_write_bits += macs * (moving_bits + acc_bits_);
  if (arch_->array.dataflow == Dataflow::os) a.register_write_bits += macs * weight_bits_;
  // DRAM fills land in the buffers; final outputs leave through the ofmap buffer.
  if (in_elems) add_write(a, BufferId::ifmap, in_elems * act_bits_, ib.word_bits);
  if (w_elems) add_write(a, BufferId::weight, w_elems * weight_bits_, wb.word_bits);
  st.dram_read_bytes += bytes_of(in_elems * act_bits_) + bytes_of(w_elems * weight_bits_);
  if (st.last_pass) {
    const uint64_t outs = arch_->array.dataflow == Dataflow::ws   ? st.t_len * st.c_len
                          : arch_->array.dataflow == Dataflow::os ? st.r_len * st.c_len
                                                                  : st.c_len * t;
    add_read(a, BufferId::ofmap, outs * acc_bits_, ob.word_bits);
    st.dram_write_bytes = bytes_of(outs * out_bits_final);
    // Integer designs dequantize each result (× s_x·s_w[n]) and requantize it for DRAM
    // (× 1/s_out) in an fp32 output stage.
    if (!is_float(arch_->activation_format))
      a.multiplications[static_cast<int>(NumFormat::fp32)] += 2 * outs;
    else if (kq_ && kq_scale_)  // Σ code·x scaled once by the layer's codebook scale
      a.multiplications[static_cast<int>(arch_->accumulator_format)] += outs;
  }
  return st;
}

Step Schedule::vector_step() const {
  Step st;
  const Layer& l = *layer_;
  const uint64_t out = l.out.elements();
  ActionCounts& a = st.actions;
  // Integer designs run the vector unit in fp32 on dequantized values and requantize after.
  const bool integer = !is_float(arch_->activation_format);
  const int fmt = static_cast<int>(integer ? NumFormat::fp32 : arch_->activation_format);
  uint64_t in_elems = l.in.elements();
  switch (l.type) {
    case LayerType::relu:
      a.comparisons += out * (l.relu_cap > 0 ? 2 : 1);
      break;
    case LayerType::maxpool:
      a.comparisons += out * (uint64_t{l.kh} * l.kw - 1);
      break;
    case LayerType::avgpool:
      a.additions[fmt] += out * (uint64_t{l.kh} * l.kw - 1);
      a.multiplications[fmt] += out;  // × 1/window
      break;
    case LayerType::add:
      a.additions[fmt] += out;
      in_elems *= 2;
      break;
    case LayerType::batchnorm:
      a.multiplications[fmt] += out;
      a.additions[fmt] += out;
      break;
    default:
      break;
  }
  if (integer) a.multiplications[fmt] += out;  // requantize
  const uint64_t ops = a.comparisons + a.total_additions() + a.total_multiplications();
  st.r_len = st.c_len = 1;
  // The vector unit streams operands from DRAM through its lane registers.
  st.stream_cycles = std::max<uint64_t>(1, ceil_div(ops, arch_->vector.lanes));
  st.dram_read_bytes = bytes_of(in_elems * act_bits_);
  st.dram_write_bytes = bytes_of(out * act_bits_);
  a.register_read_bits += in_elems * act_bits_;
  a.register_write_bits += out * act_bits_;
  return st;
}

void Schedule::kq_weights(Step& st, uint64_t pc, bool first_step) const {
  // Decode: each kernel the K-slice touches (whole or in part) has its index read from the
  // index SRAM and its codebook row (k² codes) from the codebook SRAM; the codes the slice
  // needs enter the PEs. Each index comes from DRAM once (with the fold holding its first
  // tap), the codebook once per layer.
  ActionCounts& a = st.actions;
  const auto& wb = arch_->buffer(BufferId::weight);
  const auto& cb = arch_->buffer(BufferId::codebook);
  const uint64_t win = uint64_t{geo_.kh} * geo_.kw;
  const uint64_t touched = (st.r0 + st.r_len - 1) / win - st.r0 / win + 1;
  const uint64_t starting = ceil_div(st.r0 + st.r_len, win) - ceil_div(st.r0, win);
  const uint64_t index_bits = touched * st.c_len * index_bits_;
  const uint64_t row_bits = touched * st.c_len * win * code_bits_;
  add_read(a, BufferId::weight, index_bits, wb.word_bits);
  add_read(a, BufferId::codebook, row_bits, cb.word_bits);
  st.fill_cycles =
      std::max({uint64_t{arch_->array.rows}, ceil_div(index_bits, wb.read_bits_per_cycle()),
                ceil_div(row_bits, cb.read_bits_per_cycle())});
  uint64_t dram_bits = 0;
  if (!ws_column_resident_ || pc == 0) {
    const uint64_t new_index_bits = starting * st.c_len * index_bits_;
    if (new_index_bits) add_write(a, BufferId::weight, new_index_bits, wb.word_bits);
    dram_bits += new_index_bits;
  }
  if (first_step && !codebook_prefetched_) {
    const uint64_t codebook_bits = codewords_ * win * code_bits_ + side_bits_;
    add_write(a, BufferId::codebook, codebook_bits, cb.word_bits);
    st.dram_read_bytes += bytes_of(codebook_bits);
  }
  st.dram_read_bytes += bytes_of(dram_bits);
}

uint64_t Schedule::scalesim_cycles() const {
  if (!on_array_ || kcnn_ || kq_reuse_) return 0;  // SCALE-Sim models MAC arrays only
  const uint64_t ar = arch_->array.rows, ac = arch_->array.cols;
  const uint64_t per_fold = arch_->array.dataflow == Dataflow::os ? ar + ac + stream_len_ - 2
                                                                  : 2 * ar + ac + stream_len_ - 2;
  // SCALE-Sim has no chunking: its folds are the array-sized tiles of the operand plane.
  return uint64_t{geo_.groups} * row_folds_ * col_folds_ * per_fold - 1;
}

}  // namespace kq
