#pragma once
// Pre-quantized KQ weights from an .npz (format in docs/KQ.md §7). Per layer:
//   <layer>.kq_indices   [N, C/g] (fc: [N, C·H·W])  integers in [0, K)
//   <layer>.kq_codebook  [K, kh, kw] (fc: [K, 1, 1])
//   <layer>.kq_scale     [1] or []  (uniform codebook: codebook holds integer codes)
//   <layer>.kq_lut       [2^b]      (lut codebook: codebook holds integer table indices)
// With neither kq_scale nor kq_lut the codebook holds float values, which are quantized to
// the options' codebook format here. Integer arrays may be stored as any integer dtype or as
// floats holding exact integers (write_npz writes float32 only).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "models/quant/kq_quantizer.hpp"
#include "models/workload/npy.hpp"
#include "models/workload/workload.hpp"

namespace kq {

/// One entry per layer of `w` (same order); empty for layers the file does not cover.
/// Every member must be one of the four KQ arrays of a conv2d layer of `w` (fc too when
/// o.count_fc). Shapes, index range (< K, the codebook's rows), code range, integrality and
/// finiteness are checked; any violation is an InputError naming the file and the array.
/// The codebook format (uniform with kq_scale, lut with kq_lut) must match o.codebook_quant;
/// o.codebook_bits gives the code range and LUT size. K comes from the file (it may differ
/// from o.codewords()).
std::vector<std::optional<KqLayerWeights>> import_kq_npz(const std::string& path, const Workload& w,
                                                         const KqOptions& o);
/// Same from arrays already read (`file` is only used in messages).
std::vector<std::optional<KqLayerWeights>> import_kq_arrays(
    const std::map<std::string, NpyArray>& arrays, const std::string& file, const Workload& w,
    const KqOptions& o);

}  // namespace kq
