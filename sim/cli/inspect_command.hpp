#pragma once

namespace kq {
/// `kqsim inspect MODEL`: the layer table kqsim derives from an .onnx file (or a workload
/// .json/.csv): shapes, MACs, parameters, and for ONNX the nodes behind each layer.
int inspect_command(int argc, char* argv[]);
}  // namespace kq
