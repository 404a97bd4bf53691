#pragma once
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

#include "models/onnx/onnx_model.hpp"
#include "models/workload/network_params.hpp"
#include "models/workload/workload.hpp"

namespace kq {

/// An ONNX graph mapped onto kqsim layers (docs/ONNX.md): the workload with every shape
/// inferred, each layer's parameters, and where each layer came from.
struct OnnxGraphImport {
  Workload workload;
  std::vector<LayerParams> layers;
  std::vector<OnnxLayerSource> sources;
  std::string input_name, output_name;
  uint64_t pruned_nodes = 0;
};

/// Walks the graph's nodes in order (ONNX requires topological order) and maps each onto a
/// kqsim layer, folds it into the layer before it (BatchNormalization, a bias Add) or aliases
/// its input (Flatten, Reshape, Identity, Dropout). Throws InputError for anything it cannot
/// express exactly. The caller has checked the opset (11 to 17), whose operator versions
/// this mapping follows. The initializers' encoded data is released as it is decoded.
OnnxGraphImport import_onnx_graph(onnx::GraphProto& graph, const std::string& file,
                                  const std::string& model_dir, const std::string& workload_name);

}  // namespace kq
