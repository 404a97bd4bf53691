#pragma once
// Builds ONNX models in C++ through the protobuf API, for tests and benchmarks (no exporter,
// no downloads): known weights, any operator and attribute, including broken ones.
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

namespace kqtest {

class OnnxBuilder {
 public:
  explicit OnnxBuilder(int64_t opset = 13, const std::string& graph_name = "test_graph");

  onnx::ModelProto& model() { return model_; }
  onnx::GraphProto& graph() { return *model_.mutable_graph(); }

  /// A float32 graph input; a negative dimension becomes a symbolic one ("N").
  void input(const std::string& name, const std::vector<int64_t>& dims);
  /// A graph output (dims empty: no shape recorded).
  void output(const std::string& name, const std::vector<int64_t>& dims = {});
  /// A recorded intermediate shape (value_info).
  void value_info(const std::string& name, const std::vector<int64_t>& dims);
  /// A float32 initializer in raw_data (or in float_data with raw = false).
  onnx::TensorProto& initializer(const std::string& name, const std::vector<int64_t>& dims,
                                 const std::vector<float>& values, bool raw = true);
  onnx::TensorProto& int64_initializer(const std::string& name, const std::vector<int64_t>& dims,
                                       const std::vector<int64_t>& values);
  onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const std::string& name = "");

  std::string bytes() const;
  void save(const std::string& path) const;

 private:
  onnx::ModelProto model_;
};

void set_attr(onnx::NodeProto& n, const std::string& name, int64_t v);
void set_attr(onnx::NodeProto& n, const std::string& name, float v);
void set_attr(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v);
void set_attr(onnx::NodeProto& n, const std::string& name, const std::string& v);

/// Deterministic pseudo-random floats, N(0, sd²) (kq::Rng, splitmix64 + Box–Muller).
std::vector<float> random_values(size_t n, double sd, uint64_t seed);

}  // namespace kqtest
