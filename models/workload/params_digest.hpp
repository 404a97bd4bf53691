#pragma once
#include <string>

#include "models/workload/network_params.hpp"

namespace kq {

/// Digests of the tensors a run used, so runs of several designs can prove they saw the
/// same input and weights (kqsim compare checks them). Shapes are hashed with the values.
std::string input_fnv1a64(const NetworkParams& p);
/// Every layer's weight and bias, in layer order.
std::string weights_fnv1a64(const NetworkParams& p);

}  // namespace kq
