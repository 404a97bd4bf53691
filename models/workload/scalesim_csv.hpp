#pragma once
#include <string>

#include "models/workload/workload.hpp"

namespace kq {

/// Imports a SCALE-Sim topology CSV (docs/WORKLOADS.md, "SCALE-Sim topologies"). Two layouts,
/// told apart by the header line:
///   conv: "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels,
///          Num Filter, Strides[, Strides W]"  — sizes already include padding;
///   GEMM: "Layer, M, N, K"                    — one M×K by K×N product per row.
/// Every row becomes one conv2d layer with ceil output rounding (SCALE-Sim's rule), reading its
/// own input (Workload::independent_layers): a topology is a list of layers, not a graph.
/// A GEMM row is a 1×1 conv over a K×1×M input with N filters (P = M, K = K, N = N).
/// Throws InputError located as "line N" or "line N, column X" for any malformed row.
Workload load_scalesim_csv(const std::string& path);
/// Same from text already read (file_name names the file in messages and the workload).
Workload scalesim_csv_from_text(const std::string& text, const std::string& file_name);

}  // namespace kq
