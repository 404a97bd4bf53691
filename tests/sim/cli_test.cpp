#include <catch2/catch.hpp>

#include "sim/process.hpp"

TEST_CASE("kqsim --help lists the subcommands", "[cli]") {
  auto r = kqtest::run_kqsim({"--help"});
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.out.find("run") != std::string::npos);
}
