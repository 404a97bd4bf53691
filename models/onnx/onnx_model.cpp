#include "models/onnx/onnx_model.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/stubs/logging.h>
#include <onnx/onnx_pb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>

#include "models/common/input_error.hpp"
#include "models/onnx/onnx_graph_import.hpp"

namespace kq {
namespace {

// The operator versions the importer's mapping follows (docs/ONNX.md).
constexpr int64_t kMinOpset = 11, kMaxOpset = 17;

/// Protobuf logs some parse failures to stderr; the one-line error contract wants silence.
class QuietProtobuf {
 public:
  QuietProtobuf() : previous_(google::protobuf::SetLogHandler(nullptr)) {}
  ~QuietProtobuf() { google::protobuf::SetLogHandler(previous_); }
  QuietProtobuf(const QuietProtobuf&) = delete;
  QuietProtobuf& operator=(const QuietProtobuf&) = delete;

 private:
  google::protobuf::LogHandler* previous_;
};

std::string stem_of(const std::string& path) {
  std::string base = path.substr(path.find_last_of('/') + 1);
  const size_t dot = base.find_last_of('.');
  if (dot != std::string::npos && dot > 0) base.resize(dot);
  return base;
}

/// A workload name from the file's stem (or the graph's name): characters outside the
/// workload-name alphabet become '_'.
std::string workload_name(const std::string& file, const std::string& graph_name) {
  for (const std::string& raw : {stem_of(file), graph_name}) {
    std::string s;
    for (char c : raw)
      s += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '+' ||
            c == '-')
               ? c
               : '_';
    if (s.size() > 128) s.resize(128);
    while (!s.empty() && s.front() == '.') s.erase(s.begin());
    if (valid_workload_name(s)) return s;
  }
  return "onnx_model";
}

void check_size(uint64_t size, const std::string& file_name) {
  if (size == 0) throw InputError(file_name, "", "empty file; expected an ONNX model");
  // Protobuf addresses a message with int: ONNX's own limit, beyond which exporters must use
  // external data.
  if (size >= INT_MAX)
    throw InputError(file_name, "",
                     "is 2 GiB or larger, which protobuf cannot parse; save the weights as "
                     "external data (onnx.save_model(..., save_as_external_data=True))");
}

void parse(google::protobuf::io::ZeroCopyInputStream& stream, onnx::ModelProto& model,
           const std::string& file_name) {
  QuietProtobuf quiet;
  google::protobuf::io::CodedInputStream in(&stream);
  // The default 64 MiB limit would reject a ResNet-50-sized model (~100 MB).
  in.SetTotalBytesLimit(INT_MAX);
  if (!model.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage())
    throw InputError(file_name, "",
                     "not a valid ONNX model (protobuf parsing failed: truncated or corrupt "
                     "file)");
}

OnnxModel import_model(onnx::ModelProto& model, const std::string& file_name,
                       const std::string& model_dir, uint64_t seed) {
  if (!model.has_graph())
    throw InputError(file_name, "", "holds no graph; not an ONNX model (truncated or corrupt?)");
  OnnxModel m;
  m.info.ir_version = model.ir_version();
  if (model.ir_version() < 3)
    throw InputError(file_name, "ir_version",
                     fmt::format("{} is not a valid ONNX IR version (expected >= 3; truncated or "
                                 "corrupt file?)",
                                 model.ir_version()));
  bool found = false;
  for (const auto& op : model.opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx") {
      found = true;
      m.info.opset = op.version();
    }
  if (!found)
    throw InputError(file_name, "opset_import", "declares no ai.onnx opset (corrupt file?)");
  if (m.info.opset < kMinOpset || m.info.opset > kMaxOpset)
    throw InputError(file_name, "opset_import",
                     fmt::format("opset {} is not supported (expected {} to {}; re-export with "
                                 "torch.onnx.export(..., opset_version=13))",
                                 m.info.opset, kMinOpset, kMaxOpset));
  m.info.producer = model.producer_name() +
                    (model.producer_version().empty() ? "" : " " + model.producer_version());
  m.info.graph_name = model.graph().name();
  OnnxGraphImport g = import_onnx_graph(*model.mutable_graph(), file_name, model_dir,
                                        workload_name(file_name, model.graph().name()));
  m.workload = std::move(g.workload);
  m.sources = std::move(g.sources);
  m.info.input_name = std::move(g.input_name);
  m.info.output_name = std::move(g.output_name);
  m.info.pruned_nodes = g.pruned_nodes;
  // The input is seeded synthetic exactly as for a JSON workload of the same input shape
  // (synthetic_params draws the input from its own stream), without drawing synthetic weights
  // the graph replaces anyway.
  Workload input_only;
  input_only.input = m.workload.input;
  m.params.input = synthetic_params(input_only, seed).input;
  m.params.layers = std::move(g.layers);
  return m;
}

}  // namespace

bool is_onnx_path(const std::string& path) {
  if (path.size() < 5) return false;
  std::string ext = path.substr(path.size() - 5);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".onnx";
}

OnnxModel onnx_model_from_bytes(const std::string& bytes, const std::string& file_name,
                                const std::string& model_dir, uint64_t seed) {
  check_size(bytes.size(), file_name);
  onnx::ModelProto model;
  google::protobuf::io::ArrayInputStream raw(bytes.data(), static_cast<int>(bytes.size()));
  parse(raw, model, file_name);
  return import_model(model, file_name, model_dir, seed);
}

OnnxModel load_onnx_model(const std::string& path, uint64_t seed) {
  const size_t slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  if (dir.empty()) dir = "/";
  // Parsed straight from the file: no second copy of a 100 MB model in memory.
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw InputError(path, "", "cannot open file");
  onnx::ModelProto model;
  try {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
      throw InputError(path, "", "not a regular file");
    check_size(static_cast<uint64_t>(st.st_size), path);
    google::protobuf::io::FileInputStream in(fd);
    parse(in, model, path);
    if (in.GetErrno() != 0) throw InputError(path, "", "cannot read file");
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return import_model(model, path, dir, seed);
}

}  // namespace kq
