#include "models/workload/scalesim_csv.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "models/common/input_error.hpp"

namespace {

const std::string kConvHeader =
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
    "Strides,\n";

kq::Workload from_text(const std::string& text) {
  return kq::scalesim_csv_from_text(text, "topo.csv");
}

std::string shipped(const std::string& name) {
  return std::string(KQSIM_SOURCE_DIR) + "/workloads/scalesim/" + name;
}

// Importing `text` must fail with one InputError at `location` whose message holds `part`.
void require_error(const std::string& text, const std::string& location, const std::string& part) {
  INFO(text);
  try {
    from_text(text);
    FAIL("no InputError thrown");
  } catch (const kq::InputError& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(e.file() == "topo.csv");
    CHECK(e.location() == location);
    CHECK(what.find(part) != std::string::npos);
    CHECK(what.find('\n') == std::string::npos);
  }
}

}  // namespace

TEST_CASE("SCALE-Sim conv topology: independent layers with ceil rounding", "[unit]") {
  const kq::Workload w = kq::load_scalesim_csv(shipped("resnet_stages.csv"));
  REQUIRE(w.name == "resnet_stages");
  REQUIRE(w.independent_layers);
  REQUIRE(w.layers.size() == 12);
  CHECK(w.input == kq::Shape{3, 229, 229});
  for (const auto& l : w.layers) {
    CHECK(l.type == kq::LayerType::conv2d);
    CHECK(l.inputs == std::vector<int>{-1});
    CHECK(l.ceil_mode);
    CHECK(l.ph == 0);
    CHECK(l.pw == 0);
  }
  const kq::Layer& stem = w.layers[0];  // ceil((229 - 7) / 2) + 1 = 112
  CHECK(stem.in == kq::Shape{3, 229, 229});
  CHECK(stem.out == kq::Shape{64, 112, 112});
  CHECK(stem.macs() == 112ull * 112 * 64 * 3 * 49);
  CHECK(w.layers[4].name == "s2_1x1_proj");
  CHECK(w.layers[4].in == kq::Shape{64, 55, 55});
  CHECK(w.layers[4].out == kq::Shape{128, 28, 28});
  CHECK(w.layers[11].out == kq::Shape{1000, 1, 1});
  CHECK(w.find("s4_3x3") == 9);
  // Each row's MACs are E·F·R·S·C·M; the file sums to this (stem 118,013,952, the 3×3s of
  // stages 1-4 115,605,504 each, the stride-2 3×3s 57,802,752 each, projections 6,422,528
  // each, classifier 512,000).
  CHECK(w.total_macs() ==
        118'013'952ull + 4 * 115'605'504ull + 3 * 57'802'752ull + 3 * 6'422'528ull + 512'000ull);

  // load_workload dispatches on the extension.
  CHECK(kq::load_workload(shipped("resnet_stages.csv")).layers.size() == 12);
}

TEST_CASE("SCALE-Sim GEMM topology maps M, N, K onto a 1x1 conv", "[unit]") {
  const kq::Workload w = kq::load_scalesim_csv(shipped("gemm_small.csv"));
  REQUIRE(w.layers.size() == 5);
  const kq::Layer& l = w.layers[0];  // proj_small, 64, 32, 48
  CHECK(l.name == "proj_small");
  CHECK(l.in == kq::Shape{48, 1, 64});
  CHECK(l.out == kq::Shape{32, 1, 64});
  CHECK(l.gemm().p == 64);
  CHECK(l.gemm().k == 48);
  CHECK(l.gemm().n == 32);
  CHECK(l.macs() == 64 * 32 * 48);
  CHECK(w.layers[4].gemm().k == 512);
  CHECK(w.total_macs() == 64ull * 32 * 48 + 128ull * 128 * 64 + 128ull * 64 * 128 +
                              128ull * 512 * 128 + 128ull * 128 * 512);
  CHECK(kq::load_scalesim_csv(shipped("small_convs.csv")).layers.at(3).out == kq::Shape{8, 8, 8});
}

TEST_CASE("SCALE-Sim rows: layout variations that are accepted", "[unit]") {
  // No trailing comma, CRLF line ends, blank lines, a byte-order mark, tabs around fields.
  const kq::Workload w = from_text(
      "\xEF\xBB\xBFLayer name,IFMAP Height,IFMAP Width,Filter Height,Filter Width,Channels,"
      "Num Filter,Strides\r\n\r\n a ,\t8, 8, 3, 3, 2, 4, 2\r\n\nb,7,7,7,7,1,1,1,,\r\n");
  REQUIRE(w.layers.size() == 2);
  CHECK(w.name == "topo");
  CHECK(w.layers[0].name == "a");
  CHECK(w.layers[0].out == kq::Shape{4, 4, 4});  // ceil((8 - 3) / 2) + 1; floor would say 3
  CHECK(w.layers[1].out == kq::Shape{1, 1, 1});
  // A ninth column gives the horizontal stride.
  const kq::Workload sw = from_text(
      "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
      "Strides H, Strides W,\nx, 9, 9, 3, 3, 1, 1, 1, 3,\n");
  CHECK(sw.layers[0].out == kq::Shape{1, 7, 3});
  CHECK(from_text("layer,m,n,k\ng,4,5,6\n").layers[0].out == kq::Shape{5, 1, 4});
  // The workload is named after the file, made safe as a file name.
  CHECK(kq::scalesim_csv_from_text("Layer,M,N,K\ng,1,1,1\n", "dir/.my topo:v2.csv").name ==
        "_my_topo_v2");
}

TEST_CASE("malformed SCALE-Sim topologies name the line and column", "[unit]") {
  require_error("", "line 1", "empty file");
  require_error("\n  \n", "line 1", "empty file");
  require_error(kConvHeader, "line 1", "no layer rows");
  require_error("conv1, 8, 8, 3, 3, 1, 1, 1,\n", "line 1", "expected a header line");
  require_error("Layer, M, N\ng, 1, 2\n", "line 1", "got 3 column(s)");
  require_error("Layer, M, K, N,\ng, 1, 2, 3\n", "line 1", "expected the GEMM header");
  require_error(kConvHeader + "c, 8, 8, 3, 3, 1, 1,\n", "line 2", "expected 8 columns");
  require_error(kConvHeader + "c, 8, 8, 3, 3, 1, 1, 1, 1, 1\n", "line 2", "expected 8 columns");
  require_error(kConvHeader + "c, 8, eight, 3, 3, 1, 1, 1,\n", "line 2, column 3",
                "IFMAP Width: expected an integer in [1, 4294967295], got \"eight\"");
  require_error(kConvHeader + "c, 8, 8, 3, 3, 0, 1, 1,\n", "line 2, column 6", "got \"0\"");
  require_error(kConvHeader + "c, 8, 8, -3, 3, 1, 1, 1,\n", "line 2, column 4", "got \"-3\"");
  require_error(kConvHeader + "c, 8, 8, 3, 3, 1, 1.5, 1,\n", "line 2, column 7", "got \"1.5\"");
  require_error(kConvHeader + "c, 8, 8, 3, 3, 1, 1, 99999999999,\n", "line 2, column 8", "Strides");
  require_error(kConvHeader + "c, 8, 8, 3, 3, 1, 1, 4294967296,\n", "line 2, column 8",
                "4294967296");
  require_error(kConvHeader + "c, 8, 8, , 3, 1, 1, 1,\n", "line 2, column 4", "got \"\"");
  require_error(kConvHeader + "c, 8, 8, 9, 3, 1, 1, 1,\n", "line 2, column 4",
                "Filter Height 9 exceeds IFMAP Height 8");
  require_error(kConvHeader + "c, 8, 8, 3, 9, 1, 1, 1,\n", "line 2, column 5",
                "Filter Width 9 exceeds IFMAP Width 8");
  require_error(kConvHeader + "\nc, 8, 8, 3, 3, 1, 1, 1,\nc, 8, 8, 3, 3, 1, 1, 1,\n",
                "line 4, column 1", "duplicate layer name \"c\" (first on line 3)");
  require_error(kConvHeader + "conv 1, 8, 8, 3, 3, 1, 1, 1,\n", "line 2, column 1",
                "got \"conv 1\"");
  require_error(kConvHeader + ", 8, 8, 3, 3, 1, 1, 1,\n", "line 2, column 1", "Layer name");
  require_error("Layer, M, N, K,\ng, 1, 2, x,\n", "line 2, column 4", "K: expected an integer");
  using namespace std::string_literals;  // the literal holds a NUL byte
  require_error(kConvHeader + "c, 8, 8, 3, 3, 1, 1, 1,\n\x01\x02\xff\x00garbage"s, "line 3",
                "NUL byte");
  require_error("\x89PNG\r\n\x1a\n", "line 1", "column(s)");
  // (2^32-1)^3 input elements overflow 64 bits: reported on the row's line.
  require_error(kConvHeader +
                    "ok, 8, 8, 3, 3, 1, 1, 1,\n"
                    "big, 4294967295, 4294967295, 1, 1, 4294967295, 1, 1,\n",
                "line 3", "2^64");
  REQUIRE_THROWS_AS(kq::load_scalesim_csv(shipped("no_such_file.csv")), kq::InputError);
}
