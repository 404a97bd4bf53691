#include "sim/cli/inspect_command.hpp"

#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "models/common/input_error.hpp"
#include "models/onnx/onnx_model.hpp"
#include "models/report/layer_table.hpp"

namespace kq {
namespace {

namespace po = boost::program_options;

std::string origin_line(const OnnxLayerSource& s) {
  std::string line;
  for (const auto& n : s.nodes) line += (line.empty() ? "" : " + ") + n;
  if (!s.weight_initializer.empty()) line += " [weight " + s.weight_initializer + "]";
  return line;
}

}  // namespace

int inspect_command(int argc, char* argv[]) {
  po::options_description opts("kqsim inspect options");
  std::string model_path;
  opts.add_options()("help,h", "show this help")(
      "model", po::value(&model_path)->required(),
      "an .onnx file, or a workload (.json, SCALE-Sim .csv)")(
      "json", "print the table as JSON (layers with shapes, geometry, MACs, params)");
  po::positional_options_description pos;
  pos.add("model", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).positional(pos).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: kqsim inspect MODEL.onnx [--json]\n\n" << opts;
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "kqsim inspect: %s (see kqsim inspect --help)\n", e.what());
    return 2;
  }
  try {
    if (!is_onnx_path(model_path)) {
      const Workload w = load_workload(model_path);
      if (vm.count("json"))
        std::cout << layer_table_json(w).dump(2) << "\n";
      else
        std::cout << layer_table_text(w);
      return 0;
    }
    const OnnxModel m = load_onnx_model(model_path);
    std::vector<std::string> origins;
    for (const auto& s : m.sources) origins.push_back(origin_line(s));
    if (vm.count("json")) {
      auto j = layer_table_json(m.workload, &origins);
      j["onnx"] = {{"ir_version", m.info.ir_version},    {"opset", m.info.opset},
                   {"producer", m.info.producer},        {"graph", m.info.graph_name},
                   {"input", m.info.input_name},         {"output", m.info.output_name},
                   {"pruned_nodes", m.info.pruned_nodes}};
      std::cout << j.dump(2) << "\n";
      return 0;
    }
    std::cout << fmt::format(
        "{}: ONNX IR {}, opset {}, producer \"{}\", graph \"{}\"; input \"{}\", output \"{}\"{}\n",
        model_path, m.info.ir_version, m.info.opset, m.info.producer, m.info.graph_name,
        m.info.input_name, m.info.output_name,
        m.info.pruned_nodes
            ? fmt::format("; {} nodes not reaching the output left out", m.info.pruned_nodes)
            : "");
    std::cout << layer_table_text(m.workload, &origins);
    return 0;
  } catch (const InputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}

}  // namespace kq
