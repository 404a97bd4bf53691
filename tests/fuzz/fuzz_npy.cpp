// libFuzzer target for the tensor files kqsim reads: .npy (inputs) and .npz archives
// (weights, and KCNN / KQ pre-quantized planes and codebooks). Each input is parsed as both;
// an archive's arrays then go through what `kqsim run --weights` does with them: conversion to
// float with the NaN/Inf check, and the KCNN and KQ importers against the shipped test
// network. The only acceptable failure is an InputError.
#include <cstdint>
#include <string>

#include "expect_input_error.hpp"
#include "models/common/input_error.hpp"
#include "models/config/arch_config.hpp"
#include "models/quant/kcnn_import.hpp"
#include "models/quant/kq_import.hpp"
#include "models/workload/npy.hpp"
#include "models/workload/workload.hpp"

namespace {

using kqfuzz::expect_input_error_only;

using namespace kq;

struct Fixtures {
  Workload workload;
  ArchConfig kcnn, kq;
};

const Fixtures& fixtures() {
  static const Fixtures f = [] {
    const std::string root = KQSIM_SOURCE_DIR;
    return Fixtures{load_workload(root + "/workloads/test/tiny_cnn.json"),
                    load_arch_config(root + "/arch_configs/kcnn_m2_16x16.json"),
                    load_arch_config(root + "/arch_configs/kq_k256_16x16.json")};
  }();
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Fixtures& fx = fixtures();
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  expect_input_error_only([&] {
    const NpyArray a = parse_npy_bytes(bytes, "fuzz.npy", "");
    to_tensor(a, "fuzz.npy", "input");
  });
  expect_input_error_only([&] {
    const auto arrays = parse_npz_bytes(bytes, "fuzz.npz");
    for (const auto& member : arrays)
      expect_input_error_only([&] { to_tensor(member.second, "fuzz.npz", member.first); });
    expect_input_error_only(
        [&] { import_kcnn_arrays(arrays, "fuzz.npz", fx.workload, *fx.kcnn.kcnn); });
    expect_input_error_only([&] { import_kq_arrays(arrays, "fuzz.npz", fx.workload, *fx.kq.kq); });
  });
  return 0;
}
