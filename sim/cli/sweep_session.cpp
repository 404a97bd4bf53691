#include "sim/cli/sweep_session.hpp"

#include <fmt/format.h>

#include <ctime>
#include <filesystem>
#include <thread>

#include "models/common/file_hash.hpp"
#include "models/common/input_error.hpp"
#include "models/sweep/sweep_record.hpp"
#include "models/sweep/sweep_summary.hpp"
#include "sim/cli/sweep_verify.hpp"

namespace kq {

SweepSession::SweepSession(const SweepOptions& options)
    : options_(options), spec_(load_sweep_spec(options.spec_path)) {
  space_ = std::make_unique<DesignSpace>(spec_);
  evaluator_ = std::make_unique<SweepEvaluator>(spec_, *space_);
}

std::vector<std::string> SweepSession::workload_names() const {
  std::vector<std::string> names;
  for (const Workload& w : evaluator_->workloads()) names.push_back(w.name);
  return names;
}

std::string SweepSession::manifest() const {
  auto file = [](const std::string& path) {
    return nlohmann::ordered_json{{"path", path}, {"fnv1a64", file_fnv1a64(path)}};
  };
  nlohmann::ordered_json m;
  m["tool"] = nlohmann::ordered_json{{"name", "kqsim"}, {"version", KQSIM_VERSION}};
  m["sweep"] = spec_.name;
  m["spec"] = file(spec_.file);
  m["base"] = file(spec_.base_path);
  // The base design's technology table, when it names a readable one (points that change it
  // name their own tables in their records' values).
  const nlohmann::json* table = spec_.base.contains("tech") && spec_.base["tech"].is_object() &&
                                        spec_.base["tech"].contains("table")
                                    ? &spec_.base["tech"]["table"]
                                    : nullptr;
  if (table && table->is_string()) {
    namespace fs = std::filesystem;
    fs::path p(table->get<std::string>());
    if (p.is_relative()) p = fs::path(spec_.base_path).parent_path() / p;
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) m["tech"] = file(p.lexically_normal().string());
  }
  nlohmann::ordered_json wl = nlohmann::ordered_json::array();
  for (const SweepWorkload& w : spec_.workloads) {
    nlohmann::ordered_json e = file(w.path);
    if (!w.weights.empty()) e["weights"] = file(w.weights);
    wl.push_back(e);
  }
  m["workloads"] = wl;
  m["points"] = space_->points();
  return m.dump(2) + "\n";
}

void SweepSession::evaluate(uint64_t p, PointRecords& out) {
  out.jsonl.clear();
  out.csv.clear();
  out.digests.clear();
  const std::vector<nlohmann::ordered_json> records = evaluator_->evaluate(p);
  for (uint32_t w = 0; w < records.size(); ++w) {
    out.jsonl.push_back(records[w].dump());
    out.csv.push_back(csv_row(spec_, records[w]));
    out.digests.push_back(digest_of(records[w], w));
  }
}

std::unique_ptr<SweepOutput> SweepSession::open_output() const {
  const SweepSpec* spec = &spec_;
  return std::make_unique<SweepOutput>(
      options_.out_dir, manifest(), csv_header(spec_),
      [spec](const nlohmann::ordered_json& r) { return csv_row(*spec, r); }, space_->points(),
      workload_names());
}

double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

int SweepSession::finish(SweepOutput& out, uint64_t evaluated, double seconds, double cpu_seconds) {
  const std::vector<RecordDigest> records = out.finalize();
  const std::vector<std::string> workloads = workload_names();
  out.write_file("pareto.csv", pareto_csv(spec_, *space_, records, workloads));
  std::vector<VerifiedDesign> verified;
  if (options_.verify_top > 0) {
    verified = top_designs(records, workloads, options_.verify_top);
    verify_designs(verified, *this, options_.out_dir, options_.jobs);
    out.write_file("verify.csv", verify_csv(verified));
  }
  out.write_file("summary.md", summary_md(spec_, *space_, records, workloads, verified));
  if (!options_.quiet) {
    uint64_t invalid = 0, infeasible = 0;
    for (const RecordDigest& r : records) {
      if (!r.ok)
        ++invalid;
      else if (!r.feasible)
        ++infeasible;
    }
    fmt::print("sweep {}: {} points x {} workloads; {} evaluated now", spec_.name, space_->points(),
               workloads.size(), evaluated);
    if (out.resumed_points()) fmt::print(", {} resumed", out.resumed_points());
    if (evaluated && seconds > 0)
      fmt::print(" in {:.2f} s ({:.0f} points/s", seconds,
                 static_cast<double>(evaluated) / seconds);
    if (evaluated && seconds > 0 && cpu_seconds > 0)
      fmt::print(", {:.0f} per CPU-second", static_cast<double>(evaluated) / cpu_seconds);
    if (evaluated && seconds > 0) fmt::print(")");
    fmt::print("; {} invalid and {} infeasible records\n", invalid, infeasible);
    if (!verified.empty()) {
      uint64_t failed = 0, differ = 0;
      for (const VerifiedDesign& d : verified) {
        if (!d.ran)
          ++failed;
        else if (d.cycle_cycles != d.analytic_cycles || d.cycle_dram_bytes != d.analytic_dram_bytes)
          ++differ;
      }
      fmt::print(
          "verified {} designs with the cycle model: {} differ from the analytic model, "
          "{} failed (verify.csv)\n",
          verified.size(), differ, failed);
    }
    fmt::print(
        "results: {0}/results.jsonl, {0}/results.csv; Pareto fronts: {0}/pareto.csv; "
        "summary: {0}/summary.md\n",
        options_.out_dir);
  }
  return 0;
}

void run_threads(SweepSession& session, TaskPool& pool, unsigned jobs, unsigned consumers,
                 const PointSink& sink, const std::function<void()>& between_points) {
  auto work = [&](bool calling_thread) {
    PointRecords records;
    for (;;) {
      const std::vector<uint64_t> chunk = pool.take(consumers, kMaxChunk);
      if (chunk.empty()) return;
      for (uint64_t p : chunk) {
        session.evaluate(p, records);
        sink(p, std::move(records));
        if (calling_thread && between_points) between_points();
      }
    }
  };
  std::vector<std::thread> threads;
  std::exception_ptr failure;
  std::mutex failure_mutex;
  for (unsigned t = 1; t < jobs; ++t)
    threads.emplace_back([&] {
      try {
        work(false);
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
    });
  try {
    work(true);
  } catch (...) {
    std::lock_guard<std::mutex> lock(failure_mutex);
    if (!failure) failure = std::current_exception();
  }
  for (std::thread& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace kq
