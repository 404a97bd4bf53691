// kqsim sweep end to end, in child processes: records equal what `kqsim run` reports for the
// same design, threads and resumed runs give the same bytes, invalid points carry their
// reason, pareto.csv is exactly the non-dominated set, --verify-top agrees with the cycle
// model.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "onnx_builder/test_models.hpp"
#include "sim/process.hpp"
#include "sim/report_util.hpp"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

/// A fresh temporary folder, removed with everything in it when the test case ends.
struct TempDir {
  explicit TempDir(const std::string& tag) : path(kqtest::make_temp_dir(tag)) {}
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string path;
};

const char* kFiles[] = {"results.jsonl", "results.csv", "pareto.csv", "summary.md", "sweep.json"};

std::string write_spec(const std::string& dir, const std::string& name, const json& spec) {
  const std::string path = dir + "/" + name + ".json";
  std::ofstream(path) << spec.dump(2);
  return path;
}

json records_of(const std::string& out) {
  json all = json::array();
  std::istringstream in(kqtest::read_text(out + "/results.jsonl"));
  for (std::string line; std::getline(in, line);) all.push_back(json::parse(line));
  return all;
}

kqtest::ProcessResult sweep(const std::vector<std::string>& args) {
  std::vector<std::string> a{"sweep"};
  a.insert(a.end(), args.begin(), args.end());
  return kqtest::run_kqsim(a);
}

void require_ok(const kqtest::ProcessResult& r) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
}

/// fp32 and int8 MAC arrays of a few shapes and dataflows on two small networks.
json mac_spec(const std::string& base) {
  return {
      {"name", "mac"},
      {"base", kqtest::source_path("arch_configs/" + base + ".json")},
      {"workloads",
       {kqtest::source_path("workloads/test/tiny_cnn.json"),
        kqtest::source_path("workloads/test/strided_conv.json")}},
      {"axes",
       {{{"name", "rows"}, {"pointer", "/array/rows"}, {"values", {4, 8, 16}}},
        {{"name", "cols"}, {"pointer", "/array/cols"}, {"values", {4, 12}}},
        {{"name", "dataflow"}, {"pointer", "/array/dataflow"}, {"values", {"ws", "os", "is"}}},
        {{"name", "dram"}, {"pointer", "/dram/bandwidth_bytes_per_cycle"}, {"values", {2, 32}}}}},
      {"derived",
       {{{"pointer", "/array/multipliers/count"}, {"product_of", {"/array/rows", "/array/cols"}}},
        {{"pointer", "/array/adders/count"}, {"product_of", {"/array/rows", "/array/cols"}}}}},
      {"constraints", {{"latency_ms", {{"max", 0.05}}}}}};
}

}  // namespace

TEST_CASE("sweep records equal kqsim run --mode analytic on the same designs", "[sweep]") {
  const TempDir temp("sweep_equal");
  const std::string& dir = temp.path;
  // MAC arrays, KCNN planes (fitted once per M) and KQ codebooks (once per K).
  json kcnn = {
      {"name", "kcnn"},
      {"base", kqtest::source_path("arch_configs/kcnn_m2_16x16.json")},
      {"workloads", {kqtest::source_path("workloads/test/tiny_cnn.json")}},
      {"seed", 7},
      {"axes",
       {{{"name", "planes"}, {"pointer", "/kcnn/planes"}, {"values", {2, 3}}},
        {{"name", "zero_skip"}, {"pointers", {"/kcnn/zero_skip"}}, {"values", {false, true}}},
        {{"name", "multipliers"}, {"pointer", "/array/multipliers/count"}, {"values", {8, 64}}}}}};
  kcnn["axes"].push_back(
      {{"name", "alphabet"}, {"pointer", "/kcnn/alphabet"}, {"values", {"zero_one"}}});
  json kq = {{"name", "kq"},
             {"base", kqtest::source_path("arch_configs/kq_k256_16x16.json")},
             {"workloads", {kqtest::source_path("workloads/test/tiny_cnn.json")}},
             {"axes",
              {{{"name", "codewords"}, {"pointer", "/kq/codewords"}, {"values", {8, 16}}},
               {{"name", "banks"}, {"pointer", "/buffers/codebook/banks"}, {"values", {1, 4}}}}}};
  // zero_skip needs a {0,1} alphabet; the base has pm1, so this axis sets it.
  for (const auto& [name, spec] : std::vector<std::pair<std::string, json>>{
           {"int8", mac_spec("baseline_int8_16x16")}, {"kcnn", kcnn}, {"kq", kq}}) {
    INFO(name);
    const std::string out = dir + "/" + name;
    require_ok(sweep({write_spec(dir, name, spec), "--out", out, "-q"}));
    const json records = records_of(out);
    int compared = 0;
    for (const json& r : records) {
      if (r["status"] != "ok" || r["point"].get<uint64_t>() % 3 != 0) continue;
      // The same design, written out by hand from the spec, through `kqsim run`.
      json arch = json::parse(kqtest::read_text(spec["base"].get<std::string>()));
      for (const json& axis : spec["axes"]) {
        const json v = r["values"][axis["name"].get<std::string>()];
        const json pointers =
            axis.contains("pointer") ? json::array({axis["pointer"]}) : axis["pointers"];
        for (const json& p : pointers) arch[json::json_pointer(p.get<std::string>())] = v;
      }
      if (spec.contains("derived"))
        for (const json& d : spec["derived"]) {
          uint64_t prod = 1;
          for (const json& f : d["product_of"])
            prod *= arch[json::json_pointer(f.get<std::string>())].get<uint64_t>();
          arch[json::json_pointer(d["pointer"].get<std::string>())] = prod;
        }
      arch["tech"]["table"] = kqtest::source_path("arch_configs/tech/generic_45nm.json");
      const std::string arch_path = dir + "/" + name + "_arch.json";
      std::ofstream(arch_path) << arch.dump();
      std::string workload;
      for (const json& w : spec["workloads"])
        if (w.get<std::string>().find(r["workload"].get<std::string>()) != std::string::npos)
          workload = w.get<std::string>();
      const json rep =
          kqtest::run_report({"--arch", arch_path, "--workload", workload, "--mode", "analytic",
                              "--seed", std::to_string(spec.value("seed", 1))});
      const json& t = rep["totals"];
      const json& m = r["metrics"];
      INFO("record " << r.dump());
      CHECK(m["cycles"] == t["cycles"]);
      CHECK(m["energy_mj"].get<double>() == t["energy_pj"].get<double>() * 1e-9);
      CHECK(m["area_mm2"].get<double>() == t["area_um2"].get<double>() * 1e-6);
      CHECK(m["latency_ms"].get<double>() == t["latency_us"].get<double>() / 1000.0);
      CHECK(m["multiplications"] == t["multiplications"]);
      CHECK(m["dram_bytes"] == t["dram_bytes"]);
      CHECK(m["array_utilization"] == t["array_utilization"]);
      if (t.contains("bits_per_weight")) {
        CHECK(m["bits_per_weight"].get<double>() == Approx(t["bits_per_weight"].get<double>()));
        CHECK(m["weight_sqnr_db"] == t["weight_sqnr_db"]);
      }
      ++compared;
    }
    CHECK(compared >= 2);
  }
}

TEST_CASE("sweep: threads and a resumed run give byte-identical files", "[sweep]") {
  const TempDir temp("sweep_resume");
  const std::string& dir = temp.path;
  json spec = mac_spec("baseline_fp32_16x16");
  spec["workloads"].push_back(kqtest::source_path("workloads/resnet18.json"));
  spec["axes"][1]["values"] = {4, 8, 12, 16, 24, 32};
  const std::string s = write_spec(dir, "spec", spec);
  const std::string ref = dir + "/one", many = dir + "/many";
  require_ok(sweep({s, "--out", ref, "--jobs", "1", "-q"}));
  require_ok(sweep({s, "--out", many, "--jobs", "3", "-q"}));
  for (const char* f : kFiles) {
    INFO(f);
    CHECK(kqtest::read_text(ref + "/" + f) == kqtest::read_text(many + "/" + f));
  }
  const std::string jsonl = kqtest::read_text(ref + "/results.jsonl");
  const std::string summary = kqtest::read_text(ref + "/summary.md");
  CHECK(summary.find("## Workload `resnet18`") != std::string::npos);
  // Killed at arbitrary moments (SIGKILL, no chance to flush), then restarted with the same
  // command: whatever was on disk is kept or redone, never lost or doubled.
  for (const char* after : {"0.05", "0.2", "0.5"}) {
    INFO("killed after " << after << " s");
    const std::string out = dir + "/killed_" + after;
    kqtest::run_process({"/usr/bin/timeout", "-s", "KILL", after, KQSIM_BINARY, "sweep", s, "--out",
                         out, "--jobs", "2", "-q"});
    require_ok(sweep({s, "--out", out, "--jobs", "2", "-q"}));
    for (const char* f : kFiles) {
      INFO(f);
      CHECK(kqtest::read_text(ref + "/" + f) == kqtest::read_text(out + "/" + f));
    }
  }
  // A deterministic kill: the file cut inside a record, a point with only one of its three
  // records, the CSV lagging behind.
  const std::string cut = dir + "/cut";
  fs::create_directories(cut);
  fs::copy_file(ref + "/sweep.json", cut + "/sweep.json");
  size_t at = jsonl.size() / 3;
  at = jsonl.find('\n', at) + 1;  // after a whole record...
  at = jsonl.find('\n', at) + 1;  // ...and one more: a point missing a workload
  const size_t half = at + 40;    // and half of the next line
  std::ofstream(cut + "/results.jsonl") << jsonl.substr(0, half);
  std::ofstream(cut + "/results.csv") << "point,workload\n0,x\n";
  const kqtest::ProcessResult r = sweep({s, "--out", cut, "-q"});
  require_ok(r);
  for (const char* f : kFiles) {
    INFO(f);
    CHECK(kqtest::read_text(ref + "/" + f) == kqtest::read_text(cut + "/" + f));
  }
  // A complete sweep run again evaluates nothing and rewrites the same files.
  const kqtest::ProcessResult again = sweep({s, "--out", ref});
  require_ok(again);
  CHECK(again.out.find("0 evaluated now") != std::string::npos);
  CHECK(kqtest::read_text(ref + "/results.jsonl") == jsonl);
}

TEST_CASE("sweep: a folder of another sweep is refused and left alone", "[sweep]") {
  const TempDir temp("sweep_other");
  const std::string& dir = temp.path;
  json spec = mac_spec("baseline_fp32_16x16");
  const std::string out = dir + "/out";
  require_ok(sweep({write_spec(dir, "a", spec), "--out", out, "-q"}));
  const std::string before = kqtest::read_text(out + "/results.jsonl");
  spec["axes"][0]["values"] = {4, 8};
  const kqtest::ProcessResult r = sweep({write_spec(dir, "b", spec), "--out", out, "-q"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("different sweep") != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(kqtest::read_text(out + "/results.jsonl") == before);
}

TEST_CASE("sweep: invalid points are recorded with their reason, constraints applied", "[sweep]") {
  const TempDir temp("sweep_invalid");
  const std::string& dir = temp.path;
  json spec = mac_spec("baseline_fp32_16x16");
  // Tiny buffers: os and is cannot map some layers (ws chunks instead); a 17-bit word is no
  // multiple of the fp32 element, so every such point is invalid at the arch reader.
  spec["axes"].push_back(
      {{"name", "buffer"},
       {"pointers", {"/buffers/ifmap/capacity_bytes", "/buffers/weight/capacity_bytes"}},
       {"values", {2048, 1048576}}});
  spec["axes"].push_back(
      {{"name", "word"}, {"pointer", "/buffers/ofmap/word_bits"}, {"values", {128, 17}}});
  const std::string out = dir + "/out";
  require_ok(sweep({write_spec(dir, "spec", spec), "--out", out, "-q"}));
  const json records = records_of(out);
  REQUIRE(records.size() == 3 * 2 * 3 * 2 * 2 * 2 * 2);
  int word_invalid = 0, buffer_invalid = 0, ok = 0, infeasible = 0;
  for (const json& r : records) {
    if (r["values"]["word"] == 17) {
      CHECK(r["status"] == "invalid");
      CHECK(r["reason"].get<std::string>().find("/buffers/ofmap/word_bits") != std::string::npos);
      ++word_invalid;
    } else if (r["status"] == "invalid") {
      CHECK(r["values"]["buffer"] == 2048);
      CHECK(r["values"]["dataflow"] != "ws");
      CHECK(r["reason"].get<std::string>().find("/capacity_bytes") != std::string::npos);
      ++buffer_invalid;
    } else {
      ++ok;
      const bool slow = r["metrics"]["latency_ms"].get<double>() > 0.05;
      CHECK(r["feasible"] == !slow);
      CHECK(r["violations"] == (slow ? json::array({"latency_ms"}) : json::array()));
      infeasible += slow;
    }
  }
  CHECK(word_invalid == static_cast<int>(records.size() / 2));
  CHECK(buffer_invalid > 0);
  CHECK(ok > 0);
  CHECK(infeasible > 0);
  CHECK(infeasible < ok);
  const std::string summary = kqtest::read_text(out + "/summary.md");
  CHECK(summary.find("Invalid designs, by reason") != std::string::npos);
  CHECK(summary.find("/buffers/ofmap/word_bits") != std::string::npos);
}

TEST_CASE("sweep: pareto.csv holds exactly the non-dominated feasible designs", "[sweep]") {
  const TempDir temp("sweep_pareto");
  const std::string& dir = temp.path;
  const std::string out = dir + "/out";
  require_ok(sweep({write_spec(dir, "spec", mac_spec("baseline_int8_16x16")), "--out", out, "-q"}));
  const json records = records_of(out);
  std::map<std::string, std::set<uint64_t>> front;
  std::istringstream csv(kqtest::read_text(out + "/pareto.csv"));
  std::string line;
  std::getline(csv, line);
  CHECK(line.rfind("workload,point,rows,cols,dataflow,dram,energy_mj,latency_ms,area_mm2", 0) == 0);
  while (std::getline(csv, line)) {
    const size_t c1 = line.find(','), c2 = line.find(',', c1 + 1);
    front[line.substr(0, c1)].insert(std::stoull(line.substr(c1 + 1, c2 - c1 - 1)));
  }
  auto obj = [](const json& r, const char* k) { return r["metrics"][k].get<double>(); };
  int on_front = 0;
  for (const json& q : records) {
    if (q["status"] != "ok" || !q["feasible"].get<bool>()) {
      CHECK(front[q["workload"]].count(q["point"].get<uint64_t>()) == 0);
      continue;
    }
    bool dominated = false;
    for (const json& p : records) {
      if (p["workload"] != q["workload"] || p["status"] != "ok" || !p["feasible"].get<bool>())
        continue;
      const double pe = obj(p, "energy_mj"), pl = obj(p, "latency_ms"), pa = obj(p, "area_mm2");
      const double qe = obj(q, "energy_mj"), ql = obj(q, "latency_ms"), qa = obj(q, "area_mm2");
      dominated |= pe <= qe && pl <= ql && pa <= qa && (pe < qe || pl < ql || pa < qa);
    }
    INFO(q.dump());
    CHECK(front[q["workload"]].count(q["point"].get<uint64_t>()) == (dominated ? 0u : 1u));
    on_front += !dominated;
  }
  CHECK(on_front >= 2);
}

TEST_CASE("sweep --verify-top: the cycle model agrees on the best designs", "[sweep]") {
  const TempDir temp("sweep_verify");
  const std::string& dir = temp.path;
  json spec = mac_spec("baseline_int8_16x16");
  spec["workloads"] = {kqtest::source_path("workloads/test/tiny_cnn.json")};
  spec.erase("constraints");
  const std::string out = dir + "/out";
  const kqtest::ProcessResult r =
      sweep({write_spec(dir, "spec", spec), "--out", out, "--verify-top", "2"});
  require_ok(r);
  std::istringstream csv(kqtest::read_text(out + "/verify.csv"));
  std::string line;
  std::getline(csv, line);
  int rows = 0;
  while (std::getline(csv, line)) {
    INFO(line);
    CHECK(line.find(",ok,") != std::string::npos);
    // delta_cycles, delta_energy_mj and delta_dram_bytes: the models agree exactly.
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
    REQUIRE(f.size() == 13);
    CHECK(f[6] == "0");
    CHECK(std::stod(f[9]) == 0.0);
    CHECK(f[12] == "0");
    ++rows;
  }
  // Two per objective, some designs best in more than one.
  CHECK(rows >= 2);
  CHECK(rows <= 6);
  CHECK(r.out.find("0 differ from the analytic model, 0 failed") != std::string::npos);
  CHECK(kqtest::read_text(out + "/summary.md").find("Cycle-model verification") !=
        std::string::npos);
  CHECK(fs::exists(out + "/verify"));
}

TEST_CASE("sweep: an .onnx workload fits the quantizers to the graph's trained weights",
          "[sweep]") {
  const TempDir temp("sweep_onnx");
  const std::string& dir = temp.path;
  const std::string model = dir + "/small_cnn.onnx";
  kqtest::small_cnn(1).save(model);
  // The same layers as a workload file: only the weights differ (seeded synthetic ones).
  const std::string shapes = dir + "/small_cnn_shapes.json";
  std::ofstream(shapes)
      << json{{"name", "small_cnn_shapes"},
              {"input", {{"channels", 1}, {"height", 28}, {"width", 28}}},
              {"layers",
               {{{"name", "conv1"},
                 {"type", "conv2d"},
                 {"out_channels", 16},
                 {"kernel", 3},
                 {"padding", 1},
                 {"bias", true}},
                {{"name", "relu1"}, {"type", "relu"}},
                {{"name", "pool1"}, {"type", "maxpool"}, {"kernel", 2}, {"stride", 2}},
                {{"name", "conv2"},
                 {"type", "conv2d"},
                 {"out_channels", 32},
                 {"kernel", 3},
                 {"padding", 1},
                 {"bias", true}},
                {{"name", "relu2"}, {"type", "relu"}},
                {{"name", "pool2"}, {"type", "maxpool"}, {"kernel", 2}, {"stride", 2}},
                {{"name", "fc"}, {"type", "fc"}, {"out_features", 10}, {"bias", true}}}}}
             .dump(2);
  struct Design {
    const char* base;
    const char* axis;
    const char* pointer;
    json values;
  };
  for (const Design& d : {Design{"kcnn_m2_16x16", "planes", "/kcnn/planes", {1, 2}},
                          Design{"kq_k256_16x16", "codewords", "/kq/codewords", {64, 256}}}) {
    INFO(d.base);
    const std::string base = kqtest::source_path(std::string("arch_configs/") + d.base + ".json");
    auto spec_for = [&](const std::string& name, const std::string& workload) {
      return write_spec(
          dir, name,
          {{"name", name},
           {"base", base},
           {"workloads", {workload}},
           {"axes", {{{"name", d.axis}, {"pointer", d.pointer}, {"values", d.values}}}}});
    };
    const std::string out_onnx = dir + "/" + d.base + "_onnx";
    const std::string out_synth = dir + "/" + d.base + "_synth";
    require_ok(sweep({spec_for("onnx", model), "--out", out_onnx, "-q", "--jobs", "2"}));
    require_ok(sweep({spec_for("synth", shapes), "--out", out_synth, "-q", "--jobs", "2"}));
    const json a = records_of(out_onnx), b = records_of(out_synth);
    REQUIRE(a.size() == 2);
    REQUIRE(b.size() == 2);
    // The point of the base design, as kqsim run computes it on the same graph.
    const json run = kqtest::run_report({"--arch", base, "--model", model, "--mode", "analytic"});
    for (size_t p = 0; p < 2; ++p) {
      INFO("point " << p);
      REQUIRE(a[p]["status"] == "ok");
      REQUIRE(b[p]["status"] == "ok");
      CHECK(a[p]["workload"] == "small_cnn");
      const json& ma = a[p]["metrics"];
      const json& mb = b[p]["metrics"];
      // Same shapes: the same counts and cycles; other weights: another fit.
      CHECK(ma["cycles"] == mb["cycles"]);
      CHECK(ma["multiplications"] == mb["multiplications"]);
      REQUIRE(ma["weight_sqnr_db"].is_number());
      REQUIRE(mb["weight_sqnr_db"].is_number());
      CHECK(ma["weight_sqnr_db"] != mb["weight_sqnr_db"]);
      if (a[p]["values"][d.axis] == d.values[1]) {  // the base design's own value
        CHECK(ma["weight_sqnr_db"].get<double>() ==
              Approx(run["totals"]["weight_sqnr_db"].get<double>()).epsilon(1e-9));
        CHECK(ma["bits_per_weight"].get<double>() ==
              Approx(run["totals"]["bits_per_weight"].get<double>()).epsilon(1e-9));
        CHECK(ma["cycles"] == run["totals"]["cycles"]);
      }
    }
    // The manifest identifies the graph by its hash, so another model is another sweep.
    const json manifest = json::parse(kqtest::read_text(out_onnx + "/sweep.json"));
    CHECK(manifest["workloads"][0]["path"] == model);
  }
}
