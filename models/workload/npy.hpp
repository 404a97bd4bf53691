#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "models/workload/tensor.hpp"

namespace kq {

/// The element types the reader accepts: little-endian floats (IEEE half, single, double),
/// signed integers of 1, 2, 4 and 8 bytes and unsigned bytes (NumPy's default int64 and the
/// uint8 of image datasets, e.g. class labels). Every value read is exactly representable as
/// double: an int64 beyond ±2^53 is an error.
enum class NpyDtype { f4, f8, f2, i1, i2, i4, i8, u1 };

/// NumPy's dtype string for `d` as the reader spells it ("<f4", "|i1", ...).
std::string_view to_string(NpyDtype d);

/// One array as stored in the file: raw values in C order, not yet narrowed to float.
struct NpyArray {
  NpyDtype dtype = NpyDtype::f4;
  std::vector<uint64_t> shape;
  std::vector<double> values;
  uint64_t elements() const { return values.size(); }
};

/// Reads one .npy file (format versions 1.0, 2.0 and 3.0). Throws InputError naming the file
/// and the field ("header", "dtype", "fortran_order", "shape", "data") for anything that is not
/// a well-formed little-endian C-order array of a supported dtype filling the file exactly.
/// Zero-size arrays are accepted; callers decide whether they make sense.
NpyArray read_npy_array(const std::string& path);

/// Same from the bytes of a .npy file. `file_name` is only used in messages; a non-empty
/// `member` (an .npz member) prefixes the field in the error location, e.g. "conv1/shape".
NpyArray parse_npy_bytes(const std::string& bytes, const std::string& file_name,
                         const std::string& member);

/// Reads an .npz archive as written by numpy.savez (stored members) or numpy.savez_compressed
/// (deflate members), zip64 extensions included. Keys are the member names without ".npy".
/// Every member's CRC-32 is checked. Throws InputError for a malformed or truncated archive,
/// encrypted members, unsupported compression, duplicate names, members not ending in ".npy"
/// and any error of the contained arrays.
std::map<std::string, NpyArray> read_npz(const std::string& path);

/// Same from the bytes of an .npz file (`file_name` is only used in messages).
std::map<std::string, NpyArray> parse_npz_bytes(const std::string& bytes,
                                                const std::string& file_name);

/// Narrows to float. With reject_non_finite, a NaN or infinity (including a double too large
/// for float) is an InputError naming the element; without it such values pass through.
Tensor to_tensor(const NpyArray& a, const std::string& file, const std::string& member,
                 bool reject_non_finite = true);

/// Writes `t` as a little-endian float32 .npy with a version 1.0 header (2.0 only if the shape
/// does not fit 1.0's 64 KiB header). Throws std::invalid_argument if the data size does not
/// match the shape, InputError if the file cannot be written.
void write_npy(const std::string& path, const Tensor& t);

/// Writes an uncompressed (stored) zip that numpy.load reads; each name gets ".npy" appended.
/// Names must be non-empty and distinct (std::invalid_argument otherwise).
void write_npz(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& arrays);

}  // namespace kq
