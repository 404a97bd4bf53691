#include "models/common/num_format.hpp"

#include <catch2/catch.hpp>

TEST_CASE("formats round-trip through their names and have their widths", "[unit]") {
  for (kq::NumFormat f : kq::kAllFormats) REQUIRE(kq::parse_num_format(kq::to_string(f)) == f);
  REQUIRE(!kq::parse_num_format("fp8"));
  REQUIRE(kq::width_bits(kq::NumFormat::bf16) == 16);
  REQUIRE(kq::width_bits(kq::NumFormat::int8) == 8);
  REQUIRE(kq::is_float(kq::NumFormat::fp16));
  REQUIRE(!kq::is_float(kq::NumFormat::int32));
}
