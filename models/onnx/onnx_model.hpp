#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "models/workload/network_params.hpp"
#include "models/workload/workload.hpp"

namespace kq {

/// Where a kqsim layer came from in the ONNX graph.
struct OnnxLayerSource {
  /// "OpType node-name" of every node merged into the layer, in graph order (a Conv and the
  /// BatchNormalization folded into it; a MatMul and the Add that became its bias).
  std::vector<std::string> nodes;
  /// Name of the weight initializer (conv/fc), e.g. "conv1.weight" from torch.onnx.export.
  std::string weight_initializer;
};

struct OnnxModelInfo {
  int64_t ir_version = 0;
  int64_t opset = 0;     ///< of the default (ai.onnx) domain
  std::string producer;  ///< producer_name and producer_version
  std::string graph_name;
  std::string input_name;  ///< the graph input kqsim feeds
  std::string output_name;
  uint64_t pruned_nodes = 0;  ///< nodes whose results never reach the graph output
};

/// An imported ONNX model: the same (Workload, NetworkParams) pair a JSON workload and
/// synthetic_params() give, with the graph's trained weights in place of synthetic ones.
/// The classifier's output (the single graph output) is the last layer.
struct OnnxModel {
  Workload workload;
  /// Weights and biases from the graph's initializers (BatchNormalization folded into the
  /// preceding conv/fc); the input is seeded synthetic (as synthetic_params(), same seed
  /// → same input) until a caller replaces it.
  NetworkParams params;
  OnnxModelInfo info;
  std::vector<OnnxLayerSource> sources;  ///< per workload layer
};

/// Reads an .onnx file (opsets 11 to 17, float32 initializers inline or as external data next
/// to the file) and maps its graph onto kqsim layers: Conv (groups, strides, pads, dilations,
/// auto_pad when symmetric), Gemm, MatMul, Relu, Clip(0, max), MaxPool, AveragePool,
/// GlobalAveragePool, GlobalMaxPool, Add, Flatten, Reshape (flattening only),
/// BatchNormalization (folded into the preceding conv/fc, else a batchnorm layer), Identity,
/// Dropout (inference: identity) and Constant. Anything else — an unsupported operator or
/// attribute, a truncated or corrupt file, a shape kqsim cannot express — is one InputError
/// naming the file and the node ("node \"NAME\" (OP)") or the tensor at fault.
/// docs/ONNX.md has the mapping and its limits.
OnnxModel load_onnx_model(const std::string& path, uint64_t seed = 1);

/// Same from the bytes of an .onnx file; `file_name` is used in messages and for the
/// workload's name, `model_dir` to resolve external data.
OnnxModel onnx_model_from_bytes(const std::string& bytes, const std::string& file_name,
                                const std::string& model_dir, uint64_t seed = 1);

/// True for paths ending in ".onnx" (any capitalisation).
bool is_onnx_path(const std::string& path);

}  // namespace kq
