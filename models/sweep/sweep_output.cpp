#include "models/sweep/sweep_output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "models/common/input_error.hpp"

namespace kq {
namespace {

namespace fs = std::filesystem;

/// Batches of whole points go to disk when this much is buffered or this long has passed,
/// so a kill loses at most a fraction of a second of work.
constexpr size_t kFlushBytes = size_t{1} << 20;
constexpr auto kFlushInterval = std::chrono::milliseconds(250);

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return "";
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_all(int fd, const std::string& s, const std::string& what) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("cannot write " + what + ": " + std::strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
}

int open_append(const fs::path& p) {
  const int fd = ::open(p.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + p.string() + ": " + std::strerror(errno));
  return fd;
}

}  // namespace

SweepOutput::SweepOutput(const std::string& dir, const std::string& manifest,
                         std::string csv_header, CsvRow csv_row, uint64_t points,
                         std::vector<std::string> workloads)
    : dir_(dir),
      csv_header_(std::move(csv_header)),
      csv_row_(std::move(csv_row)),
      points_(points),
      workloads_(std::move(workloads)),
      done_(points, false) {
  const fs::path d(dir_);
  std::error_code ec;
  if (fs::exists(d, ec) && !fs::is_directory(d, ec))
    throw InputError(dir_, "", "exists and is not a folder");
  const bool existing = fs::exists(d / "sweep.json", ec);
  // A fresh folder may only hold temporary files of an attempt killed before it began.
  auto fresh = [&] {
    if (!fs::exists(d, ec)) return true;
    for (const auto& e : fs::directory_iterator(d)) {
      const std::string n = e.path().filename().string();
      if (!(n.size() > 1 && n[0] == '.' && n.find(".tmp-") != std::string::npos)) return false;
    }
    return true;
  };
  if (!existing && !fresh())
    throw InputError(dir_, "",
                     "exists, is not empty and holds no sweep.json: not a sweep output folder "
                     "(choose another --out)");
  fs::create_directories(d);
  std::vector<std::string> kept;
  if (existing) {
    if (read_all(d / "sweep.json") != manifest)
      throw InputError(dir_ + "/sweep.json", "",
                       "the folder holds results of a different sweep (spec, inputs or points "
                       "changed): choose another --out or delete the folder");
    // Resume: keep the records of points complete on disk, in the order they were written.
    bool cut_short = false;
    const std::vector<std::string> lines = read_lines(cut_short);
    if (cut_short) ++dropped_;
    std::map<std::string, size_t> wl_index;
    for (size_t i = 0; i < workloads_.size(); ++i) wl_index[workloads_[i]] = i;
    std::vector<std::vector<bool>> seen(points_);
    std::vector<int> line_point(lines.size(), -1);
    std::vector<RecordDigest> line_digest(lines.size());
    for (size_t i = 0; i < lines.size(); ++i) {
      nlohmann::ordered_json r;
      try {
        r = nlohmann::ordered_json::parse(lines[i]);
      } catch (const nlohmann::json::exception&) {
        ++dropped_;
        continue;
      }
      if (!r.is_object() || !r.contains("point") || !r["point"].is_number_unsigned() ||
          !r.contains("workload") || !r["workload"].is_string()) {
        ++dropped_;
        continue;
      }
      const uint64_t p = r["point"].get<uint64_t>();
      auto w = wl_index.find(r["workload"].get<std::string>());
      if (p >= points_ || w == wl_index.end()) {
        ++dropped_;
        continue;
      }
      try {
        line_digest[i] = digest_of(r, static_cast<uint32_t>(w->second));
      } catch (const std::runtime_error&) {
        ++dropped_;
        continue;
      }
      if (seen[p].empty()) seen[p].assign(workloads_.size(), false);
      if (seen[p][w->second]) {  // never written twice; keep the first if it ever is
        ++dropped_;
        continue;
      }
      seen[p][w->second] = true;
      line_point[i] = static_cast<int>(p);
    }
    for (uint64_t p = 0; p < points_; ++p)
      done_[p] =
          !seen[p].empty() && std::all_of(seen[p].begin(), seen[p].end(), [](bool b) { return b; });
    for (size_t i = 0; i < lines.size(); ++i) {
      if (line_point[i] < 0) continue;
      if (done_[static_cast<size_t>(line_point[i])]) {
        kept.push_back(lines[i]);
        digests_.push_back(std::move(line_digest[i]));
      } else {
        ++dropped_;
      }
    }
    resumed_ = static_cast<uint64_t>(std::count(done_.begin(), done_.end(), true));
  } else {
    write_file("sweep.json", manifest);
  }
  // Both files restart from what is kept (the CSV rows rebuilt from the records), then grow.
  std::string jsonl, csv = csv_header_;
  for (const std::string& l : kept) {
    jsonl += l + "\n";
    csv += csv_row_(nlohmann::ordered_json::parse(l));
  }
  write_file("results.jsonl", jsonl);
  write_file("results.csv", csv);
  jsonl_fd_ = open_append(d / "results.jsonl");
  csv_fd_ = open_append(d / "results.csv");
  last_flush_ = std::chrono::steady_clock::now();
}

SweepOutput::~SweepOutput() {
  try {
    flush();
  } catch (...) {
  }
  if (jsonl_fd_ >= 0) ::close(jsonl_fd_);
  if (csv_fd_ >= 0) ::close(csv_fd_);
}

std::vector<std::string> SweepOutput::read_lines(bool& cut_short) const {
  const std::string text = read_all(fs::path(dir_) / "results.jsonl");
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    const size_t nl = text.find('\n', start);
    if (nl == std::string::npos) {  // the last line never got its newline: cut short
      cut_short = true;
      break;
    }
    if (nl > start) lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

void SweepOutput::add(const std::vector<std::string>& jsonl, const std::vector<std::string>& csv,
                      std::vector<RecordDigest> digests) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const std::string& l : jsonl) {
    jsonl_buffer_ += l;
    jsonl_buffer_ += '\n';
  }
  for (const std::string& r : csv) csv_buffer_ += r;
  for (RecordDigest& d : digests) digests_.push_back(std::move(d));
  if (jsonl_buffer_.size() >= kFlushBytes ||
      std::chrono::steady_clock::now() - last_flush_ >= kFlushInterval)
    flush_locked();
}

void SweepOutput::flush() {
  std::lock_guard<std::mutex> lock(mutex_);
  flush_locked();
}

void SweepOutput::flush_locked() {
  if (jsonl_fd_ < 0) return;  // finalized
  // JSONL first: it is the record resuming trusts; CSV rows are rebuilt from it.
  if (!jsonl_buffer_.empty()) write_all(jsonl_fd_, jsonl_buffer_, dir_ + "/results.jsonl");
  if (!csv_buffer_.empty()) write_all(csv_fd_, csv_buffer_, dir_ + "/results.csv");
  jsonl_buffer_.clear();
  csv_buffer_.clear();
  last_flush_ = std::chrono::steady_clock::now();
}

std::vector<RecordDigest> SweepOutput::finalize() {
  flush();
  // The appending descriptors would keep writing to the files about to be replaced.
  ::close(jsonl_fd_);
  ::close(csv_fd_);
  jsonl_fd_ = csv_fd_ = -1;
  bool cut_short = false;
  const std::vector<std::string> lines = read_lines(cut_short);
  if (cut_short || lines.size() != digests_.size())
    throw std::runtime_error(dir_ + "/results.jsonl changed while the sweep ran");
  // CSV rows follow the JSONL lines one to one (both written by the same add() calls), unless
  // a kill fell between the two writes of a batch before a resume, which rebuilt the CSV.
  std::vector<std::string> rows;
  {
    std::istringstream in(read_all(fs::path(dir_) / "results.csv"));
    std::string row;
    std::getline(in, row);  // header
    while (std::getline(in, row)) rows.push_back(row + "\n");
  }
  const bool rows_match = rows.size() == lines.size();
  std::vector<size_t> order(lines.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return digests_[a].point != digests_[b].point ? digests_[a].point < digests_[b].point
                                                  : digests_[a].workload < digests_[b].workload;
  });
  std::string jsonl, csv = csv_header_;
  std::vector<RecordDigest> sorted;
  sorted.reserve(order.size());
  for (size_t i : order) {
    jsonl += lines[i];
    jsonl += '\n';
    csv += rows_match ? rows[i] : csv_row_(nlohmann::ordered_json::parse(lines[i]));
    sorted.push_back(digests_[i]);
  }
  write_file("results.jsonl", jsonl);
  write_file("results.csv", csv);
  return sorted;
}

void SweepOutput::write_file(const std::string& name, const std::string& text) const {
  const fs::path target = fs::path(dir_) / name;
  const fs::path tmp = fs::path(dir_) / ("." + name + ".tmp-" + std::to_string(::getpid()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, target);
}

}  // namespace kq
