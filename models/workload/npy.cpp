#include "models/workload/npy.hpp"

// Makes zlib's next_in a pointer to const, so read-only input needs no const_cast.
#define ZLIB_CONST
#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <stdexcept>
#include <string_view>

#include "models/common/input_error.hpp"
#include "models/common/input_file.hpp"

namespace kq {
namespace {

constexpr std::string_view kNpyMagic{"\x93NUMPY", 6};
// numpy itself refuses more dimensions than this (32 before 2.0, 64 since).
constexpr size_t kMaxDims = 64;
// Largest tensor file read: VGG-16's fp32 weights are 0.55 GB, doubles twice that.
constexpr uint64_t kMaxTensorFileBytes = uint64_t{4} << 30;
constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();

// ---------------------------------------------------------------------------------------------
// Small helpers

// Bytes from the file end up in messages; keep the message one printable line whatever they are.
std::string printable(std::string_view s, size_t max_len = 60) {
  std::string out;
  for (unsigned char c : s) {
    if (out.size() >= max_len) {
      out += "...";
      break;
    }
    if (c >= 0x20 && c < 0x7f)
      out += static_cast<char>(c);
    else
      out += fmt::format("\\x{:02x}", c);
  }
  return out;
}

// `len` bytes starting at `at` lie inside a buffer of `size` bytes (written to never overflow).
bool fits(uint64_t at, uint64_t len, uint64_t size) {
  return len <= size && at <= size - len;
}

// Little-endian loads; callers have checked the bounds with fits().
uint16_t le16(std::string_view b, uint64_t at) {
  const auto* p = reinterpret_cast<const unsigned char*>(b.data() + at);
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
uint32_t le32(std::string_view b, uint64_t at) {
  return static_cast<uint32_t>(le16(b, at)) | (static_cast<uint32_t>(le16(b, at + 2)) << 16);
}
uint64_t le64(std::string_view b, uint64_t at) {
  return static_cast<uint64_t>(le32(b, at)) | (static_cast<uint64_t>(le32(b, at + 4)) << 32);
}

void put16(std::string& out, uint16_t v) {
  out += static_cast<char>(v & 0xff);
  out += static_cast<char>(v >> 8);
}
void put32(std::string& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v & 0xffff));
  put16(out, static_cast<uint16_t>(v >> 16));
}
void put64(std::string& out, uint64_t v) {
  put32(out, static_cast<uint32_t>(v & 0xffffffffu));
  put32(out, static_cast<uint32_t>(v >> 32));
}

std::string shape_string(const std::vector<uint64_t>& shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

// Element count of `shape`; false if it does not fit in 64 bits. A zero
// dimension makes the count zero however large the others are, as in numpy.
bool element_count(const std::vector<uint64_t>& shape, uint64_t& count) {
  count = 1;
  if (std::find(shape.begin(), shape.end(), uint64_t{0}) != shape.end()) {
    count = 0;
    return true;
  }
  for (uint64_t d : shape) {
    if (count > kU64Max / d) return false;
    count *= d;
  }
  return true;
}

std::string read_file_bytes(const std::string& path) {
  return read_input_file(path, kMaxTensorFileBytes, "a .npy or .npz file");
}

void write_file_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out)
    throw InputError(path, "", fmt::format("cannot open for writing: {}", std::strerror(errno)));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw InputError(path, "", "write error");
}

// Error location of a field of an array: "shape" for a lone .npy, "conv1/shape" for an .npz
// member, so the user can tell which array of an archive is at fault.
std::string field_location(const std::string& member, const char* field) {
  return member.empty() ? std::string(field) : printable(member, 200) + "/" + field;
}

uint32_t crc32_of(std::string_view data) {
  return static_cast<uint32_t>(
      crc32_z(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<z_size_t>(data.size())));
}

// ---------------------------------------------------------------------------------------------
// .npy header

struct DtypeInfo {
  NpyDtype dtype;
  const char* descr;
  uint64_t size;
};
constexpr DtypeInfo kDtypes[] = {
    {NpyDtype::f4, "<f4", 4}, {NpyDtype::f8, "<f8", 8}, {NpyDtype::f2, "<f2", 2},
    {NpyDtype::i1, "|i1", 1}, {NpyDtype::i2, "<i2", 2}, {NpyDtype::i4, "<i4", 4},
    {NpyDtype::i8, "<i8", 8}, {NpyDtype::u1, "|u1", 1},
};

uint64_t item_size(NpyDtype d) {
  for (const auto& info : kDtypes)
    if (info.dtype == d) return info.size;
  return 0;
}

struct NpyHeader {
  NpyDtype dtype = NpyDtype::f4;
  std::vector<uint64_t> shape;
};

// Parses the header dict, a Python literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
// accepting exactly the subset of Python syntax numpy can produce for the supported arrays. A
// full literal evaluator would accept far more than any writer emits and hide corrupt files.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& file, const std::string& member)
      : text_(text), file_(file), member_(member) {}

  NpyHeader parse() {
    std::string descr;
    bool have_descr = false, have_order = false, have_shape = false, fortran_order = false;
    std::vector<uint64_t> shape;
    skip_ws();
    expect('{');
    while (true) {
      skip_ws();
      if (consume('}')) break;
      const std::string key = parse_string("a quoted key");
      skip_ws();
      expect(':');
      skip_ws();
      bool* seen = nullptr;
      if (key == "descr") {
        seen = &have_descr;
        if (peek() != '\'' && peek() != '"')
          throw InputError(file_, location("dtype"),
                           "'descr' must be a dtype string such as '<f4' (structured and "
                           "subarray dtypes are not supported)");
        descr = parse_string("a dtype string");
      } else if (key == "fortran_order") {
        seen = &have_order;
        fortran_order = parse_bool();
      } else if (key == "shape") {
        seen = &have_shape;
        shape = parse_shape();
      } else {
        throw InputError(file_, location("header"),
                         fmt::format("unexpected key '{}' in the header dict (expected only "
                                     "'descr', 'fortran_order' and 'shape')",
                                     printable(key)));
      }
      if (*seen)
        throw InputError(file_, location("header"),
                         fmt::format("key '{}' appears twice in the header dict", key));
      *seen = true;
      skip_ws();
      if (consume(',')) continue;
      expect('}');
      break;
    }
    skip_ws();
    if (pos_ != text_.size()) fail("unexpected text after the closing '}'");
    for (auto [have, key] : {std::pair{have_descr, "descr"}, std::pair{have_order, "fortran_order"},
                             std::pair{have_shape, "shape"}}) {
      if (!have)
        throw InputError(file_, location("header"),
                         fmt::format("the header dict lacks the key '{}'", key));
    }
    if (fortran_order)
      throw InputError(file_, location("fortran_order"),
                       "fortran_order True is not supported; save a C-ordered array "
                       "(numpy.ascontiguousarray)");
    NpyHeader h;
    h.dtype = parse_descr(descr);
    h.shape = std::move(shape);
    return h;
  }

 private:
  std::string location(const char* field) const { return field_location(member_, field); }

  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(file_, location("header"),
                     fmt::format("malformed header dict at character {}: {} (header: \"{}\")", pos_,
                                 what, printable(text_, 120)));
  }

  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  void skip_ws() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }

  bool consume(char c) {
    if (pos_ >= text_.size() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  void expect(char c) {
    if (!consume(c)) fail(fmt::format("expected '{}'", c));
  }

  std::string parse_string(const char* what) {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail(fmt::format("expected {}", what));
    ++pos_;
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      // numpy never writes escapes or line breaks inside these strings.
      if (text_[pos_] == '\\') fail("escape sequences are not supported in header strings");
      if (text_[pos_] == '\n') break;
      ++pos_;
    }
    if (pos_ >= text_.size() || text_[pos_] != quote) fail("unterminated string");
    ++pos_;
    return std::string(text_.substr(start, pos_ - 1 - start));
  }

  bool identifier_char(char c) const {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.';
  }

  bool parse_bool() {
    for (auto [word, value] :
         {std::pair{std::string_view("True"), true}, std::pair{std::string_view("False"), false}}) {
      if (text_.substr(pos_, word.size()) == word &&
          !identifier_char(pos_ + word.size() < text_.size() ? text_[pos_ + word.size()] : ' ')) {
        pos_ += word.size();
        return value;
      }
    }
    throw InputError(file_, location("fortran_order"), "'fortran_order' must be True or False");
  }

  std::vector<uint64_t> parse_shape() {
    if (!consume('('))
      throw InputError(file_, location("shape"),
                       "'shape' must be a tuple of non-negative integers such as (3, 4)");
    std::vector<uint64_t> dims;
    skip_ws();
    if (consume(')')) return dims;
    while (true) {
      dims.push_back(parse_dim());
      if (dims.size() > kMaxDims)
        throw InputError(file_, location("shape"),
                         fmt::format("more than {} dimensions", kMaxDims));
      skip_ws();
      if (consume(',')) {
        skip_ws();
        if (consume(')')) return dims;
        continue;
      }
      if (consume(')')) {
        // In Python "(3)" is the integer 3, not a tuple.
        if (dims.size() == 1)
          throw InputError(
              file_, location("shape"),
              fmt::format("'shape' ({}) is not a tuple; expected ({},)", dims[0], dims[0]));
        return dims;
      }
      fail("expected ',' or ')' in the shape tuple");
    }
  }

  uint64_t parse_dim() {
    const size_t start = pos_;
    uint64_t v = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      const auto digit = static_cast<uint64_t>(text_[pos_] - '0');
      if (v > (kU64Max - digit) / 10)
        throw InputError(file_, location("shape"), "a dimension does not fit in 64 bits");
      v = v * 10 + digit;
      ++pos_;
    }
    const size_t len = pos_ - start;
    if (len == 0 || identifier_char(peek()) || (len > 1 && text_[start] == '0'))
      throw InputError(file_, location("shape"),
                       fmt::format("dimensions must be non-negative integers, found '{}'",
                                   printable(text_.substr(start, 20))));
    return v;
  }

  NpyDtype parse_descr(const std::string& descr) const {
    if (descr == "<i1") return NpyDtype::i1;  // numpy writes '|i1' but accepts both
    if (descr == "<u1") return NpyDtype::u1;
    for (const auto& info : kDtypes)
      if (descr == info.descr) return info.dtype;
    if (!descr.empty() && descr[0] == '>')
      throw InputError(file_, location("dtype"),
                       fmt::format("big-endian dtype '{}' is not supported; save little-endian "
                                   "data (e.g. a.astype('<{}'))",
                                   printable(descr), printable(descr.substr(1))));
    throw InputError(file_, location("dtype"),
                     fmt::format("unsupported dtype '{}' (expected one of <f2, <f4, <f8, |i1, "
                                 "<i2, <i4, <i8, |u1)",
                                 printable(descr)));
  }

  std::string_view text_;
  const std::string& file_;
  const std::string& member_;
  size_t pos_ = 0;
};

// Exact: every half value is a small integer times a power of two.
double half_to_double(uint16_t h) {
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  double v;
  if (exponent == 0)
    v = std::ldexp(mantissa, -24);
  else if (exponent == 31)
    v = mantissa ? std::numeric_limits<double>::quiet_NaN()
                 : std::numeric_limits<double>::infinity();
  else
    v = std::ldexp(mantissa + 1024, exponent - 25);
  return (h & 0x8000) ? -v : v;
}

std::string npy_bytes(const Tensor& t) {
  uint64_t count = 0;
  if (!element_count(t.shape, count) || count != t.data.size())
    throw std::invalid_argument(fmt::format("write_npy: shape {} does not match {} values",
                                            shape_string(t.shape), t.data.size()));
  std::string dict = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': {}, }}",
                                 shape_string(t.shape));
  // numpy pads the header with spaces and a newline so the data starts 64-byte aligned.
  auto padded = [&](size_t preamble) {
    const size_t raw = preamble + dict.size() + 1;
    return (raw + 63) / 64 * 64 - preamble;
  };
  size_t header_len = padded(10);
  const bool v2 = header_len > 0xffff;
  if (v2) header_len = padded(12);
  std::string out(kNpyMagic);
  out += static_cast<char>(v2 ? 2 : 1);
  out += '\0';
  if (v2)
    put32(out, static_cast<uint32_t>(header_len));
  else
    put16(out, static_cast<uint16_t>(header_len));
  out += dict;
  out.append(header_len - dict.size() - 1, ' ');
  out += '\n';
  out.reserve(out.size() + 4 * t.data.size());
  for (float f : t.data) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    put32(out, bits);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// .npz (zip)

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr size_t kLocalSize = 30, kCentralSize = 46, kEndSize = 22, kZip64EndSize = 56,
                 kZip64LocatorSize = 20;
constexpr uint32_t kSat32 = 0xffffffffu;
constexpr uint16_t kSat16 = 0xffff;
// DOS date 1980-01-01, as numpy writes: keeps our archives byte-for-byte reproducible.
constexpr uint16_t kDosDate = (1 << 5) | 1;

struct ZipEntry {
  std::string name;
  uint16_t flags = 0, method = 0;
  uint32_t crc = 0;
  uint64_t csize = 0, usize = 0, local_offset = 0;
  uint32_t disk = 0;
};

// Replaces the 32-bit fields that hold the "see zip64" marker with the values from the zip64
// extra field (header id 0x0001), which lists only the marked fields, in this order. A local
// header's zip64 field always holds both sizes (APPNOTE 4.5.3), and Python's zipfile writes it
// even when the 32-bit sizes are valid, so there the positions are fixed.
void apply_zip64_extra(std::string_view extra, bool local, uint64_t* usize, uint64_t* csize,
                       uint64_t* offset, uint32_t* disk, const std::string& file,
                       const std::string& where) {
  const bool need_u = *usize == kSat32, need_c = *csize == kSat32;
  const bool need_o = offset && *offset == kSat32, need_d = disk && *disk == kSat16;
  uint64_t at = 0;
  bool found = false;
  while (at < extra.size()) {
    if (!fits(at, 4, extra.size())) throw InputError(file, where, "truncated extra field");
    const uint16_t id = le16(extra, at), len = le16(extra, at + 2);
    if (!fits(at + 4, len, extra.size()))
      throw InputError(file, where, "extra field runs past its header");
    if (id == kZip64ExtraId) {
      if (found) throw InputError(file, where, "two zip64 extra fields");
      found = true;
      const std::string_view z = extra.substr(at + 4, len);
      uint64_t p = 0;
      auto take = [&](uint64_t* field, uint64_t width) {
        if (!fits(p, width, z.size()))
          throw InputError(file, where, "zip64 extra field too short for the fields it replaces");
        *field = width == 8 ? le64(z, p) : le32(z, p);
        p += width;
      };
      if (local && z.size() >= 16) {
        if (need_u) *usize = le64(z, 0);
        if (need_c) *csize = le64(z, 8);
      } else {
        if (need_u) take(usize, 8);
        if (need_c) take(csize, 8);
        if (need_o) take(offset, 8);
        if (need_d) {
          uint64_t d = 0;
          take(&d, 4);
          *disk = static_cast<uint32_t>(d);
        }
      }
    }
    at += 4 + uint64_t{len};
  }
  if (!found && (need_u || need_c || need_o))
    throw InputError(file, where, "32-bit size or offset marked as zip64 but no zip64 extra field");
}

// Inflates raw deflate data (no zlib/gzip wrapper, as zip stores it), producing exactly
// `usize` bytes. Output grows only as real data arrives, so a lying size cannot force a huge
// allocation.
std::string inflate_member(std::string_view in, uint64_t usize, const std::string& file,
                           const std::string& where) {
  // Deflate cannot expand by more than 1032:1; a larger claim is corruption.
  if (usize / 1032 > in.size() + 1)
    throw InputError(
        file, where,
        fmt::format("claims {} uncompressed bytes from {} compressed bytes", usize, in.size()));
  z_stream s{};
  if (inflateInit2(&s, -MAX_WBITS) != Z_OK) throw std::runtime_error("zlib inflateInit2 failed");
  struct Guard {
    z_stream* s;
    ~Guard() { inflateEnd(s); }
  } guard{&s};
  std::string out;
  out.reserve(static_cast<size_t>(std::min<uint64_t>(usize, uint64_t{64} << 20)));
  uint64_t fed = 0;
  char buf[1 << 16];
  while (true) {
    if (s.avail_in == 0 && fed < in.size()) {
      const uint64_t chunk = std::min<uint64_t>(in.size() - fed, 1u << 30);
      s.next_in = reinterpret_cast<const Bytef*>(in.data() + fed);
      s.avail_in = static_cast<uInt>(chunk);
      fed += chunk;
    }
    s.next_out = reinterpret_cast<Bytef*>(buf);
    s.avail_out = sizeof buf;
    const int r = inflate(&s, Z_NO_FLUSH);
    const size_t produced = sizeof buf - s.avail_out;
    if (produced > usize - out.size())
      throw InputError(
          file, where,
          fmt::format("inflates to more than the {} bytes the directory declares", usize));
    out.append(buf, produced);
    if (r == Z_STREAM_END) break;
    if (r == Z_MEM_ERROR) throw std::bad_alloc();
    if (r == Z_BUF_ERROR && s.avail_in == 0 && fed == in.size())
      throw InputError(file, where, "deflate data ends early (truncated?)");
    if (r != Z_OK && r != Z_BUF_ERROR)
      throw InputError(file, where,
                       fmt::format("corrupt deflate data ({})", s.msg ? s.msg : "zlib error"));
  }
  const uint64_t unused = s.avail_in + (in.size() - fed);
  if (unused != 0)
    throw InputError(file, where,
                     fmt::format("{} bytes follow the end of the deflate data", unused));
  if (out.size() != usize)
    throw InputError(
        file, where,
        fmt::format("inflates to {} bytes but the directory declares {}", out.size(), usize));
  return out;
}

std::string method_name(uint16_t m) {
  switch (m) {
    case 1:
      return "shrink";
    case 6:
      return "implode";
    case 9:
      return "deflate64";
    case 12:
      return "bzip2";
    case 14:
      return "LZMA";
    case 93:
      return "zstd";
    case 95:
      return "xz";
    case 99:
      return "AES encryption";
    default:
      return "unknown";
  }
}

}  // namespace

std::string_view to_string(NpyDtype d) {
  for (const auto& info : kDtypes)
    if (info.dtype == d) return info.descr;
  return "?";
}

NpyArray parse_npy_bytes(const std::string& bytes, const std::string& file_name,
                         const std::string& member) {
  const std::string_view b(bytes);
  auto location = [&](const char* field) { return field_location(member, field); };
  if (b.empty()) throw InputError(file_name, location("header"), "empty; expected a .npy array");
  if (b.substr(0, kNpyMagic.size()) != kNpyMagic) {
    if (b.substr(0, 2) == "PK")
      throw InputError(file_name, location("header"),
                       "this is a zip (.npz) archive, not a .npy array");
    throw InputError(file_name, location("header"),
                     fmt::format("not a .npy file: expected the magic \\x93NUMPY, found \"{}\"",
                                 printable(b.substr(0, kNpyMagic.size()))));
  }
  if (b.size() < 8) throw InputError(file_name, location("header"), "truncated header");
  const auto major = static_cast<unsigned char>(b[6]), minor = static_cast<unsigned char>(b[7]);
  if (major < 1 || major > 3 || minor != 0)
    throw InputError(file_name, location("header"),
                     fmt::format("unsupported .npy format version {}.{} (expected 1.0, 2.0 or 3.0)",
                                 major, minor));
  const uint64_t preamble = major == 1 ? 10 : 12;
  if (b.size() < preamble) throw InputError(file_name, location("header"), "truncated header");
  const uint64_t header_len = major == 1 ? le16(b, 8) : le32(b, 8);
  if (!fits(preamble, header_len, b.size()))
    throw InputError(file_name, location("header"),
                     fmt::format("truncated: the header claims {} bytes but only {} follow",
                                 header_len, b.size() - preamble));
  const NpyHeader h = HeaderParser(b.substr(preamble, header_len), file_name, member).parse();

  NpyArray a;
  a.dtype = h.dtype;
  a.shape = h.shape;
  const uint64_t itemsize = item_size(h.dtype);
  uint64_t count = 0;
  if (!element_count(h.shape, count))
    throw InputError(file_name, location("shape"),
                     fmt::format("shape {} has more than 2^64 elements", shape_string(h.shape)));
  if (count > kU64Max / itemsize)
    throw InputError(file_name, location("shape"),
                     fmt::format("shape {} of {} needs more than 2^64 bytes", shape_string(h.shape),
                                 to_string(h.dtype)));
  const uint64_t data_offset = preamble + header_len, available = b.size() - data_offset;
  const uint64_t needed = count * itemsize;
  if (needed > available)
    throw InputError(file_name, location("data"),
                     fmt::format("truncated: shape {} of {} needs {} bytes of data but only {} "
                                 "follow the header",
                                 shape_string(h.shape), to_string(h.dtype), needed, available));
  if (needed < available)
    throw InputError(
        file_name, location("data"),
        fmt::format("{} bytes of trailing garbage after the data (shape {} of {} "
                    "needs {} bytes)",
                    available - needed, shape_string(h.shape), to_string(h.dtype), needed));

  // The element count is now bounded by the file size, so this allocation is safe.
  a.values.resize(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t at = data_offset + i * itemsize;
    double v = 0;
    switch (h.dtype) {
      case NpyDtype::f4: {
        const uint32_t bits = le32(b, at);
        float f;
        std::memcpy(&f, &bits, sizeof f);
        v = f;
        break;
      }
      case NpyDtype::f8: {
        const uint64_t bits = le64(b, at);
        std::memcpy(&v, &bits, sizeof v);
        break;
      }
      case NpyDtype::f2:
        v = half_to_double(le16(b, at));
        break;
      case NpyDtype::i1:
        v = static_cast<int8_t>(static_cast<unsigned char>(b[at]));
        break;
      case NpyDtype::i2:
        v = static_cast<int16_t>(le16(b, at));
        break;
      case NpyDtype::i4:
        v = static_cast<int32_t>(le32(b, at));
        break;
      case NpyDtype::i8: {
        const auto x = static_cast<int64_t>(le64(b, at));
        // Beyond 2^53 a double would round it: refuse rather than change a value.
        if (x > (int64_t{1} << 53) || x < -(int64_t{1} << 53))
          throw InputError(file_name, location("data"),
                           fmt::format("element {} = {} is beyond +-2^53 and not exactly "
                                       "representable",
                                       i, x));
        v = static_cast<double>(x);
        break;
      }
      case NpyDtype::u1:
        v = static_cast<unsigned char>(b[at]);
        break;
    }
    a.values[i] = v;
  }
  return a;
}

NpyArray read_npy_array(const std::string& path) {
  return parse_npy_bytes(read_file_bytes(path), path, "");
}

std::map<std::string, NpyArray> parse_npz_bytes(const std::string& bytes,
                                                const std::string& file_name) {
  const std::string_view b(bytes);
  const uint64_t size = b.size();
  const std::string cd_loc = "central directory";
  if (size == 0) throw InputError(file_name, "", "empty; expected an .npz (zip) archive");
  if (b.substr(0, kNpyMagic.size()) == kNpyMagic)
    throw InputError(file_name, "", "this is a .npy array, not an .npz (zip) archive");
  if (size < kEndSize)
    throw InputError(file_name, "", "too short to be an .npz (zip) archive (truncated?)");

  // The end record sits at the very end, followed only by its comment (at most 64 KiB).
  uint64_t end_at = 0;
  bool found_end = false;
  const uint64_t lowest = size - kEndSize > 0xffff ? size - kEndSize - 0xffff : 0;
  for (uint64_t p = size - kEndSize + 1; p-- > lowest;) {
    if (le32(b, p) == kEndSig && p + kEndSize + le16(b, p + 20) == size) {
      end_at = p;
      found_end = true;
      break;
    }
  }
  if (!found_end)
    throw InputError(file_name, "",
                     "not an .npz (zip) archive, or truncated: no end-of-central-directory record");
  uint32_t disk = le16(b, end_at + 4), cd_disk = le16(b, end_at + 6);
  uint64_t disk_entries = le16(b, end_at + 8), entries = le16(b, end_at + 10);
  uint64_t cd_size = le32(b, end_at + 12), cd_offset = le32(b, end_at + 16);
  uint64_t cd_end = end_at;  // the directory must end right where the next record starts

  if (end_at >= kZip64LocatorSize && le32(b, end_at - kZip64LocatorSize) == kZip64LocatorSig) {
    const uint64_t loc = end_at - kZip64LocatorSize;
    const uint64_t z = le64(b, loc + 8);
    if (le32(b, loc + 4) != 0 || le32(b, loc + 16) != 1)
      throw InputError(file_name, cd_loc, "multi-disk (split) archives are not supported");
    if (!fits(z, kZip64EndSize, loc))
      throw InputError(file_name, cd_loc,
                       fmt::format("zip64 end record offset {} lies outside the file", z));
    if (le32(b, z) != kZip64EndSig)
      throw InputError(file_name, cd_loc, "bad zip64 end-of-central-directory signature");
    disk = le32(b, z + 16);
    cd_disk = le32(b, z + 20);
    disk_entries = le64(b, z + 24);
    entries = le64(b, z + 32);
    cd_size = le64(b, z + 40);
    cd_offset = le64(b, z + 48);
    cd_end = z;
  }
  if (disk != 0 || cd_disk != 0 || disk_entries != entries)
    throw InputError(file_name, cd_loc, "multi-disk (split) archives are not supported");
  if (!fits(cd_offset, cd_size, cd_end) || cd_offset + cd_size != cd_end)
    throw InputError(file_name, cd_loc,
                     fmt::format("directory at offset {} of {} bytes does not end at the end "
                                 "record (offset {}); archive truncated or corrupt",
                                 cd_offset, cd_size, cd_end));
  if (entries > cd_size / kCentralSize)
    throw InputError(file_name, cd_loc,
                     fmt::format("{} entries cannot fit in {} bytes", entries, cd_size));

  std::vector<ZipEntry> list;
  list.reserve(static_cast<size_t>(entries));
  uint64_t p = cd_offset;
  for (uint64_t i = 0; i < entries; ++i) {
    if (!fits(p, kCentralSize, cd_end) || le32(b, p) != kCentralSig)
      throw InputError(file_name, cd_loc, fmt::format("entry {} is malformed", i));
    ZipEntry e;
    e.flags = le16(b, p + 8);
    e.method = le16(b, p + 10);
    e.crc = le32(b, p + 16);
    e.csize = le32(b, p + 20);
    e.usize = le32(b, p + 24);
    const uint64_t name_len = le16(b, p + 28), extra_len = le16(b, p + 30),
                   comment_len = le16(b, p + 32);
    e.disk = le16(b, p + 34);
    e.local_offset = le32(b, p + 42);
    const uint64_t record = kCentralSize + name_len + extra_len + comment_len;
    if (!fits(p, record, cd_end))
      throw InputError(file_name, cd_loc, fmt::format("entry {} runs past the directory", i));
    e.name = std::string(b.substr(p + kCentralSize, name_len));
    apply_zip64_extra(b.substr(p + kCentralSize + name_len, extra_len), false, &e.usize, &e.csize,
                      &e.local_offset, &e.disk, file_name, printable(e.name, 200));
    list.push_back(std::move(e));
    p += record;
  }
  if (p != cd_end)
    throw InputError(file_name, cd_loc,
                     fmt::format("{} stray bytes after the {} entries", cd_end - p, entries));

  // First validate every member's headers and place its data, then check that no two members
  // overlap, and only then inflate: overlapping members let a small archive expand to any size
  // by listing the same compressed data many times.
  struct Member {
    const ZipEntry* entry;
    std::string key, where;
    uint64_t data_at;
  };
  std::vector<Member> members;
  std::set<std::string> keys;
  std::vector<std::pair<uint64_t, uint64_t>> spans;  // [local header, end of data)
  for (const ZipEntry& e : list) {
    const std::string where = printable(e.name, 200);
    if (e.flags & 0x41) throw InputError(file_name, where, "encrypted members are not supported");
    if (e.method != 0 && e.method != 8)
      throw InputError(file_name, where,
                       fmt::format("unsupported compression method {} ({}); expected stored (0) "
                                   "or deflate (8) as numpy.savez/savez_compressed write",
                                   e.method, method_name(e.method)));
    if (e.disk != 0)
      throw InputError(file_name, where, "multi-disk (split) archives are not supported");
    const std::string_view suffix = ".npy";
    if (e.name.size() < suffix.size() ||
        std::string_view(e.name).substr(e.name.size() - suffix.size()) != suffix)
      throw InputError(file_name, where,
                       "member is not a .npy array (an .npz holds only NAME.npy members)");
    std::string key = e.name.substr(0, e.name.size() - suffix.size());
    if (key.empty()) throw InputError(file_name, where, "member has an empty array name");
    if (!keys.insert(key).second) throw InputError(file_name, where, "duplicate member name");

    // The local header repeats name and sizes; the data follows it and must precede the
    // central directory.
    const uint64_t lh = e.local_offset;
    if (!fits(lh, kLocalSize, cd_offset) || le32(b, lh) != kLocalSig)
      throw InputError(
          file_name, where,
          fmt::format("no local header at offset {} (archive truncated or corrupt)", lh));
    const uint16_t lflags = le16(b, lh + 6), lmethod = le16(b, lh + 8);
    const uint32_t lcrc = le32(b, lh + 14);
    uint64_t lcsize = le32(b, lh + 18), lusize = le32(b, lh + 22);
    const uint64_t lname_len = le16(b, lh + 26), lextra_len = le16(b, lh + 28);
    if (!fits(lh, kLocalSize + lname_len + lextra_len, cd_offset))
      throw InputError(file_name, where, "local header runs past the member data area");
    if (b.substr(lh + kLocalSize, lname_len) != e.name)
      throw InputError(file_name, where,
                       fmt::format("local header names the member '{}'",
                                   printable(b.substr(lh + kLocalSize, lname_len))));
    if (lmethod != e.method || (lflags & 0x41) != (e.flags & 0x41))
      throw InputError(file_name, where, "local header disagrees with the central directory");
    // With flag bit 3 the sizes and CRC follow the data instead and the local fields are zero.
    if ((lflags & 0x08) == 0) {
      apply_zip64_extra(b.substr(lh + kLocalSize + lname_len, lextra_len), true, &lusize, &lcsize,
                        nullptr, nullptr, file_name, where);
      if (lcrc != e.crc || lcsize != e.csize || lusize != e.usize)
        throw InputError(file_name, where,
                         "local header sizes or CRC disagree with the central directory");
    }
    const uint64_t data_at = lh + kLocalSize + lname_len + lextra_len;
    if (!fits(data_at, e.csize, cd_offset))
      throw InputError(file_name, where,
                       fmt::format("{} bytes of member data run past the data area (archive "
                                   "truncated?)",
                                   e.csize));
    if (e.method == 0 && e.csize != e.usize)
      throw InputError(
          file_name, where,
          fmt::format("stored member has compressed size {} but size {}", e.csize, e.usize));
    spans.emplace_back(lh, data_at + e.csize);
    members.push_back(Member{&e, std::move(key), where, data_at});
  }
  std::sort(spans.begin(), spans.end());
  for (size_t i = 1; i < spans.size(); ++i)
    if (spans[i].first < spans[i - 1].second)
      throw InputError(file_name, cd_loc, "members overlap (malformed archive)");

  std::map<std::string, NpyArray> result;
  for (const Member& m : members) {
    const ZipEntry& e = *m.entry;
    const std::string_view raw = b.substr(m.data_at, e.csize);
    const std::string data =
        e.method == 0 ? std::string(raw) : inflate_member(raw, e.usize, file_name, m.where);
    const uint32_t crc = crc32_of(data);
    if (crc != e.crc)
      throw InputError(file_name, m.where,
                       fmt::format("CRC-32 mismatch (directory says {:08x}, data has {:08x}); "
                                   "archive corrupt",
                                   e.crc, crc));
    result.emplace(m.key, parse_npy_bytes(data, file_name, m.key));
  }
  return result;
}

std::map<std::string, NpyArray> read_npz(const std::string& path) {
  return parse_npz_bytes(read_file_bytes(path), path);
}

Tensor to_tensor(const NpyArray& a, const std::string& file, const std::string& member,
                 bool reject_non_finite) {
  const std::string where = field_location(member, "data");
  uint64_t count = 0;
  if (!element_count(a.shape, count) || count != a.values.size())
    throw InputError(file, where,
                     fmt::format("holds {} values but shape {} asks for a different number",
                                 a.values.size(), shape_string(a.shape)));
  Tensor t;
  t.shape = a.shape;
  t.data.resize(a.values.size());
  constexpr double kFloatMax = std::numeric_limits<float>::max();
  // Doubles from here up round to infinity (the midpoint between FLT_MAX and 2^128); casting
  // them is undefined behaviour, so they are mapped by hand.
  const double kOverflow = std::ldexp(0x1ffffff, 103);
  for (size_t i = 0; i < a.values.size(); ++i) {
    const double v = a.values[i];
    float f;
    if (std::isnan(v))
      f = std::numeric_limits<float>::quiet_NaN();
    else if (std::fabs(v) >= kOverflow)
      f = std::copysign(std::numeric_limits<float>::infinity(), v);
    else if (std::fabs(v) > kFloatMax)
      f = static_cast<float>(std::copysign(kFloatMax, v));
    else
      f = static_cast<float>(v);
    if (reject_non_finite && !std::isfinite(f)) {
      std::vector<uint64_t> index(a.shape.size());
      uint64_t rest = i;
      for (size_t d = a.shape.size(); d-- > 0;) {
        index[d] = rest % a.shape[d];
        rest /= a.shape[d];
      }
      const std::string what = std::isnan(v)   ? "NaN"
                               : std::isinf(v) ? (v > 0 ? "+inf" : "-inf")
                                               : fmt::format("{} (beyond float32 range)", v);
      throw InputError(
          file, where,
          fmt::format("element [{}] is {}; values must be finite", fmt::join(index, ", "), what));
    }
    t.data[i] = f;
  }
  return t;
}

void write_npy(const std::string& path, const Tensor& t) {
  write_file_bytes(path, npy_bytes(t));
}

void write_npz(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& arrays) {
  struct Written {
    std::string name;
    uint32_t crc;
    uint64_t size, offset;
  };
  std::vector<Written> written;
  std::set<std::string> names;
  std::string out;
  for (const auto& [name, tensor] : arrays) {
    if (name.empty()) throw std::invalid_argument("write_npz: empty array name");
    if (!names.insert(name).second)
      throw std::invalid_argument("write_npz: duplicate array name " + name);
    const std::string member = name + ".npy";
    if (member.size() > 0xffff) throw std::invalid_argument("write_npz: array name too long");
    const std::string data = npy_bytes(tensor);
    Written w{member, crc32_of(data), data.size(), out.size()};
    // zip64 fields only where the 32-bit ones overflow, so small archives stay plain zip.
    const bool zip64 = w.size >= kSat32;
    put32(out, kLocalSig);
    put16(out, zip64 ? 45 : 20);  // version needed to extract
    put16(out, 0);                // flags
    put16(out, 0);                // stored
    put16(out, 0);                // time
    put16(out, kDosDate);
    put32(out, w.crc);
    put32(out, zip64 ? kSat32 : static_cast<uint32_t>(w.size));
    put32(out, zip64 ? kSat32 : static_cast<uint32_t>(w.size));
    put16(out, static_cast<uint16_t>(member.size()));
    put16(out, zip64 ? 20 : 0);
    out += member;
    if (zip64) {
      put16(out, kZip64ExtraId);
      put16(out, 16);
      put64(out, w.size);
      put64(out, w.size);
    }
    out += data;
    written.push_back(std::move(w));
  }
  const uint64_t cd_offset = out.size();
  for (const Written& w : written) {
    const bool big_size = w.size >= kSat32, big_offset = w.offset >= kSat32;
    const uint16_t extra_len = static_cast<uint16_t>((big_size ? 16 : 0) + (big_offset ? 8 : 0));
    put32(out, kCentralSig);
    put16(out, (3 << 8) | 45);  // made by: Unix, so the permission bits below are meaningful
    put16(out, extra_len ? 45 : 20);
    put16(out, 0);
    put16(out, 0);
    put16(out, 0);
    put16(out, kDosDate);
    put32(out, w.crc);
    put32(out, big_size ? kSat32 : static_cast<uint32_t>(w.size));
    put32(out, big_size ? kSat32 : static_cast<uint32_t>(w.size));
    put16(out, static_cast<uint16_t>(w.name.size()));
    put16(out, extra_len ? static_cast<uint16_t>(extra_len + 4) : 0);
    put16(out, 0);  // comment
    put16(out, 0);  // disk
    put16(out, 0);  // internal attributes
    put32(out, 0644u << 16);
    put32(out, big_offset ? kSat32 : static_cast<uint32_t>(w.offset));
    out += w.name;
    if (extra_len) {
      put16(out, kZip64ExtraId);
      put16(out, extra_len);
      if (big_size) {
        put64(out, w.size);
        put64(out, w.size);
      }
      if (big_offset) put64(out, w.offset);
    }
  }
  const uint64_t cd_size = out.size() - cd_offset, count = written.size();
  const bool zip64_end = count >= kSat16 || cd_size >= kSat32 || cd_offset >= kSat32;
  if (zip64_end) {
    const uint64_t z = out.size();
    put32(out, kZip64EndSig);
    put64(out, kZip64EndSize - 12);  // size of the rest of the record
    put16(out, 45);
    put16(out, 45);
    put32(out, 0);
    put32(out, 0);
    put64(out, count);
    put64(out, count);
    put64(out, cd_size);
    put64(out, cd_offset);
    put32(out, kZip64LocatorSig);
    put32(out, 0);
    put64(out, z);
    put32(out, 1);
  }
  put32(out, kEndSig);
  put16(out, 0);
  put16(out, 0);
  put16(out, zip64_end ? kSat16 : static_cast<uint16_t>(count));
  put16(out, zip64_end ? kSat16 : static_cast<uint16_t>(count));
  put32(out, zip64_end ? kSat32 : static_cast<uint32_t>(cd_size));
  put32(out, zip64_end ? kSat32 : static_cast<uint32_t>(cd_offset));
  put16(out, 0);  // comment
  write_file_bytes(path, out);
}

}  // namespace kq
