#include "sim/cli/progress.hpp"

#include <unistd.h>

namespace kq {

ProgressBar::ProgressBar(const char* what) : what_(what), enabled_(isatty(STDERR_FILENO) == 1) {}

void ProgressBar::update(size_t done, size_t total) {
  if (!enabled_ || total == 0) return;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(kWidth * done / total);
  std::fprintf(stderr, "\r  [");
  for (int i = 0; i < kWidth; ++i) std::fputc(i < filled ? '#' : '.', stderr);
  std::fprintf(stderr, "] %zu/%zu %s", done, total, what_);
  std::fflush(stderr);
  drawn_ = true;
}

ProgressBar::~ProgressBar() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
}

}  // namespace kq
