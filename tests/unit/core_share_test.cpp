#include "models/common/core_share.hpp"

#include <catch2/catch.hpp>

TEST_CASE("runs at once share the cores", "[compare]") {
  // 8 cores, 4 runs at once: 2 threads each; 3 designs with 8 jobs: the 3 runs share them.
  CHECK(kq::threads_per_run(8, 4, 10) == 2);
  CHECK(kq::threads_per_run(8, 8, 3) == 2);
  CHECK(kq::threads_per_run(8, 1, 3) == 8);
  // More runs at once than cores, or nothing to run: still one thread, never zero.
  CHECK(kq::threads_per_run(2, 5, 5) == 1);
  CHECK(kq::threads_per_run(1, 0, 0) == 1);
}
