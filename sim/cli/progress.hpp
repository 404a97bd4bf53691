#pragma once
#include <cstddef>
#include <cstdio>

namespace kq {

/// A one-line progress bar on stderr, drawn only when stderr is a terminal (never in logs
/// or pipes).
class ProgressBar {
 public:
  explicit ProgressBar(const char* what);
  void update(size_t done, size_t total);
  ~ProgressBar();

 private:
  const char* what_;
  bool enabled_;
  bool drawn_ = false;
};

}  // namespace kq
