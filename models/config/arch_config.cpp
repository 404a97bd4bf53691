#include "models/config/arch_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "models/config/json_reader.hpp"

namespace kq {

std::string_view to_string(Dataflow d) {
  switch (d) {
    case Dataflow::ws:
      return "ws";
    case Dataflow::os:
      return "os";
    case Dataflow::is:
      return "is";
  }
  return "?";
}

std::string_view to_string(BufferId b) {
  switch (b) {
    case BufferId::ifmap:
      return "ifmap";
    case BufferId::weight:
      return "weight";
    case BufferId::ofmap:
      return "ofmap";
    case BufferId::scale:
      return "scale";
    case BufferId::codebook:
      return "codebook";
  }
  return "?";
}

namespace {

constexpr uint64_t kMaxDim = 1u << 16;

NumFormat read_format(ObjReader& r, const std::string& key) {
  const std::string s = r.get_enum(key, {"fp32", "fp16", "bf16", "int8", "int16", "int32"});
  return *parse_num_format(s);
}

BufferSpec read_buffer(ObjReader r, uint32_t element_bits) {
  BufferSpec b;
  b.capacity_bytes = r.get_u64("capacity_bytes", 64, uint64_t{1} << 40);
  b.word_bits = static_cast<uint32_t>(r.get_u64("word_bits", 8, 4096));
  b.banks = static_cast<uint32_t>(r.get_u64("banks", 1, 1024));
  b.read_ports = static_cast<uint32_t>(r.get_u64("read_ports", 1, 16));
  b.write_ports = static_cast<uint32_t>(r.get_u64("write_ports", 1, 16));
  b.double_buffered = r.get_bool("double_buffered");
  r.finish();
  if (b.word_bits % element_bits != 0)
    r.fail("word_bits", fmt::format("expected a multiple of the {}-bit element it stores, got {}",
                                    element_bits, b.word_bits));
  if (b.capacity_bytes * 8 < uint64_t{b.word_bits} * b.banks)
    r.fail("capacity_bytes", "smaller than one word per bank");
  return b;
}

KcnnOptions read_kcnn(ObjReader k, NumFormat activation) {
  KcnnOptions o;
  o.planes = static_cast<uint32_t>(k.get_u64("planes", 1, kKcnnMaxPlanes));
  const std::string alphabet = k.get_enum_or("alphabet", "pm1", {"pm1", "zero_one"});
  o.alphabet = alphabet == "pm1" ? KcnnAlphabet::pm1 : KcnnAlphabet::zero_one;
  o.offset = k.get_enum_or("offset", "none", {"none", "per_kernel"}) == "none"
                 ? KcnnOffset::none
                 : KcnnOffset::per_kernel;
  o.granularity = k.get_enum_or("granularity", "kernel2d", {"kernel2d", "filter3d"}) == "kernel2d"
                      ? KcnnGranularity::kernel2d
                      : KcnnGranularity::filter3d;
  o.init = k.get_enum_or("init", "greedy_residual", {"greedy_residual", "fixed_point"}) ==
                   "greedy_residual"
               ? KcnnInit::greedy_residual
               : KcnnInit::fixed_point;
  o.max_iterations = static_cast<uint32_t>(k.get_u64_or("max_iterations", 10, 0, 1000));
  o.ridge_delta = k.get_double_or("ridge_delta", 1e-4, 0.0, 1e6);
  const std::string sf = k.get_enum_or("scale_format", "fp32", {"fp32", "fp16", "fixed"});
  o.scale_format = sf == "fp32"   ? KcnnScaleFormat::fp32
                   : sf == "fp16" ? KcnnScaleFormat::fp16
                                  : KcnnScaleFormat::fixed;
  o.fixed_bits = static_cast<uint32_t>(k.get_u64_or("fixed_bits", 16, 2, 24));
  const std::string p =
      k.get_enum_or("policy_1x1", "keep_float", {"keep_float", "filter3d", "bitplanes"});
  o.policy_1x1 = p == "keep_float" ? KcnnPolicy1x1::keep_float
                 : p == "filter3d" ? KcnnPolicy1x1::filter3d
                                   : KcnnPolicy1x1::bitplanes;
  o.window_sum_sharing = k.get_bool_or("window_sum_sharing", false);
  o.zero_skip = k.get_bool_or("zero_skip", false);
  k.finish();
  try {
    o.validate();
  } catch (const std::invalid_argument& e) {
    k.fail("", e.what());
  }
  // Integer activations give bit-exact plane sums only if the scales are integers too.
  if (!is_float(activation) && o.scale_format != KcnnScaleFormat::fixed)
    k.fail("scale_format", fmt::format("{} activations need fixed-point scales: expected \"fixed\"",
                                       to_string(activation)));
  return o;
}

KqOptions read_kq(ObjReader k, NumFormat activation, uint64_t& gather_adders, uint64_t pes) {
  KqOptions o;
  if (k.has("codewords"))
    o.set_all_codewords(static_cast<uint32_t>(k.get_u64("codewords", 1, 1u << 20)));
  if (k.has("codewords_by_layer")) {
    const nlohmann::json& by = k.raw("codewords_by_layer");
    if (!by.is_object()) k.fail("codewords_by_layer", "expected an object of layer name -> K");
    for (auto it = by.begin(); it != by.end(); ++it)
      o.codewords_by_layer[it.key()] = static_cast<uint32_t>(json_to_u64(
          it.value(), k.file(), k.pointer("codewords_by_layer") + "/" + it.key(), 1, 1u << 20));
  }
  o.max_iterations = static_cast<uint32_t>(k.get_u64_or("max_iterations", 20, 0, 10000));
  o.seed = k.get_u64_or("seed", 1, 0, UINT64_MAX);
  o.codebook_bits = static_cast<uint32_t>(k.get_u64_or("codebook_bits", 6, 2, 16));
  o.codebook_quant = k.get_enum_or("codebook_quant", "uniform", {"uniform", "lut"}) == "uniform"
                         ? KqCodebookQuant::uniform
                         : KqCodebookQuant::lut;
  o.datapath =
      k.get_enum_or("datapath", "decode_mac", {"decode_mac", "response_reuse"}) == "decode_mac"
          ? KqDatapath::decode_mac
          : KqDatapath::response_reuse;
  gather_adders = k.get_u64_or("gather_adders", pes, 1, uint64_t{1} << 32);
  o.count_fc = k.get_bool_or("count_fc", false);
  k.finish();
  try {
    o.validate();
  } catch (const std::invalid_argument& e) {
    k.fail("", e.what());
  }
  // Integer activations multiply integer codes exactly only with a uniform codebook.
  if (!is_float(activation) && o.codebook_quant != KqCodebookQuant::uniform)
    k.fail("codebook_quant", fmt::format("{} activations need integer codes: expected \"uniform\"",
                                         to_string(activation)));
  return o;
}

ArchConfig parse(const nlohmann::json& j, const std::string& file) {
  ObjReader r(j, file, "");
  ArchConfig a;
  a.file = file;
  a.name = r.get_string("name");
  // The name heads reports, tables and one-line messages.
  if (a.name.empty() || a.name.size() > 128 ||
      std::any_of(a.name.begin(), a.name.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    r.fail("name", "expected 1 to 128 characters without control characters");
  a.datapath = r.get_enum("datapath", {"mac_array", "kcnn_bitplane", "kq_codebook"});
  const bool kcnn = a.datapath == "kcnn_bitplane";
  const bool kq = a.datapath == "kq_codebook";
  a.clock_mhz = r.get_double("clock_mhz", 1.0, 10000.0);

  ObjReader f = r.object("formats");
  a.activation_format = read_format(f, "activation");
  a.weight_format = read_format(f, "weight");
  a.accumulator_format = read_format(f, "accumulator");
  f.finish();
  // Weights meet activations in one multiplier format (in a KCNN design: the weights of layers
  // kept in float), and sums accumulate at least as wide.
  if (a.activation_format != a.weight_format)
    f.fail("weight",
           "expected the activation format: weights and activations share the multipliers");
  const NumFormat in = a.activation_format;
  const NumFormat acc = a.accumulator_format;
  const bool ok =
      (in == NumFormat::fp32 && acc == NumFormat::fp32) ||
      ((in == NumFormat::fp16 || in == NumFormat::bf16) && (acc == NumFormat::fp32 || acc == in)) ||
      (in == NumFormat::int8 && (acc == NumFormat::int32 || acc == NumFormat::int16)) ||
      (in == NumFormat::int16 && acc == NumFormat::int32);
  if (!ok)
    f.fail("accumulator",
           fmt::format("{} inputs cannot accumulate in {} (float inputs need a float "
                       "accumulator at least as wide, integer inputs a wider integer)",
                       to_string(in), to_string(acc)));

  ObjReader ar = r.object("array");
  a.array.rows = static_cast<uint32_t>(ar.get_u64("rows", 1, kMaxDim));
  a.array.cols = static_cast<uint32_t>(ar.get_u64("cols", 1, kMaxDim));
  a.array.dataflow = [&] {
    const std::string d = ar.get_enum("dataflow", {"ws", "os", "is"});
    return d == "ws" ? Dataflow::ws : d == "os" ? Dataflow::os : Dataflow::is;
  }();
  if (kq && a.array.dataflow != Dataflow::ws)
    ar.fail("dataflow",
            "the kq_codebook datapath decodes weights into a weight-stationary array: "
            "expected \"ws\"");
  if (kcnn && a.array.dataflow != Dataflow::ws)
    ar.fail("dataflow", "the kcnn_bitplane datapath is weight-stationary: expected \"ws\"");
  const uint64_t pes = uint64_t{a.array.rows} * a.array.cols;
  {
    ObjReader m = ar.object("multipliers");
    a.array.multipliers = m.get_u64("count", 1, kMaxDim * kMaxDim);
    a.array.multiplier_format = read_format(m, "format");
    m.finish();
    ObjReader ad = ar.object("adders");
    a.array.adders = ad.get_u64("count", 1, kMaxDim * kMaxDim);
    a.array.adder_format = read_format(ad, "format");
    ad.finish();
    if (!kcnn) {
      if (a.array.multipliers != pes)
        m.fail("count",
               fmt::format("a mac_array has one multiplier per PE: expected rows·cols = {}", pes));
      if (a.array.multiplier_format != a.activation_format)
        m.fail("format",
               fmt::format("expected the activation format {}", to_string(a.activation_format)));
      if (a.array.adders != pes)
        ad.fail("count",
                fmt::format("a mac_array has one adder per PE: expected rows·cols = {}", pes));
      if (a.array.adder_format != a.accumulator_format)
        ad.fail("format",
                fmt::format("expected the accumulator format {}", to_string(a.accumulator_format)));
    } else {
      // KCNN sizes its multiplier array independently: few multipliers is the point. The
      // adders form the plane sums; both work in the design's number system.
      if (is_float(a.array.multiplier_format) != is_float(in))
        m.fail("format", fmt::format("expected a {} format like the activations",
                                     is_float(in) ? "float" : "integer"));
      if (is_float(a.array.adder_format) != is_float(in))
        ad.fail("format", fmt::format("expected a {} format like the activations",
                                      is_float(in) ? "float" : "integer"));
    }
  }
  ar.finish();
  if (kcnn) a.kcnn = read_kcnn(r.object("kcnn"), in);
  if (kq) a.kq = read_kq(r.object("kq"), in, a.kq_gather_adders, pes);

  ObjReader v = r.object("vector_unit");
  a.vector.lanes = static_cast<uint32_t>(v.get_u64("lanes", 1, 4096));
  v.finish();

  ObjReader d = r.object("dram");
  a.dram.ideal = d.get_bool_or("ideal", false);
  a.dram.bandwidth_bytes_per_cycle = d.get_u64("bandwidth_bytes_per_cycle", 1, 1u << 20);
  a.dram.latency_cycles = d.get_u64("latency_cycles", 0, 1u << 20);
  a.dram.energy_pj_per_bit = d.get_double("energy_pj_per_bit", 0.0, 1e4);
  a.dram.energy_source = d.get_string("energy_source");
  if (a.dram.energy_source.empty())
    d.fail("energy_source", "expected a citation for energy_pj_per_bit");
  d.finish();

  ObjReader b = r.object("buffers");
  a.buffers[static_cast<int>(BufferId::ifmap)] =
      read_buffer(b.object("ifmap"), width_bits(a.activation_format));
  a.buffers[static_cast<int>(BufferId::weight)] =
      read_buffer(b.object("weight"), width_bits(a.weight_format));
  a.buffers[static_cast<int>(BufferId::ofmap)] =
      read_buffer(b.object("ofmap"), width_bits(a.accumulator_format));
  if (kcnn)  // per-plane scales of the kernels in the array
    a.buffers[static_cast<int>(BufferId::scale)] = read_buffer(b.object("scale"), 1);
  if (kq)  // the layer's kernel codebook (the weight buffer holds the indices)
    a.buffers[static_cast<int>(BufferId::codebook)] = read_buffer(b.object("codebook"), 1);
  b.finish();

  ObjReader t = r.object("tech");
  const std::string table = t.get_string("table");
  if (table.empty()) t.fail("table", "expected the path of a technology table");
  a.tech_node_nm = static_cast<uint32_t>(t.get_u64("node_nm", 1, 1000));
  t.finish();
  namespace fs = std::filesystem;
  fs::path tp(table);
  if (tp.is_relative()) tp = fs::path(file).parent_path() / tp;
  a.tech_file = tp.lexically_normal().string();

  r.finish();
  return a;
}

}  // namespace

ArchConfig arch_config_from_text(const std::string& text, const std::string& file_name) {
  return parse(parse_json_text(text, file_name), file_name);
}

ArchConfig arch_config_from_json(const nlohmann::json& j, const std::string& file_name) {
  return parse(j, file_name);
}

ArchConfig fp32_mac_baseline(const ArchConfig& d) {
  ArchConfig b = d;
  b.name = d.name + "/fp32_baseline";
  b.datapath = "mac_array";
  b.kcnn.reset();
  b.kq.reset();
  b.activation_format = b.weight_format = b.accumulator_format = NumFormat::fp32;
  b.array.multipliers = b.array.adders = uint64_t{d.array.rows} * d.array.cols;
  b.array.multiplier_format = b.array.adder_format = NumFormat::fp32;
  const uint64_t grow = 32 / static_cast<uint64_t>(width_bits(d.activation_format));
  for (BufferId id : {BufferId::ifmap, BufferId::weight}) {
    BufferSpec& s = b.buffers[static_cast<int>(id)];
    s.capacity_bytes *= grow;
    s.word_bits *= static_cast<uint32_t>(grow);
  }
  BufferSpec& o = b.buffers[static_cast<int>(BufferId::ofmap)];
  const uint64_t grow_acc = 32 / static_cast<uint64_t>(width_bits(d.accumulator_format));
  o.capacity_bytes *= grow_acc;
  o.word_bits *= static_cast<uint32_t>(grow_acc);
  b.buffers[static_cast<int>(BufferId::scale)] = BufferSpec{};
  b.buffers[static_cast<int>(BufferId::codebook)] = BufferSpec{};
  return b;
}

ArchConfig load_arch_config(const std::string& path) {
  return parse(parse_json_file(path), path);
}

}  // namespace kq
