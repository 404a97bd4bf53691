#pragma once
#include <cstdint>
#include <string>

namespace kq {

/// Reads a whole input file (config, workload, tensor) into memory. Only regular files are
/// accepted: a directory, a device such as /dev/zero or a FIFO would otherwise be read as
/// empty, forever or only once (reports hash every input again after loading it). Files
/// larger than `max_bytes` are refused before they are read. Throws InputError naming the
/// file; `expected` says what the file should have been ("a JSON config", ...).
std::string read_input_file(const std::string& path, uint64_t max_bytes,
                            const std::string& expected);

}  // namespace kq
