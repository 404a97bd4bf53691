// Built only when CMake finds Boost.MPI and an MPI implementation (KQSIM_HAVE_MPI).
#include "sim/cli/sweep_mpi.hpp"

#include <fmt/format.h>

#include <atomic>
#include <boost/mpi.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <chrono>
#include <cstdio>
#include <list>
#include <thread>

#include "models/common/input_error.hpp"
#include "sim/cli/progress.hpp"
#include "sim/cli/sweep_session.hpp"

namespace boost::serialization {

template <class Archive>
void serialize(Archive& ar, kq::RecordDigest& d, unsigned /*version*/) {
  ar& d.point& d.workload& d.ok& d.feasible& d.cycles& d.dram_bytes& d.energy_mj& d.latency_ms& d
      .area_mm2& d.edp_mj_ms& d.reason;
}

template <class Archive>
void serialize(Archive& ar, kq::PointRecords& r, unsigned /*version*/) {
  ar& r.jsonl& r.csv& r.digests;
}

}  // namespace boost::serialization

namespace kq {
namespace {

namespace mpi = boost::mpi;

/// worker → rank 0: the records of the chunk before the one it is starting, and "more". A
/// worker asks for its next chunk before it computes the current one, so rank 0's answer (and
/// its writing of those records) overlaps the work, and a worker waits for rank 0 only for its
/// first chunk.
constexpr int kTagRequest = 1;
/// rank 0 → worker: the next chunk as a plain array {n, point...} ({0} when done). Rank 0
/// sends it without blocking: the worker takes it only after its current chunk, and a
/// blocking send would spin rank 0's answering thread on the CPU its compute thread needs.
constexpr int kTagAssign = 2;
/// worker → rank 0: the records of its last chunk, after it was told it is done.
constexpr int kTagFinal = 3;

/// What a worker sends with each request: the records of the chunk it finished last.
struct ChunkRecords {
  std::vector<PointRecords> points;
  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar& points;
  }
};

}  // namespace

int sweep_mpi(const SweepOptions& options) {
  std::unique_ptr<SweepSession> session;
  std::unique_ptr<SweepOutput> out;
  uint64_t evaluated = 0;
  double seconds = 0, cpu_seconds = 0;
  {
    mpi::environment env(mpi::threading::funneled);
    mpi::communicator world;
    const int rank = world.rank(), size = world.size();
    std::string error;
    int code = 0;
    // Every rank reads the same files; rank 0 also owns the output folder.
    try {
      session = std::make_unique<SweepSession>(options);
      if (rank == 0) out = session->open_output();
    } catch (const InputError& e) {
      error = e.what();
      code = 2;
    } catch (const std::exception& e) {
      error = e.what();
      code = 1;
    }
    // Nobody starts unless everybody can: rank 0 reports the first problem any rank had.
    std::vector<std::string> errors;
    mpi::gather(world, error, errors, 0);
    const int worst = mpi::all_reduce(world, code, mpi::maximum<int>());
    if (worst != 0) {
      if (rank == 0)
        for (int r = 0; r < size; ++r)
          if (!errors[static_cast<size_t>(r)].empty()) {
            std::fprintf(stderr, "error: %s%s\n", r ? fmt::format("rank {}: ", r).c_str() : "",
                         errors[static_cast<size_t>(r)].c_str());
            break;
          }
      return worst;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const double cpu0 = process_cpu_seconds();
    {
      // Every rank fits the quantized weights its points will need up front, on its threads
      // (workers cannot know which points they will get: all of them).
      std::vector<uint64_t> all(session->space().points());
      for (uint64_t p = 0; p < all.size(); ++p) all[p] = p;
      session->prefit(all, options.jobs);
    }
    if (rank != 0) {
      // Worker: ask for the next chunk, compute the current one, send its records with the
      // request after that.
      ChunkRecords done;
      std::vector<uint64_t> next(kMaxChunk + 1), current(kMaxChunk + 1);
      auto receive = [&](std::vector<uint64_t>& into) {
        world.recv(0, kTagAssign, into.data(), static_cast<int>(into.size()));
        return into[0];
      };
      world.send(0, kTagRequest, done);
      for (uint64_t n = receive(next); n != 0; n = receive(next)) {
        current.swap(next);
        world.send(0, kTagRequest, done);
        done.points.clear();
        done.points.resize(n);
        for (uint64_t i = 0; i < n; ++i) session->evaluate(current[i + 1], done.points[i]);
      }
      world.send(0, kTagFinal, done);
      mpi::reduce(world, process_cpu_seconds() - cpu0, std::plus<double>(), 0);
      return 0;
    }
    // Rank 0: its threads take from the same pool, and this one (MPI is funneled through it)
    // also answers the workers between its own points, so no thread of rank 0 wakes just to
    // look for messages while there is work. A failure here (the output folder's disk full,
    // ...) must not leave workers waiting for an answer: it aborts every rank at once
    // (MPI_Abort does not return).
    auto fail = [&env](const std::exception& e) {
      std::fprintf(stderr, "error: %s\n", e.what());
      std::fflush(stderr);
      env.abort(1);
    };
    std::vector<uint64_t> pending;
    for (uint64_t p = 0; p < session->space().points(); ++p)
      if (!out->done()[p]) pending.push_back(p);
    evaluated = pending.size();
    TaskPool pool(std::move(pending));
    const unsigned consumers = static_cast<unsigned>(size - 1) + options.jobs;
    std::atomic<uint64_t> finished{0};  // rank 0's threads and the workers' records
    ProgressBar bar("points");
    // Assignments in flight, with the buffers they are sent from.
    struct Assignment {
      std::vector<uint64_t> message;
      mpi::request request;
    };
    std::list<Assignment> in_flight;
    int active = size - 1;
    auto serve = [&] {
      while (boost::optional<mpi::status> st = world.iprobe(mpi::any_source, mpi::any_tag)) {
        ChunkRecords got;
        world.recv(st->source(), st->tag(), got);
        for (PointRecords& r : got.points) out->add(r.jsonl, r.csv, std::move(r.digests));
        finished += got.points.size();
        if (st->tag() == kTagFinal) {
          --active;
          continue;
        }
        const std::vector<uint64_t> chunk = pool.take(consumers, kMaxChunk);
        Assignment& a = in_flight.emplace_back();
        a.message.push_back(chunk.size());
        a.message.insert(a.message.end(), chunk.begin(), chunk.end());
        a.request = world.isend(st->source(), kTagAssign, a.message.data(),
                                static_cast<int>(a.message.size()));
      }
      in_flight.remove_if([](Assignment& a) { return static_cast<bool>(a.request.test()); });
      bar.update(out->resumed_points() + finished.load(), session->space().points());
    };
    // Between points, at most every 100 µs: a point takes about as long, and a worker holds its
    // next chunk while it computes the current one, so it does not wait for the answer.
    auto last_served = std::chrono::steady_clock::now();
    try {
      run_threads(
          *session, pool, options.jobs, consumers,
          [&](uint64_t, PointRecords&& r) {
            out->add(r.jsonl, r.csv, std::move(r.digests));
            ++finished;
          },
          [&] {
            const auto now = std::chrono::steady_clock::now();
            if (now - last_served < std::chrono::microseconds(100)) return;
            last_served = now;
            serve();
          });
      // Rank 0's points are done: answer the workers until each has sent its last records.
      for (serve(); active > 0; serve())
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      // Every worker has taken its last assignment (it sent its final records after it).
      for (Assignment& a : in_flight) a.request.wait();
    } catch (const std::exception& e) {
      fail(e);
    }
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // Every rank's CPU time of the evaluation.
    mpi::reduce(world, process_cpu_seconds() - cpu0, cpu_seconds, std::plus<double>(), 0);
  }  // MPI ends here: the verification children below are plain processes
  return session->finish(*out, evaluated, seconds, cpu_seconds);
}

}  // namespace kq
