#pragma once
#include <functional>
#include <string>
#include <vector>

#include "models/workload/layer.hpp"

namespace kq {

/// A network as a DAG of layers in topological order (each layer only reads earlier ones).
struct Workload {
  std::string name;
  std::string file;  ///< where it was loaded from (for messages and hashes)
  Shape input;
  std::vector<Layer> layers;
  /// True for imported SCALE-Sim topologies: a list of unrelated layers, each reading its own
  /// (synthetic) input of shape Layer::in through inputs = {-1}, rather than a chained graph.
  /// `input` is then the first layer's input shape.
  bool independent_layers = false;
  uint64_t total_macs() const;
  uint64_t total_params() const;
  int find(const std::string& layer_name) const;  ///< -1 if absent
};

/// Layer names: 1 to 128 characters from A-Z a-z 0-9 _ . : / + - (names end up in
/// report columns, file names and one-line messages, so no spaces, commas or control bytes).
bool valid_layer_name(const std::string& s);
/// Workload names are also safe as a file name: 1 to 128 characters from A-Z a-z 0-9 _ . + -,
/// not starting with a dot.
bool valid_workload_name(const std::string& s);

/// Loads workloads/*.json (schema in docs/WORKLOADS.md). Throws InputError naming the file and
/// the JSON pointer for any unknown key, bad type, bad reference or impossible shape.
/// A path ending in ".csv" is handed to load_scalesim_csv() (models/workload/scalesim_csv.hpp).
Workload load_workload(const std::string& path);
/// Same from an already-parsed document (file_name is only used in messages).
Workload workload_from_json(const std::string& text, const std::string& file_name);

/// Fills in shapes for layers whose geometry is set; validates references, shape agreement of
/// residual adds, non-empty outputs and 64-bit overflow of counts. Throws InputError.
/// The caller sets type, inputs and geometry (for conv2d/fc also out.c: out_channels or
/// out_features); this sets every Layer::in and Layer::out (a global pool's kernel as well).
/// With Workload::independent_layers, layers reading -1 keep the Layer::in they were given.
void infer_shapes(Workload& w);

/// Names the place an infer_shapes() error points at, for a layer index (-1: the network
/// input) and the key of that layer at fault ("" for the layer as a whole). The JSON loader
/// answers JSON pointers ("/layers/3/kernel"); the SCALE-Sim importer answers CSV lines.
using ShapeErrorLocator = std::function<std::string(int layer, const std::string& key)>;
void infer_shapes(Workload& w, const ShapeErrorLocator& where);

}  // namespace kq
