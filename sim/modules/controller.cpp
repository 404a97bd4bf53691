#include "sim/modules/controller.hpp"

#include <fmt/format.h>

#include "models/mapping/codebook_prefetch.hpp"

namespace kq {

Controller::Controller(sc_core::sc_module_name name, const Workload& w, const ArchConfig& arch,
                       SimMode mode, Dram& dram, MacArray& array, TimedUnit& vector,
                       NetworkState* state, const QuantizedNetwork* quantized)
    : sc_module(name),
      clk("clk"),
      w_(w),
      arch_(arch),
      mode_(mode),
      dram_(dram),
      array_(array),
      vector_(vector),
      state_(state),
      quantized_(quantized) {
  SC_METHOD(evaluate);
  if (mode_ == SimMode::cycle) {
    sensitive << clk.neg();
    dont_initialize();
  } else {
    sensitive << dram_.completed << array_.finished << vector_.finished;
  }
}

void Controller::issue_load(uint64_t s) {
  ahead_[s % kRing] = schedule_->step(s);
  load_ticket_[s % kRing] = dram_.request(ahead_[s % kRing].dram_read_bytes, false);
  if (trace) trace->load_issue.write(!trace->load_issue.read());
}

void Controller::start_layer(uint64_t now) {
  const Layer& l = w_.layers[layer_];
  if (plan_.empty()) {
    plan_ = codebook_prefetch_plan(w_, arch_);
    prefetched_.assign(w_.layers.size(), false);
    for (int target : plan_)
      if (target >= 0) prefetched_[static_cast<size_t>(target)] = true;
  }
  schedule_ =
      std::make_unique<Schedule>(l, arch_, quantized_ ? quantized_->kcnn_layer(layer_) : nullptr,
                                 quantized_ ? quantized_->kq_layer(layer_) : nullptr);
  schedule_->set_codebook_prefetched(prefetched_[layer_]);
  steps_ = schedule_->num_steps();
  next_ = 0;
  busy_ = 0;
  layer_start_ = compute_end_ = now;
  computing_ = false;
  if (state_ && schedule_->on_array()) array_.bind_layer(&state_->begin_array_layer(layer_));
  for (uint64_t s = 0; s < std::min<uint64_t>(schedule_->prefetch_depth(), steps_); ++s)
    issue_load(s);
  if (plan_[layer_] >= 0) {
    // The next KQ layer's codebook, into the codebook SRAM's free half, behind the first loads.
    const size_t t = static_cast<size_t>(plan_[layer_]);
    const uint64_t bits =
        Schedule(w_.layers[t], arch_, nullptr, quantized_ ? quantized_->kq_layer(t) : nullptr)
            .codebook_bits();
    dram_.request((bits + 7) / 8, false);
    auto& cb = array_.counts.buffers[static_cast<int>(BufferId::codebook)];
    const uint64_t word = arch_.buffer(BufferId::codebook).word_bits;
    cb.write_bits += bits;
    cb.write_words += (bits + word - 1) / word;
  }
  unit().set_pending(true);
  layer_active_ = true;
  if (trace) trace->layer.write(static_cast<uint32_t>(layer_));
}

void Controller::end_layer(uint64_t now) {
  const Layer& l = w_.layers[layer_];
  LayerCost lc;
  lc.name = l.name;
  lc.type = std::string(to_string(l.type));
  lc.steps = steps_;
  lc.macs = l.macs();
  lc.scalesim_cycles = schedule_->scalesim_cycles();
  const uint64_t cycles = now - layer_start_;
  array_.sync_cycles();  // cycle mode: the edges a sleeping unit has not booked yet
  vector_.sync_cycles();
  if (mode_ == SimMode::fast) {
    // Fast mode booked busy cycles when jobs started; the rest of the layer follows from
    // the timestamps.
    // busy_ is the time the unit held jobs; in-job stalls were booked with the jobs.
    const uint64_t waiting = (compute_end_ - layer_start_) - busy_, after = now - compute_end_;
    if (schedule_->on_array()) {
      for (UnitCycles* u : {&array_.counts.array, &array_.counts.multipliers}) {
        u->stall += waiting;
        u->idle += after;
      }
      vector_.counts.vector.idle += cycles;
    } else {
      vector_.counts.vector.stall += waiting;
      vector_.counts.vector.idle += after;
      array_.counts.array.idle += cycles;
      array_.counts.multipliers.idle += cycles;
    }
    dram_.counts.dram.idle += cycles - dram_.counts.dram.busy;
  }
  lc.counts += dram_.counts;
  lc.counts += array_.counts;
  lc.counts += vector_.counts;
  lc.counts.cycles = cycles;
  dram_.counts = ActionCounts{};
  array_.counts = ActionCounts{};
  vector_.counts = ActionCounts{};
  if (state_ && schedule_->on_array()) {
    state_->finish_array_layer(layer_);
    array_.bind_layer(nullptr);
  }
  result_.totals += lc.counts;
  result_.layers.push_back(std::move(lc));
  layer_active_ = false;
  ++layer_;
  if (on_layer_done) on_layer_done(layer_, w_.layers.size());
}

void Controller::evaluate() {
  if (finished_ || (watchdog && watchdog->check())) return;
  const uint64_t now = now_cycle();
  for (;;) {
    if (!layer_active_) {
      if (layer_ == w_.layers.size()) {
        finished_ = true;
        sc_core::sc_stop();
        return;
      }
      start_layer(now);
    }
    bool progress = false;
    TimedUnit& u = unit();
    if (computing_ && u.done()) {
      const uint64_t s = next_;
      const Step& st = ahead_[s % kRing];
      if (schedule_->on_array()) {
        array_.complete(st);
      } else {
        if (state_) state_->run_vector_layer(layer_);
        vector_.retire();
      }
      computing_ = false;
      compute_end_ = now;
      if (s + schedule_->prefetch_depth() < steps_) issue_load(s + schedule_->prefetch_depth());
      store_ticket_[s % kRing] = dram_.request(st.dram_write_bytes, true);
      if (trace) trace->store_issue.write(!trace->store_issue.read());
      ++next_;
      if (next_ == steps_) u.set_pending(false);
      progress = true;
    }
    if (!computing_ && next_ < steps_) {
      const uint64_t s = next_;
      const uint32_t ob = schedule_->output_depth();
      if (dram_.done(load_ticket_[s % kRing]) &&
          (s < ob || dram_.done(store_ticket_[(s - ob) % kRing]))) {
        const Step& st = ahead_[s % kRing];
        // Held cycles (back-pressure stress) are part of the job: the unit holds it.
        busy_ += u.start(st.compute_cycles(), st.array_busy_cycles, st.multiplier_busy_cycles,
                         st.actions);
        computing_ = true;
        progress = true;
        if (trace) {
          trace->fold.write(s);
          trace->compute_start.write(!trace->compute_start.read());
        }
      }
    }
    if (!computing_ && next_ == steps_ && dram_.idle()) {
      end_layer(now);
      continue;
    }
    if (!progress) break;
    ++activity;
  }
}

std::string Controller::waiting_for() const {
  if (!layer_active_)
    return layer_ < w_.layers.size() ? fmt::format("controller: layer {} \"{}\" has not started",
                                                   layer_, w_.layers[layer_].name)
                                     : std::string("controller: the network is done");
  const std::string where =
      fmt::format("layer {} \"{}\" fold {} of {}", layer_, w_.layers[layer_].name, next_, steps_);
  const TimedUnit& u = schedule_->on_array() ? static_cast<const TimedUnit&>(array_) : vector_;
  if (computing_)
    return fmt::format("{}: the job of {} started at cycle {} never finished", u.basename(), where,
                       u.job_start());
  auto request = [&](const char* what, uint64_t t) {
    const Dram::Ticket& k = dram_.ticket(t);
    return fmt::format(
        "dram: the {} request #{} for {} ({} bytes, issued at cycle {}) never "
        "completed",
        what, t, where, k.bytes, k.issued);
  };
  if (next_ < steps_) {
    const uint64_t s = next_;
    if (!dram_.done(load_ticket_[s % kRing])) return request("load", load_ticket_[s % kRing]);
    const uint32_t ob = schedule_->output_depth();
    if (s >= ob && !dram_.done(store_ticket_[(s - ob) % kRing]))
      return request("store", store_ticket_[(s - ob) % kRing]);
  }
  if (!dram_.idle())
    return fmt::format("dram: {} requests still outstanding at the end of {}", dram_.outstanding(),
                       where);
  return "controller: " + where + " waits for nothing it can name";
}

}  // namespace kq
