#include "models/workload/scalesim_csv.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "models/common/input_error.hpp"

namespace kq {
namespace {

constexpr uint64_t kMaxDim = UINT32_MAX;  // Layer stores geometry as uint32
constexpr size_t kMaxRows = 1'000'000;
constexpr std::uintmax_t kMaxFileBytes = 64u << 20;

const std::vector<std::string> kConvColumns = {"Layer name",    "IFMAP Height", "IFMAP Width",
                                               "Filter Height", "Filter Width", "Channels",
                                               "Num Filter",    "Strides",      "Strides W"};
const std::vector<std::string> kGemmColumns = {"Layer", "M", "N", "K"};

// Echoes file content inside a one-line message: anything but printable ASCII becomes \xNN,
// so a binary file or a stray newline cannot break the line.
std::string show(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s.substr(0, 40)) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
      out += static_cast<char>(c);
    else
      out += fmt::format("\\x{:02x}", c);
  }
  return out + (s.size() > 40 ? "...\"" : "\"");
}

std::string_view trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

// SCALE-Sim rows end with a comma more often than not; trailing empty fields carry nothing.
std::vector<std::string> split_fields(std::string_view line) {
  std::vector<std::string> fields;
  size_t start = 0;
  while (true) {
    const size_t comma = line.find(',', start);
    fields.emplace_back(
        trim(line.substr(start, comma == std::string_view::npos ? line.npos : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  while (!fields.empty() && fields.back().empty()) fields.pop_back();
  return fields;
}

std::string compact_lower(const std::string& s) {
  std::string out;
  for (unsigned char c : s)
    if (c != ' ' && c != '_') out += static_cast<char>(std::tolower(c));
  return out;
}

std::string location(size_t line, size_t column = 0) {
  return column == 0 ? fmt::format("line {}", line)
                     : fmt::format("line {}, column {}", line, column);
}

struct Row {
  size_t line = 0;
  std::vector<std::string> fields;
};

class CsvImporter {
 public:
  CsvImporter(std::string file) : file_(std::move(file)) {}

  Workload run(const std::string& text) {
    if (text.find('\0') != std::string::npos)
      fail(line_of(text, text.find('\0')), 0,
           "NUL byte: binary data; expected a SCALE-Sim topology CSV (text)");
    std::string_view rest(text);
    if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);  // spreadsheet BOM

    std::vector<Row> rows;
    size_t header_line = 0;
    std::vector<std::string> header;
    for (size_t line_no = 1; !rest.empty(); ++line_no) {
      const size_t nl = rest.find('\n');
      const std::string_view line = rest.substr(0, nl);
      rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
      if (trim(line).empty()) continue;
      if (header_line == 0) {
        header_line = line_no;
        header = split_fields(line);
        continue;
      }
      if (rows.size() == kMaxRows)
        fail(line_no, 0, fmt::format("more than {} layer rows; expected fewer", kMaxRows));
      rows.push_back({line_no, split_fields(line)});
    }
    if (header_line == 0)
      fail(1, 0, "empty file; expected a SCALE-Sim topology header line and layer rows");
    read_header(header_line, header);
    if (rows.empty())
      fail(header_line, 0, "no layer rows after the header; expected at least one layer");

    Workload w;
    w.file = file_;
    w.name = workload_name();
    w.independent_layers = true;
    std::unordered_map<std::string, size_t> names;
    for (const Row& row : rows) {
      Layer l = gemm_ ? gemm_layer(row) : conv_layer(row);
      if (auto [it, fresh] = names.emplace(l.name, row.line); !fresh)
        fail(row.line, 1,
             fmt::format("duplicate layer name {} (first on line {}); expected unique names",
                         show(l.name), it->second));
      w.layers.push_back(std::move(l));
    }
    infer_shapes(w, [&](int layer, const std::string& key) {
      const Row& row = rows[static_cast<size_t>(std::max(layer, 0))];
      return location(row.line, column_of(key));
    });
    return w;
  }

 private:
  [[noreturn]] void fail(size_t line, size_t column, const std::string& message) const {
    throw InputError(file_, location(line, column), message);
  }

  static size_t line_of(const std::string& text, size_t pos) {
    return 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + pos, '\n'));
  }

  void read_header(size_t line, const std::vector<std::string>& h) {
    const bool mnk = h.size() == 4 && compact_lower(h[1]) == "m" && compact_lower(h[2]) == "n" &&
                     compact_lower(h[3]) == "k";
    // SCALE-Sim skips the first line unread; a file without a header would silently lose its
    // first layer there, so a numeric second field is an error here.
    const bool numeric =
        h.size() > 1 && !h[1].empty() &&
        std::all_of(h[1].begin(), h[1].end(), [](unsigned char c) { return std::isdigit(c) != 0; });
    if (numeric)
      fail(line, 0,
           "expected a header line before the layer rows (\"Layer name, IFMAP Height, ...\" or "
           "\"Layer, M, N, K\"), got a data row");
    if (h.size() == 4 && !mnk)
      fail(line, 0,
           fmt::format("expected the GEMM header \"Layer, M, N, K\", got {}, {}, {}, {}",
                       show(h[0]), show(h[1]), show(h[2]), show(h[3])));
    if (mnk) {
      gemm_ = true;
      columns_ = 4;
      return;
    }
    if (h.size() == 8 || h.size() == 9) {
      columns_ = h.size();
      return;
    }
    fail(line, 0,
         fmt::format("expected a SCALE-Sim header of 8 columns (Layer name, IFMAP Height, IFMAP "
                     "Width, Filter Height, Filter Width, Channels, Num Filter, Strides) or 4 "
                     "columns (Layer, M, N, K), got {} column(s)",
                     h.size()));
  }

  // Column (1-based) an infer_shapes() complaint about `key` points at.
  size_t column_of(const std::string& key) const {
    if (gemm_) return key == "out_channels" ? 3 : 0;
    if (key == "kernel") return 4;
    if (key == "groups") return 6;
    if (key == "out_channels") return 7;
    if (key == "stride") return 8;
    return 0;
  }

  const std::vector<std::string>& names() const { return gemm_ ? kGemmColumns : kConvColumns; }

  void check_width(const Row& row) const {
    if (row.fields.size() != columns_)
      fail(row.line, 0,
           fmt::format("expected {} columns ({} ... {}), got {}", columns_, names()[0],
                       names()[columns_ - 1], row.fields.size()));
  }

  std::string layer_name(const Row& row) const {
    const std::string& name = row.fields[0];
    if (!valid_layer_name(name))
      fail(row.line, 1,
           fmt::format("{}: expected 1 to 128 characters from A-Z a-z 0-9 _ . : / + -, got {}",
                       names()[0], show(name)));
    return name;
  }

  uint32_t number(const Row& row, size_t column) const {
    const std::string& s = row.fields[column - 1];
    const auto bad = [&] {
      fail(row.line, column,
           fmt::format("{}: expected an integer in [1, {}], got {}", names()[column - 1], kMaxDim,
                       show(s)));
    };
    if (s.empty() || s.size() > 10) bad();
    uint64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') bad();
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    if (v < 1 || v > kMaxDim) bad();
    return static_cast<uint32_t>(v);
  }

  Layer conv_layer(const Row& row) const {
    check_width(row);
    Layer l;
    l.name = layer_name(row);
    l.type = LayerType::conv2d;
    l.inputs = {-1};
    l.in.h = number(row, 2);
    l.in.w = number(row, 3);
    l.kh = number(row, 4);
    l.kw = number(row, 5);
    l.in.c = number(row, 6);
    l.out.c = number(row, 7);
    l.sh = number(row, 8);
    l.sw = columns_ == 9 ? number(row, 9) : l.sh;
    // SCALE-Sim sizes include the padding already, and round the output up.
    l.ceil_mode = true;
    if (l.kh > l.in.h)
      fail(row.line, 4,
           fmt::format("Filter Height {} exceeds IFMAP Height {}; expected a filter that fits "
                       "the (padded) input",
                       l.kh, l.in.h));
    if (l.kw > l.in.w)
      fail(row.line, 5,
           fmt::format("Filter Width {} exceeds IFMAP Width {}; expected a filter that fits "
                       "the (padded) input",
                       l.kw, l.in.w));
    return l;
  }

  // An M×K by K×N product as a 1×1 conv: K input channels over 1×M pixels, N filters, so the
  // GEMM view is P = M, K = K, N = N with the same operand matrices SCALE-Sim builds.
  Layer gemm_layer(const Row& row) const {
    check_width(row);
    Layer l;
    l.name = layer_name(row);
    l.type = LayerType::conv2d;
    l.inputs = {-1};
    const uint32_t m = number(row, 2), n = number(row, 3), k = number(row, 4);
    l.in = {k, 1, m};
    l.out.c = n;
    l.ceil_mode = true;
    return l;
  }

  std::string workload_name() const {
    std::string stem = std::filesystem::path(file_).stem().string();
    if (stem.size() > 128) stem.resize(128);
    for (char& c : stem)
      if (!valid_layer_name(std::string(1, c)) || c == ':' || c == '/') c = '_';
    if (!stem.empty() && stem.front() == '.') stem.front() = '_';
    return stem.empty() ? "scalesim" : stem;
  }

  std::string file_;
  bool gemm_ = false;
  size_t columns_ = 0;
};

}  // namespace

Workload scalesim_csv_from_text(const std::string& text, const std::string& file_name) {
  return CsvImporter(file_name).run(text);
}

Workload load_scalesim_csv(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw InputError(path, "", "cannot open file; expected a SCALE-Sim topology CSV");
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxFileBytes)
    throw InputError(path, "",
                     fmt::format("file of {} bytes; expected a topology CSV of at most {} bytes",
                                 size, kMaxFileBytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", "cannot open file; expected a SCALE-Sim topology CSV");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw InputError(path, "", "read error");
  return scalesim_csv_from_text(ss.str(), path);
}

}  // namespace kq
