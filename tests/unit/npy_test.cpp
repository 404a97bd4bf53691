#include "models/workload/npy.hpp"

#include <zlib.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include "models/common/input_error.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

std::string fixture(const std::string& name) {
  return std::string(KQSIM_SOURCE_DIR) + "/tests/data/npy/" + name;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

// A fresh directory per test case, removed afterwards, so tests can run side by side.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("kqsim_npy_test_" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// Runs `f`, which must throw InputError, and returns its message (other exceptions propagate
// and fail the test).
template <class F>
std::string input_error_of(F&& f) {
  try {
    f();
  } catch (const kq::InputError& e) {
    return e.what();
  }
  FAIL("expected an InputError");
  return "";
}

// A .npy file with the given header dict (padded like numpy) and raw data.
std::string make_npy(const std::string& dict, const std::string& data, int major = 1) {
  const size_t preamble = major == 1 ? 10 : 12;
  std::string header = dict;
  while ((preamble + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += '\0';
  for (size_t i = 0; i < preamble - 8; ++i)
    out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + data;
}

std::string f4_dict(const std::string& shape) {
  return "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
}

uint32_t rd32(const std::string& b, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}
uint16_t rd16(const std::string& b, size_t at) {
  return static_cast<uint16_t>(static_cast<unsigned char>(b[at]) |
                               (static_cast<unsigned char>(b[at + 1]) << 8));
}
void wr32(std::string& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void wr16(std::string& b, size_t at, uint16_t v) {
  b[at] = static_cast<char>(v & 0xff);
  b[at + 1] = static_cast<char>(v >> 8);
}

// Offsets of every header with `signature` ("PK\1\2" central, "PK\3\4" local).
std::vector<size_t> find_all(const std::string& b, const std::string& signature) {
  std::vector<size_t> at;
  for (size_t p = b.find(signature); p != std::string::npos; p = b.find(signature, p + 1))
    at.push_back(p);
  return at;
}

void replace_all(std::string& b, const std::string& from, const std::string& to) {
  REQUIRE(from.size() == to.size());
  for (size_t p = b.find(from); p != std::string::npos; p = b.find(from, p + 1))
    b.replace(p, from.size(), to);
}

// Rewrites bytes inside the data of the only member of a stored archive and fixes both CRCs,
// so the archive is sound and only the .npy inside is bad.
std::string patch_single_member(std::string zip, const std::string& from, const std::string& to) {
  const size_t data_at = 30 + rd16(zip, 26) + rd16(zip, 28);
  const size_t size = rd32(zip, 18);
  std::string data = zip.substr(data_at, size);
  replace_all(data, from, to);
  zip.replace(data_at, size, data);
  const auto crc = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
  wr32(zip, 14, crc);
  for (size_t c : find_all(zip, "PK\x01\x02")) wr32(zip, c + 16, crc);
  return zip;
}

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

std::vector<double> as_doubles(std::initializer_list<double> v) {
  return v;
}

}  // namespace

TEST_CASE("npy: every dtype written by numpy reads back exactly", "[unit]") {
  auto f4 = kq::read_npy_array(fixture("f4.npy"));
  CHECK(f4.dtype == kq::NpyDtype::f4);
  CHECK(f4.shape == std::vector<uint64_t>{2, 3});
  CHECK(f4.values ==
        as_doubles({0.5, -1.25, double(3.0e38f), double(1.0e-40f), 0.0, double(123456.789f)}));

  auto f8 = kq::read_npy_array(fixture("f8.npy"));
  CHECK(f8.dtype == kq::NpyDtype::f8);
  CHECK(f8.shape == std::vector<uint64_t>{4});
  CHECK(f8.values == as_doubles({0.1, -1.0e300, std::numeric_limits<double>::denorm_min(), 2.0}));

  auto f2 = kq::read_npy_array(fixture("f2.npy"));
  CHECK(f2.dtype == kq::NpyDtype::f2);
  CHECK(f2.shape == std::vector<uint64_t>{2, 3});
  // 0.1 as half is 0x2e66 = 1638/16384; 2^-24 is the smallest subnormal half.
  CHECK(f2.values == as_doubles({0.0999755859375, -2.5, 65504.0, std::ldexp(1.0, -24), 0.0, 1.0}));
  CHECK(std::signbit(f2.values[4]));

  auto i1 = kq::read_npy_array(fixture("i1.npy"));
  CHECK(i1.dtype == kq::NpyDtype::i1);
  CHECK(i1.values == as_doubles({-128, 127, 0, -1}));

  auto i2 = kq::read_npy_array(fixture("i2.npy"));
  CHECK(i2.dtype == kq::NpyDtype::i2);
  CHECK(i2.shape == std::vector<uint64_t>{2, 2});
  CHECK(i2.values == as_doubles({-32768, 32767, 1, -2}));

  auto i4 = kq::read_npy_array(fixture("i4.npy"));
  CHECK(i4.dtype == kq::NpyDtype::i4);
  CHECK(i4.values == as_doubles({-2147483648.0, 2147483647.0, 7}));

  auto scalar = kq::read_npy_array(fixture("scalar.npy"));
  CHECK(scalar.shape.empty());
  CHECK(scalar.values == as_doubles({2.5}));

  auto empty = kq::read_npy_array(fixture("empty.npy"));
  CHECK(empty.shape == std::vector<uint64_t>{0, 3});
  CHECK(empty.values.empty());
}

TEST_CASE("npy: format versions 2.0 and 3.0 and '<i1'", "[unit]") {
  auto v2 = kq::read_npy_array(fixture("v2.npy"));
  CHECK(v2.shape == std::vector<uint64_t>{2, 3});
  CHECK(v2.values == as_doubles({-2.5, -1.5, -0.5, 0.5, 1.5, 2.5}));
  auto v3 = kq::read_npy_array(fixture("v3.npy"));
  CHECK(v3.dtype == kq::NpyDtype::i2);
  CHECK(v3.values == as_doubles({-7, 9}));

  const std::string lt_i1 = make_npy("{'descr': '<i1', 'fortran_order': False, 'shape': (2,), }",
                                     std::string("\x80\x05", 2));
  auto a = kq::parse_npy_bytes(lt_i1, "x.npy", "");
  CHECK(a.dtype == kq::NpyDtype::i1);
  CHECK(a.values == as_doubles({-128, 5}));
  // Key order and quoting are free in a Python dict; numpy only happens to sort them.
  const std::string reordered = make_npy(
      "{\"shape\":(1,1),\"descr\":\"<i2\",\"fortran_order\":False}", std::string("\x01\x00", 2), 2);
  CHECK(kq::parse_npy_bytes(reordered, "x.npy", "").values == as_doubles({1}));
}

TEST_CASE("npz: archives from numpy.savez and numpy.savez_compressed", "[unit]") {
  auto stored = kq::read_npz(fixture("savez.npz"));
  REQUIRE(stored.size() == 3);
  const auto& conv1 = stored.at("conv1");
  CHECK(conv1.dtype == kq::NpyDtype::f4);
  CHECK(conv1.shape == std::vector<uint64_t>{2, 3, 2, 2});
  for (size_t i = 0; i < 24; ++i) CHECK(conv1.values[i] == 0.25 * double(i));
  CHECK(stored.at("fc").dtype == kq::NpyDtype::i2);
  CHECK(stored.at("fc").values == as_doubles({1, -2, 3, -4}));
  CHECK(stored.at("bias").values == as_doubles({0.1, 0.2}));

  for (const char* name : {"savez_compressed.npz", "zip64.npz"}) {
    INFO(name);
    auto deflated = kq::read_npz(fixture(name));
    REQUIRE(deflated.size() == 3);
    const auto& big = deflated.at("big");
    CHECK(big.shape == std::vector<uint64_t>{10, 100});
    REQUIRE(big.values.size() == 1000);
    for (size_t i = 0; i < 1000; ++i) CHECK(big.values[i] == double(i % 7) - 3.0);
    CHECK(deflated.at("half").dtype == kq::NpyDtype::f2);
    CHECK(deflated.at("half").values == as_doubles({1.5, -0.25}));
    CHECK(deflated.at("small").values == as_doubles({5}));
  }
}

TEST_CASE("npy and npz: write then read round-trips bit for bit", "[unit]") {
  TempDir dir;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.f, 3.f);
  std::vector<kq::Tensor> tensors;
  for (std::vector<uint64_t> shape :
       {std::vector<uint64_t>{2, 3}, {5}, {}, {0, 4}, {1, 3, 16, 16}, {4, 3, 3, 3}}) {
    kq::Tensor t;
    t.shape = shape;
    t.data.resize(t.elements());
    for (float& f : t.data) f = normal(rng);
    tensors.push_back(t);
  }
  tensors[0].data = {-0.0f,
                     std::numeric_limits<float>::denorm_min(),
                     std::numeric_limits<float>::max(),
                     -1e-30f,
                     1.f / 3.f,
                     42.f};

  auto same_bits = [](const kq::Tensor& a, const kq::Tensor& b) {
    REQUIRE(a.shape == b.shape);
    REQUIRE(a.data.size() == b.data.size());
    for (size_t i = 0; i < a.data.size(); ++i)
      CHECK(std::memcmp(&a.data[i], &b.data[i], sizeof(float)) == 0);
  };

  for (size_t i = 0; i < tensors.size(); ++i) {
    const std::string path = dir.file("t" + std::to_string(i) + ".npy");
    kq::write_npy(path, tensors[i]);
    const std::string bytes = slurp(path);
    // numpy aligns the data to 64 bytes with a version 1.0 header.
    CHECK(bytes[6] == 1);
    CHECK((10 + rd16(bytes, 8)) % 64 == 0);
    const auto a = kq::read_npy_array(path);
    CHECK(a.dtype == kq::NpyDtype::f4);
    same_bits(kq::to_tensor(a, path, ""), tensors[i]);
  }

  std::vector<std::pair<std::string, kq::Tensor>> named;
  for (size_t i = 0; i < tensors.size(); ++i)
    named.emplace_back("layer" + std::to_string(i) + ".weight", tensors[i]);
  const std::string npz = dir.file("all.npz");
  kq::write_npz(npz, named);
  const auto back = kq::read_npz(npz);
  REQUIRE(back.size() == named.size());
  for (const auto& [name, t] : named) {
    INFO(name);
    REQUIRE(back.count(name) == 1);
    same_bits(kq::to_tensor(back.at(name), npz, name), t);
  }
  // Writing the same arrays twice gives the same bytes (no timestamps), which keeps hashes of
  // outputs stable.
  const std::string again = dir.file("again.npz");
  kq::write_npz(again, named);
  CHECK(slurp(npz) == slurp(again));

  CHECK_THROWS_AS(kq::write_npz(dir.file("dup.npz"), {{"a", tensors[1]}, {"a", tensors[1]}}),
                  std::invalid_argument);
  kq::Tensor bad;
  bad.shape = {2, 2};
  bad.data = {1.f};
  CHECK_THROWS_AS(kq::write_npy(dir.file("bad.npy"), bad), std::invalid_argument);
  const std::string unwritable = dir.file("no/such/dir/x.npy");
  CHECK_THAT(input_error_of([&] { kq::write_npy(unwritable, tensors[1]); }), Contains(unwritable));
}

TEST_CASE("to_tensor rejects non-finite values by default", "[unit]") {
  const auto inf = kq::read_npy_array(fixture("inf.npy"));
  const std::string inf_msg =
      input_error_of([&] { kq::to_tensor(inf, "weights.npz", "conv1.weight"); });
  CHECK_THAT(inf_msg, Contains("weights.npz") && Contains("conv1.weight") && Contains("[1]") &&
                          Contains("+inf"));
  const auto passed = kq::to_tensor(inf, "weights.npz", "conv1.weight", false);
  CHECK(std::isinf(passed.data[1]));

  kq::NpyArray nan{kq::NpyDtype::f4, {2, 2}, {1, 2, 3, std::nan("")}};
  CHECK_THAT(input_error_of([&] { kq::to_tensor(nan, "in.npy", ""); }),
             Contains("in.npy: data:") && Contains("[1, 1]") && Contains("NaN"));

  // A double beyond float's range would silently become infinity.
  kq::NpyArray huge{kq::NpyDtype::f8, {1}, {-1e300}};
  CHECK_THAT(input_error_of([&] { kq::to_tensor(huge, "w.npz", "fc"); }),
             Contains("float32 range"));
  // Slightly above FLT_MAX still rounds to FLT_MAX, as numpy's astype does.
  const double above = double(std::numeric_limits<float>::max()) * (1 + 1e-9);
  kq::NpyArray edge{kq::NpyDtype::f8, {2}, {above, -above}};
  const auto t = kq::to_tensor(edge, "w.npz", "fc");
  CHECK(t.data[0] == std::numeric_limits<float>::max());
  CHECK(t.data[1] == -std::numeric_limits<float>::max());

  kq::NpyArray mismatched{kq::NpyDtype::f4, {3}, {1, 2}};
  CHECK_THROWS_AS(kq::to_tensor(mismatched, "w.npz", "fc"), kq::InputError);
}

TEST_CASE("npy: malformed files are InputErrors naming the file and field", "[unit]") {
  TempDir dir;
  const std::string good = slurp(fixture("f4.npy"));
  struct Case {
    const char* name;
    std::string bytes;
    std::vector<std::string> expect;
  };
  const std::string data6(24, '\0');
  const std::vector<Case> cases = {
      {"empty", "", {": header:", "empty"}},
      {"bad_magic", std::string("\x93NUMPX\x01\x00", 8) + good.substr(8), {": header:", "magic"}},
      {"text", "hello world, not numpy", {": header:", "magic"}},
      {"zip_as_npy", slurp(fixture("savez.npz")), {": header:", "zip"}},
      {"version", "\x93NUMPY\x04" + good.substr(7), {": header:", "version 4.0"}},
      {"magic_only", "\x93NUMPY", {": header:", "truncated"}},
      {"truncated_header", good.substr(0, 40), {": header:", "truncated"}},
      {"truncated_data", good.substr(0, good.size() - 1), {": data:", "truncated"}},
      {"trailing_garbage", good + "xyz", {": data:", "3 bytes of trailing garbage"}},
      {"fortran",
       make_npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", data6),
       {": fortran_order:", "fortran_order True"}},
      {"big_endian",
       make_npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", data6),
       {": dtype:", "big-endian", "'>f4'"}},
      {"u4",
       make_npy("{'descr': '<u4', 'fortran_order': False, 'shape': (2, 3), }", data6),
       {": dtype:", "unsupported dtype '<u4'"}},
      {"c8",
       make_npy("{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }", data6),
       {": dtype:", "'<c8'"}},
      {"b1",
       make_npy("{'descr': '|b1', 'fortran_order': False, 'shape': (24,), }", data6),
       {": dtype:", "'|b1'"}},
      {"object",
       make_npy("{'descr': '|O', 'fortran_order': False, 'shape': (3,), }", data6),
       {": dtype:", "'|O'"}},
      {"structured",
       make_npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,), }", data6),
       {": dtype:", "structured"}},
      {"unknown_key",
       make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'extra': 1, }", data6),
       {": header:", "'extra'"}},
      {"missing_key",
       make_npy("{'descr': '<f4', 'shape': (6,), }", data6),
       {": header:", "lacks the key 'fortran_order'"}},
      {"duplicate_key",
       make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'shape': (6,)}", data6),
       {": header:", "twice"}},
      {"unclosed_dict",
       make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,)", data6),
       {": header:", "malformed"}},
      {"missing_comma",
       make_npy("{'descr': '<f4' 'fortran_order': False, 'shape': (6,)}", data6),
       {": header:", "malformed"}},
      {"after_dict", make_npy(f4_dict("(6,)") + " junk", data6), {": header:", "after"}},
      {"not_a_dict", make_npy("['<f4', False, (6,)]", data6), {": header:", "malformed"}},
      {"bool_as_int",
       make_npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (6,), }", data6),
       {": fortran_order:", "True or False"}},
      {"unterminated", make_npy("{'descr': '<f4", data6), {": header:", "unterminated"}},
      {"int_not_tuple", make_npy(f4_dict("(6)"), data6), {": shape:", "not a tuple"}},
      {"list_shape", make_npy(f4_dict("[6]"), data6), {": shape:", "tuple"}},
      {"negative_dim", make_npy(f4_dict("(-6,)"), data6), {": shape:", "non-negative"}},
      {"float_dim", make_npy(f4_dict("(6.0,)"), data6), {": shape:", "non-negative"}},
      {"dim_overflow",
       make_npy(f4_dict("(99999999999999999999999,)"), data6),
       {": shape:", "64 bits"}},
      {"count_overflow",
       make_npy(f4_dict("(4294967296, 4294967296, 16)"), data6),
       {": shape:", "2^64 elements"}},
      {"bytes_overflow",
       make_npy(f4_dict("(4611686018427387904,)"), data6),
       {": shape:", "2^64 bytes"}},
      {"bigger_than_file",
       make_npy(f4_dict("(1099511627776,)"), data6),
       {": data:", "truncated", "4398046511104 bytes"}},
      {"too_many_dims",
       make_npy(f4_dict("(" + repeat("1, ", 65) + ")"), data6),
       {": shape:", "more than 64 dimensions"}},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const std::string path = dir.file(std::string(c.name) + ".npy");
    spit(path, c.bytes);
    const std::string msg = input_error_of([&] { kq::read_npy_array(path); });
    INFO(msg);
    CHECK_THAT(msg, Contains(path));
    for (const auto& e : c.expect) CHECK_THAT(msg, Contains(e));
    CHECK(msg.find('\n') == std::string::npos);
  }
  CHECK_THAT(input_error_of([&] { kq::read_npy_array(dir.file("absent.npy")); }),
             Contains("absent.npy") && Contains("cannot open"));
  CHECK_THAT(input_error_of([&] { kq::read_npy_array(dir.file("")); }), Contains("directory"));
}

TEST_CASE("npz: malformed archives are InputErrors naming the file and member", "[unit]") {
  TempDir dir;
  const std::string stored = slurp(fixture("savez.npz"));
  const std::string deflated = slurp(fixture("savez_compressed.npz"));
  struct Case {
    const char* name;
    std::string bytes;
    std::vector<std::string> expect;
  };
  std::vector<Case> cases = {
      {"empty", "", {"empty"}},
      {"garbage", std::string(300, '\x5a'), {"end-of-central-directory"}},
      {"npy_as_npz", slurp(fixture("f4.npy")), {".npy array, not an .npz"}},
      {"truncated_half", stored.substr(0, stored.size() / 2), {"end-of-central-directory"}},
      {"truncated_end", stored.substr(0, stored.size() - 1), {"end-of-central-directory"}},
  };
  {
    // Flip one byte of conv1's array data: only the CRC notices.
    std::string bad = stored;
    bad[0x100] = static_cast<char>(bad[0x100] ^ 0x40);
    cases.push_back({"bad_crc", bad, {": conv1.npy:", "CRC-32 mismatch"}});
  }
  {
    std::string bad = deflated;
    const size_t data_at = 30 + rd16(bad, 26) + rd16(bad, 28);
    bad[data_at + 40] = static_cast<char>(bad[data_at + 40] ^ 0x01);
    cases.push_back({"bad_deflate", bad, {": big.npy:"}});
  }
  {
    std::string bad = stored;
    replace_all(bad, "fc.npy", "fc.txt");
    cases.push_back({"not_npy", bad, {": fc.txt:", "not a .npy"}});
  }
  {
    // write_npz refuses duplicates, so rename one member onto the other afterwards.
    kq::Tensor t{{2}, {1.f, 2.f}};
    const std::string path = dir.file("dup_src.npz");
    kq::write_npz(path, {{"ab", t}, {"ac", t}});
    std::string bad = slurp(path);
    replace_all(bad, "ac.npy", "ab.npy");
    cases.push_back({"duplicate", bad, {": ab.npy:", "duplicate"}});
  }
  {
    std::string bad = stored;
    for (size_t c : find_all(bad, "PK\x01\x02")) wr16(bad, c + 8, 1);
    for (size_t l : find_all(bad, "PK\x03\x04")) wr16(bad, l + 6, 1);
    cases.push_back({"encrypted", bad, {"encrypted"}});
  }
  {
    std::string bad = stored;
    for (size_t c : find_all(bad, "PK\x01\x02")) wr16(bad, c + 10, 12);
    for (size_t l : find_all(bad, "PK\x03\x04")) wr16(bad, l + 8, 12);
    cases.push_back({"bzip2", bad, {"compression method 12"}});
  }
  {
    // The central directory claims a data offset beyond the file.
    std::string bad = stored;
    wr32(bad, find_all(bad, "PK\x01\x02").back() + 42, 0x7fffffff);
    cases.push_back({"offset_out_of_range", bad, {": bias.npy:", "local header"}});
  }
  {
    // A deflate member claiming 2^60 bytes (in the zip64 fields of both its headers) must not
    // be allocated.
    std::string bad = slurp(fixture("zip64.npz"));
    const size_t c = find_all(bad, "PK\x01\x02").front();
    for (size_t extra : {size_t{30} + rd16(bad, 26), c + 46 + rd16(bad, c + 28)})
      for (int i = 0; i < 8; ++i) bad[extra + 4 + i] = i == 7 ? 0x10 : 0;
    cases.push_back({"huge_claim", bad, {": big.npy:", "claims"}});
  }
  {
    // Everything sound except the array inside.
    kq::Tensor t{{2}, {1.f, 2.f}};
    const std::string path = dir.file("be_src.npz");
    kq::write_npz(path, {{"w", t}});
    cases.push_back({"big_endian_member",
                     patch_single_member(slurp(path), "'<f4'", "'>f4'"),
                     {": w/dtype:", "big-endian"}});
    cases.push_back({"fortran_member",
                     patch_single_member(slurp(path), "False", "True "),
                     {": w/fortran_order:"}});
  }
  for (const Case& c : cases) {
    INFO(c.name);
    const std::string path = dir.file(std::string(c.name) + ".npz");
    spit(path, c.bytes);
    const std::string msg = input_error_of([&] { kq::read_npz(path); });
    INFO(msg);
    CHECK_THAT(msg, Contains(path));
    for (const auto& e : c.expect) CHECK_THAT(msg, Contains(e));
    CHECK(msg.find('\n') == std::string::npos);
  }

  // NaN weights load (the reader keeps raw values) but to_tensor refuses them.
  kq::Tensor nan{{3}, {1.f, std::nanf(""), 2.f}};
  const std::string path = dir.file("nan_weights.npz");
  kq::write_npz(path, {{"conv1", nan}});
  const auto arrays = kq::read_npz(path);
  CHECK_THAT(input_error_of([&] { kq::to_tensor(arrays.at("conv1"), path, "conv1"); }),
             Contains(path) && Contains("conv1/data") && Contains("NaN"));
}

// Every truncation and every single-byte corruption of real archives and arrays must end in a
// clean result or an InputError: no crash, no other exception, no huge allocation (ASan builds
// check the reads).
TEST_CASE("npy and npz: truncated and corrupted inputs never crash", "[unit]") {
  for (const char* name : {"savez.npz", "savez_compressed.npz", "zip64.npz"}) {
    INFO(name);
    const std::string good = slurp(fixture(name));
    for (size_t len = 0; len < good.size(); ++len) {
      INFO(len);
      CHECK_THROWS_AS(kq::parse_npz_bytes(good.substr(0, len), name), kq::InputError);
    }
    for (size_t i = 0; i < good.size(); ++i) {
      for (unsigned char x : {0x01, 0x80, 0xff}) {
        std::string bad = good;
        bad[i] = static_cast<char>(bad[i] ^ x);
        try {
          kq::parse_npz_bytes(bad, name);
        } catch (const kq::InputError&) {
        }
      }
    }
  }
  for (const char* name : {"f4.npy", "f2.npy", "i1.npy", "v2.npy", "v3.npy", "scalar.npy"}) {
    INFO(name);
    const std::string good = slurp(fixture(name));
    for (size_t len = 0; len < good.size(); ++len)
      CHECK_THROWS_AS(kq::parse_npy_bytes(good.substr(0, len), name, ""), kq::InputError);
    for (size_t i = 0; i < good.size(); ++i) {
      for (unsigned char x : {0x01, 0x20, 0x80, 0xff}) {
        std::string bad = good;
        bad[i] = static_cast<char>(bad[i] ^ x);
        try {
          kq::parse_npy_bytes(bad, name, "");
        } catch (const kq::InputError&) {
        }
      }
    }
  }
  std::mt19937 rng(1);
  for (int i = 0; i < 2000; ++i) {
    std::string junk(rng() % 300, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    if (i % 2) junk = std::string("\x93NUMPY\x01\x00", 8) + junk;
    try {
      kq::parse_npy_bytes(junk, "junk.npy", "");
    } catch (const kq::InputError&) {
    }
    try {
      kq::parse_npz_bytes(junk + std::string("PK\x05\x06", 4) + std::string(18, '\0'), "j.npz");
    } catch (const kq::InputError&) {
    }
  }
}
