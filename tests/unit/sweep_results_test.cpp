// The parts of a sweep around the model: Pareto fronts against brute force, the task pool
// under concurrency, the output folder's resume rules, and the closed-form bits per weight
// against the fitted weights.
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "models/common/input_error.hpp"
#include "models/config/arch_config.hpp"
#include "models/sweep/design_quality.hpp"
#include "models/sweep/pareto.hpp"
#include "models/sweep/sweep_output.hpp"
#include "models/sweep/task_pool.hpp"
#include "models/workload/synthetic.hpp"
#include "models/workload/workload.hpp"

namespace {

namespace fs = std::filesystem;
const std::string kRoot = KQSIM_SOURCE_DIR;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path fresh_dir(const std::string& tag) {
  const fs::path d =
      fs::temp_directory_path() /
      ("kqsim_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(std::rand()));
  fs::remove_all(d);
  return d;
}

}  // namespace

TEST_CASE("Pareto fronts equal the brute-force non-dominated sets", "[unit][sweep]") {
  kq::Rng r(5);
  for (int trial = 0; trial < 200; ++trial) {
    const size_t n = 1 + r.next_u64() % 60;
    std::vector<std::array<double, 3>> pts(n);
    // Few distinct values per objective, so ties and duplicates are common.
    for (auto& p : pts)
      for (double& v : p) v = static_cast<double>(r.next_u64() % 6);
    std::vector<size_t> brute;
    for (size_t q = 0; q < n; ++q) {
      bool dominated = false;
      for (size_t p = 0; p < n && !dominated; ++p)
        dominated = pts[p][0] <= pts[q][0] && pts[p][1] <= pts[q][1] && pts[p][2] <= pts[q][2] &&
                    pts[p] != pts[q];
      if (!dominated) brute.push_back(q);
    }
    CHECK(kq::pareto_front(pts) == brute);
  }
}

TEST_CASE("the task pool hands out every point exactly once", "[unit][sweep]") {
  std::vector<uint64_t> pending;
  for (uint64_t p = 0; p < 20000; p += 3) pending.push_back(p);
  kq::TaskPool pool(pending);
  std::vector<std::atomic<int>> seen(20000);
  std::vector<std::thread> threads;
  std::atomic<size_t> chunks{0}, largest{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (;;) {
        const std::vector<uint64_t> c = pool.take(4, 256);
        if (c.empty()) return;
        ++chunks;
        size_t l = largest.load();
        while (c.size() > l && !largest.compare_exchange_weak(l, c.size())) {
        }
        for (uint64_t p : c) ++seen[p];
      }
    });
  for (auto& t : threads) t.join();
  for (uint64_t p = 0; p < 20000; ++p) CHECK(seen[p].load() == (p % 3 == 0 ? 1 : 0));
  CHECK(largest.load() == 256);                 // big chunks while much is left...
  CHECK(chunks.load() > pending.size() / 256);  // ...and smaller ones towards the end
  CHECK(pool.remaining() == 0);
}

TEST_CASE("a sweep output folder resumes complete points only", "[unit][sweep]") {
  const fs::path dir = fresh_dir("sweep_output");
  const std::vector<std::string> workloads = {"a", "b"};
  auto row = [](const nlohmann::ordered_json& r) {
    return r["point"].dump() + "," + r["workload"].get<std::string>() + "\n";
  };
  auto line = [](uint64_t p, const char* w) {
    return nlohmann::ordered_json{
        {"point", p}, {"workload", w}, {"status", "invalid"}, {"reason", "x"}}
        .dump();
  };
  auto digest = [](uint64_t p, uint32_t w) {
    kq::RecordDigest d;
    d.point = p;
    d.workload = w;
    d.reason = "x";
    return d;
  };
  {
    kq::SweepOutput out(dir.string(), "manifest 1\n", "point,workload\n", row, 4, workloads);
    CHECK(out.resumed_points() == 0);
    out.add({line(2, "a"), line(2, "b")}, {"2,a\n", "2,b\n"}, {digest(2, 0), digest(2, 1)});
    out.add({line(0, "a"), line(0, "b")}, {"0,a\n", "0,b\n"}, {digest(0, 0), digest(0, 1)});
  }
  // A kill: point 1 has one of its two records, and the file ends inside a line.
  {
    std::ofstream f(dir / "results.jsonl", std::ios::app);
    f << line(1, "a") << "\n" << line(3, "a").substr(0, 20);
  }
  {
    kq::SweepOutput out(dir.string(), "manifest 1\n", "point,workload\n", row, 4, workloads);
    CHECK(out.resumed_points() == 2);
    CHECK(out.done() == std::vector<bool>{true, false, true, false});
    CHECK(out.dropped_lines() == 2);
    // What was kept is rewritten whole, the CSV rebuilt from it.
    CHECK(read(dir / "results.jsonl") ==
          line(2, "a") + "\n" + line(2, "b") + "\n" + line(0, "a") + "\n" + line(0, "b") + "\n");
    CHECK(read(dir / "results.csv") == "point,workload\n2,a\n2,b\n0,a\n0,b\n");
    out.add({line(3, "b"), line(3, "a")}, {"3,b\n", "3,a\n"}, {digest(3, 1), digest(3, 0)});
    out.add({line(1, "a"), line(1, "b")}, {"1,a\n", "1,b\n"}, {digest(1, 0), digest(1, 1)});
    const std::vector<kq::RecordDigest> all = out.finalize();
    REQUIRE(all.size() == 8);
    for (size_t i = 0; i < all.size(); ++i) {
      CHECK(all[i].point == i / 2);
      CHECK(all[i].workload == i % 2);
    }
    std::string expect_jsonl, expect_csv = "point,workload\n";
    for (uint64_t p = 0; p < 4; ++p)
      for (const char* w : {"a", "b"}) {
        expect_jsonl += line(p, w) + "\n";
        expect_csv += std::to_string(p) + "," + w + "\n";
      }
    CHECK(read(dir / "results.jsonl") == expect_jsonl);
    CHECK(read(dir / "results.csv") == expect_csv);
  }
  // Another sweep's folder, or a folder that is no sweep's, is never touched.
  CHECK_THROWS_AS(kq::SweepOutput(dir.string(), "manifest 2\n", "h\n", row, 4, workloads),
                  kq::InputError);
  const fs::path other = fresh_dir("not_a_sweep");
  fs::create_directories(other);
  std::ofstream(other / "notes.txt") << "mine";
  CHECK_THROWS_AS(kq::SweepOutput(other.string(), "m\n", "h\n", row, 4, workloads), kq::InputError);
  CHECK(read(other / "notes.txt") == "mine");
  fs::remove_all(dir);
  fs::remove_all(other);
}

TEST_CASE("closed-form bits per weight equal those of the fitted weights", "[unit][sweep]") {
  const kq::Workload w = kq::load_workload(kRoot + "/workloads/test/tiny_cnn.json");
  const kq::NetworkParams params = kq::synthetic_params(w, 2);
  for (const char* design : {"kcnn_m2_16x16", "kcnn_m3_16x16", "kq_k256_16x16", "kq_rr_k64_16x16",
                             "baseline_fp32_16x16", "baseline_int8_16x16"}) {
    INFO(design);
    kq::ArchConfig a = kq::load_arch_config(kRoot + "/arch_configs/" + design + ".json");
    const kq::FittedWeights f = kq::fit_weights(w, a, params, "");
    const double closed = kq::bits_per_weight(w, a, nullptr);
    CHECK(closed == Approx(kq::bits_per_weight(w, a, &f.weights)).epsilon(1e-12));
    if (a.kcnn || a.kq) {
      CHECK(closed < 16.0);
      REQUIRE(f.weight_sqnr_db.has_value());
      CHECK(*f.weight_sqnr_db > 0.0);
      CHECK(!kq::quantizer_key(a).empty());
    } else {
      CHECK(closed == kq::width_bits(a.weight_format));
      CHECK(kq::quantizer_key(a).empty());
    }
  }
  // Counts-only options do not change the quantizer key; fitting options do.
  kq::ArchConfig k = kq::load_arch_config(kRoot + "/arch_configs/kcnn_m2_16x16.json");
  const std::string key = kq::quantizer_key(k);
  k.kcnn->zero_skip = true;
  CHECK(kq::quantizer_key(k) == key);
  CHECK(kq::counts_need_weights(k));
  k.kcnn->planes = 3;
  CHECK(kq::quantizer_key(k) != key);
  kq::ArchConfig q = kq::load_arch_config(kRoot + "/arch_configs/kq_k256_16x16.json");
  const std::string qkey = kq::quantizer_key(q);
  q.kq->datapath = kq::KqDatapath::response_reuse;
  CHECK(kq::quantizer_key(q) == qkey);
  q.kq->set_all_codewords(128);
  CHECK(kq::quantizer_key(q) != qkey);
}
