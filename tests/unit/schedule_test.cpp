// The Schedule against closed forms: MACs, DRAM traffic and fold counts per dataflow.
#include "models/mapping/schedule.hpp"

#include <catch2/catch.hpp>

#include "models/common/input_error.hpp"
#include "models/config/arch_config.hpp"
#include "models/workload/workload.hpp"

namespace {

/// The fp32 baseline with buffers of the given sizes (large by default, so only the buffer a
/// test shrinks constrains the mapping).
kq::ArchConfig baseline(const char* df, uint64_t ofmap_bytes = 4u << 20) {
  kq::ArchConfig a = kq::load_arch_config(std::string(KQSIM_SOURCE_DIR) +
                                          "/arch_configs/baseline_fp32_16x16.json");
  a.array.dataflow = *df == 'w'   ? kq::Dataflow::ws
                     : *df == 'o' ? kq::Dataflow::os
                                  : kq::Dataflow::is;
  a.buffers[static_cast<int>(kq::BufferId::ifmap)].capacity_bytes = 4u << 20;
  a.buffers[static_cast<int>(kq::BufferId::weight)].capacity_bytes = 4u << 20;
  a.buffers[static_cast<int>(kq::BufferId::ofmap)].capacity_bytes = ofmap_bytes;
  return a;
}

kq::Workload load(const char* name) {
  return kq::load_workload(std::string(KQSIM_SOURCE_DIR) + "/workloads/" + name);
}

struct Sums {
  uint64_t macs = 0, read = 0, write = 0, steps = 0;
};

Sums sum_steps(const kq::Schedule& s) {
  Sums r;
  for (uint64_t i = 0; i < s.num_steps(); ++i) {
    const kq::Step st = s.step(i);
    r.macs += st.actions.multiplications[0];
    r.read += st.dram_read_bytes;
    r.write += st.dram_write_bytes;
    ++r.steps;
  }
  return r;
}

}  // namespace

TEST_CASE("every dataflow performs exactly the layer's MACs and writes each output once",
          "[unit]") {
  const kq::Workload w = load("resnet18.json");
  for (const char* df : {"ws", "os", "is"})
    for (const kq::Layer& l : w.layers) {
      if (!l.on_array()) continue;
      INFO(df << " " << l.name);
      const kq::ArchConfig a = baseline(df);  // outlives the Schedule, which refers to it
      const kq::Schedule s(l, a);
      const Sums r = sum_steps(s);
      CHECK(r.macs == l.macs());
      CHECK(r.write == l.out.elements() * 4);  // fp32 outputs, each written once
      // Weights are read from DRAM at least once; inputs at least once.
      CHECK(r.read >= l.weight_params() * 4 + (s.input_resident() ? l.in.elements() * 4 : 0));
      const kq::GemmDims g = l.gemm();
      const uint64_t sr = *df == 'o' ? g.p : g.k, sc = *df == 'i' ? g.p : g.n;
      CHECK(s.row_folds() == (sr + 15) / 16);
      CHECK(s.col_folds() == (sc + 15) / 16);
    }
}

TEST_CASE("ws splits P into chunks only when partial sums overflow the ofmap tile", "[unit]") {
  const kq::Workload w = load("resnet18.json");
  const kq::Layer& conv1 = w.layers[w.find("conv1")];  // P = 112·112 = 12544
  // One N-fold holds 12544 × 16 fp32 partial sums = 802,816 bytes.
  CHECK(kq::Schedule(conv1, baseline("ws", 2 * 802816)).stream_chunks() == 1);
  const kq::ArchConfig small = baseline("ws", 2 * 802816 - 2);
  const kq::Schedule chunked(conv1, small);
  CHECK(chunked.stream_chunks() == 2);
  const Sums r = sum_steps(chunked);
  CHECK(r.macs == conv1.macs());
  CHECK(r.steps == chunked.row_folds() * chunked.col_folds() * 2);
  // SCALE-Sim's figure is a property of the unchunked fold model.
  CHECK(chunked.scalesim_cycles() == kq::Schedule(conv1, baseline("ws")).scalesim_cycles());
}

TEST_CASE("a fold that cannot fit its buffer is an input error naming the buffer", "[unit]") {
  const kq::Workload w = load("resnet18.json");
  kq::ArchConfig a = baseline("os");
  a.buffers[static_cast<int>(kq::BufferId::weight)].capacity_bytes = 4096;
  try {
    for (const kq::Layer& l : w.layers) kq::Schedule(l, a);
    FAIL("expected an InputError");
  } catch (const kq::InputError& e) {
    CHECK(std::string(e.what()).find("/buffers/weight/capacity_bytes") != std::string::npos);
  }
}

TEST_CASE("ws chunks also keep each fold's input rows within an ifmap tile", "[unit]") {
  const kq::Workload w = load("resnet18.json");
  for (uint64_t ifmap : {uint64_t{4} << 20, uint64_t{256} << 10, uint64_t{64} << 10}) {
    kq::ArchConfig a = baseline("ws");
    a.buffers[static_cast<int>(kq::BufferId::ifmap)].capacity_bytes = ifmap;
    for (const kq::Layer& l : w.layers) {
      if (!l.on_array()) continue;
      INFO(ifmap << " " << l.name);
      const kq::Schedule s(l, a);
      uint64_t max_read = 0;
      for (uint64_t i = 0; i < s.num_steps(); ++i)
        max_read = std::max(max_read, s.step(i).dram_read_bytes);
      // A fold's DRAM read (its input rows plus its weights) fits one ifmap tile plus one
      // weight fold; the input part alone must fit the ifmap tile.
      CHECK(max_read <= a.buffer(kq::BufferId::ifmap).tile_capacity_bytes() + 16 * 16 * 4);
      CHECK(sum_steps(s).macs == l.macs());
    }
  }
}
