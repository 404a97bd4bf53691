#pragma once
#include "models/common/input_error.hpp"

namespace kqfuzz {

/// Runs `f` on fuzzed input: an InputError (the one-line message kqsim prints, exit 2) is the
/// one acceptable failure; anything else propagates and libFuzzer reports it as a crash.
template <typename F>
void expect_input_error_only(F&& f) {
  try {
    f();
  } catch (const kq::InputError&) {
  }
}

}  // namespace kqfuzz
