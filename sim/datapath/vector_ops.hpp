#pragma once
#include <vector>

#include "models/common/num_format.hpp"
#include "models/workload/layer.hpp"

namespace kq {

/// Element-wise layers (ReLU, pooling, residual add, batchnorm) as the vector unit computes
/// them: float arithmetic with every result rounded to `fmt` (fp32, fp16 or bf16).
std::vector<float> vector_layer(const Layer& l,
                                const std::vector<const std::vector<float>*>& inputs,
                                const std::vector<float>& weight, const std::vector<float>& bias,
                                NumFormat fmt);

/// Number of rounded operations behind one output (for the error bound of a float result).
unsigned vector_ops_per_output(const Layer& l);

}  // namespace kq
