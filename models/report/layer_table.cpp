#include "models/report/layer_table.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace kq {
namespace {

using ordered = nlohmann::ordered_json;

std::string shape_str(const Shape& s) {
  return fmt::format("{}x{}x{}", s.c, s.h, s.w);
}

/// 1234567 → "1,234,567": MAC counts are long.
std::string grouped(uint64_t v) {
  std::string digits = std::to_string(v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

bool has_window(const Layer& l) {
  return l.type == LayerType::conv2d || l.type == LayerType::maxpool ||
         l.type == LayerType::avgpool;
}

std::string geometry(const Layer& l) {
  if (l.type == LayerType::relu && l.relu_cap > 0) return fmt::format("cap {}", l.relu_cap);
  if (!has_window(l)) return "";
  if (l.global_pool) return "global";
  std::string g = fmt::format("k{}x{} s{}x{} p{}x{}", l.kh, l.kw, l.sh, l.sw, l.ph, l.pw);
  if (l.dh != 1 || l.dw != 1) g += fmt::format(" d{}x{}", l.dh, l.dw);
  if (l.groups != 1) g += fmt::format(" g{}", l.groups);
  if (l.ceil_mode) g += " ceil";
  return g;
}

}  // namespace

std::string layer_table_text(const Workload& w, const std::vector<std::string>* origins) {
  struct Row {
    std::string cells[9];
  };
  std::vector<Row> rows;
  rows.push_back({{"#", "layer", "type", "input", "output", "geometry", "MACs", "params",
                   origins ? "from" : ""}});
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const Layer& l = w.layers[i];
    std::string in = shape_str(l.in);
    if (l.type == LayerType::add) in += " (x2)";
    rows.push_back({{std::to_string(i), l.name, std::string(to_string(l.type)), in,
                     shape_str(l.out), geometry(l), grouped(l.macs()), grouped(l.params()),
                     origins && i < origins->size() ? (*origins)[i] : ""}});
  }
  size_t width[9] = {};
  for (const Row& r : rows)
    for (int c = 0; c < 8; ++c) width[c] = std::max(width[c], r.cells[c].size());
  std::string out =
      fmt::format("{}: input {}, {} layers\n", w.name, shape_str(w.input), w.layers.size());
  for (const Row& r : rows) {
    std::string line;
    for (int c = 0; c < 9; ++c) {
      const bool numeric = c == 0 || c == 6 || c == 7;
      if (c == 8) {
        line += r.cells[c];
      } else if (numeric) {
        line += fmt::format("{:>{}}  ", r.cells[c], width[c]);
      } else {
        line += fmt::format("{:<{}}  ", r.cells[c], width[c]);
      }
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  uint64_t weights = 0;
  for (const Layer& l : w.layers) weights += l.weight_params();
  out += fmt::format("total: {} MACs, {} parameters ({} conv/fc weights)\n",
                     grouped(w.total_macs()), grouped(w.total_params()), grouped(weights));
  return out;
}

ordered layer_table_json(const Workload& w, const std::vector<std::string>* origins) {
  ordered j;
  j["workload"] = w.name;
  j["input"] = ordered{{"channels", w.input.c}, {"height", w.input.h}, {"width", w.input.w}};
  ordered layers = ordered::array();
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const Layer& l = w.layers[i];
    ordered e;
    e["index"] = i;
    e["name"] = l.name;
    e["type"] = std::string(to_string(l.type));
    ordered ins = ordered::array();
    for (int src : l.inputs)
      ins.push_back(src < 0 ? std::string("input") : w.layers[static_cast<size_t>(src)].name);
    e["inputs"] = ins;
    e["in"] = ordered::array({l.in.c, l.in.h, l.in.w});
    e["out"] = ordered::array({l.out.c, l.out.h, l.out.w});
    if (has_window(l)) {
      e["kernel"] = ordered::array({l.kh, l.kw});
      e["stride"] = ordered::array({l.sh, l.sw});
      e["padding"] = ordered::array({l.ph, l.pw});
      e["dilation"] = ordered::array({l.dh, l.dw});
      e["groups"] = l.groups;
      e["global"] = l.global_pool;
      e["ceil_mode"] = l.ceil_mode;
    }
    if (l.on_array()) e["bias"] = l.bias;
    if (l.type == LayerType::relu && l.relu_cap > 0) e["cap"] = l.relu_cap;
    e["macs"] = l.macs();
    e["params"] = l.params();
    if (origins && i < origins->size()) e["from"] = (*origins)[i];
    layers.push_back(e);
  }
  j["layers"] = layers;
  uint64_t weights = 0;
  for (const Layer& l : w.layers) weights += l.weight_params();
  j["totals"] = ordered{{"layers", w.layers.size()},
                        {"macs", w.total_macs()},
                        {"params", w.total_params()},
                        {"weight_params", weights}};
  return j;
}

}  // namespace kq
