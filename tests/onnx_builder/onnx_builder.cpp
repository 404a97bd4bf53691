#include "onnx_builder/onnx_builder.hpp"

#include <cstring>
#include <fstream>
#include <stdexcept>

#include "models/workload/synthetic.hpp"

namespace kqtest {
namespace {

void set_shape(onnx::ValueInfoProto& v, const std::vector<int64_t>& dims) {
  auto* tt = v.mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  if (dims.empty()) return;
  auto* shape = tt->mutable_shape();
  for (int64_t d : dims) {
    auto* dim = shape->add_dim();
    if (d < 0)
      dim->set_dim_param("N");
    else
      dim->set_dim_value(d);
  }
}

onnx::AttributeProto& new_attr(onnx::NodeProto& n, const std::string& name,
                               onnx::AttributeProto::AttributeType t) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(t);
  return *a;
}

}  // namespace

OnnxBuilder::OnnxBuilder(int64_t opset, const std::string& graph_name) {
  model_.set_ir_version(8);
  model_.set_producer_name("kqsim-tests");
  auto* op = model_.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  model_.mutable_graph()->set_name(graph_name);
}

void OnnxBuilder::input(const std::string& name, const std::vector<int64_t>& dims) {
  auto* v = graph().add_input();
  v->set_name(name);
  set_shape(*v, dims);
}

void OnnxBuilder::output(const std::string& name, const std::vector<int64_t>& dims) {
  auto* v = graph().add_output();
  v->set_name(name);
  set_shape(*v, dims);
}

void OnnxBuilder::value_info(const std::string& name, const std::vector<int64_t>& dims) {
  auto* v = graph().add_value_info();
  v->set_name(name);
  set_shape(*v, dims);
}

onnx::TensorProto& OnnxBuilder::initializer(const std::string& name,
                                            const std::vector<int64_t>& dims,
                                            const std::vector<float>& values, bool raw) {
  auto* t = graph().add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  if (raw) {
    std::string bytes(values.size() * 4, '\0');
    std::memcpy(bytes.data(), values.data(), bytes.size());
    t->set_raw_data(bytes);
  } else {
    for (float v : values) t->add_float_data(v);
  }
  return *t;
}

onnx::TensorProto& OnnxBuilder::int64_initializer(const std::string& name,
                                                  const std::vector<int64_t>& dims,
                                                  const std::vector<int64_t>& values) {
  auto* t = graph().add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  for (int64_t d : dims) t->add_dims(d);
  for (int64_t v : values) t->add_int64_data(v);
  return *t;
}

onnx::NodeProto& OnnxBuilder::node(const std::string& op, const std::vector<std::string>& inputs,
                                   const std::vector<std::string>& outputs,
                                   const std::string& name) {
  auto* n = graph().add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto& i : inputs) n->add_input(i);
  for (const auto& o : outputs) n->add_output(o);
  return *n;
}

std::string OnnxBuilder::bytes() const {
  std::string s;
  if (!model_.SerializeToString(&s)) throw std::runtime_error("cannot serialize the model");
  return s;
}

void OnnxBuilder::save(const std::string& path) const {
  std::ofstream out(path, std::ios::binary);
  const std::string b = bytes();
  out.write(b.data(), static_cast<std::streamsize>(b.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

void set_attr(onnx::NodeProto& n, const std::string& name, int64_t v) {
  new_attr(n, name, onnx::AttributeProto::INT).set_i(v);
}

void set_attr(onnx::NodeProto& n, const std::string& name, float v) {
  new_attr(n, name, onnx::AttributeProto::FLOAT).set_f(v);
}

void set_attr(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v) {
  auto& a = new_attr(n, name, onnx::AttributeProto::INTS);
  for (int64_t x : v) a.add_ints(x);
}

void set_attr(onnx::NodeProto& n, const std::string& name, const std::string& v) {
  new_attr(n, name, onnx::AttributeProto::STRING).set_s(v);
}

std::vector<float> random_values(size_t n, double sd, uint64_t seed) {
  kq::Rng r(seed);
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(sd * r.normal());
  return v;
}

}  // namespace kqtest
