#!/usr/bin/env bash
# Installs the Debian packages kqsim needs (only those missing) and builds into build/.
# Usage: scripts/setup.sh [--sanitize] [--tests]
#   --sanitize  ASan+UBSan build in build-sanitize/
#   --tests     also what only the test suite needs: headless Chromium for the page test, clang
#               and libFuzzer for the fuzz targets (built then too)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sanitize=0
tests=0
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=1 ;;
    --tests) tests=1 ;;
    *) echo "setup: unknown option $arg (expected --sanitize, --tests)" >&2; exit 2 ;;
  esac
done
packages=(build-essential cmake pkg-config libsystemc-dev libboost-program-options-dev
          nlohmann-json3-dev libfmt-dev catch2 zlib1g-dev python3 python3-matplotlib)
packages+=(libonnx-dev libprotobuf-dev)  # ONNX import (models/onnx/)
# Distributed sweeps (kqsim sweep under mpirun); kqsim builds without them too.
packages+=(libboost-mpi-dev openmpi-bin)
# chromium: the compare page is loaded and screenshotted headless (tests/scripts/check_page.py).
test_packages=(chromium)
# clang and its fuzzer runtime: the libFuzzer targets (tests/fuzz); the main build stays g++.
test_packages+=(clang libclang-rt-14-dev)
[ "$tests" -eq 1 ] && packages+=("${test_packages[@]}")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
build_dir="$root/build"
cmake_args=(-DCMAKE_BUILD_TYPE=Release)
if [ "$sanitize" -eq 1 ]; then
  build_dir="$root/build-sanitize"
  cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DKQSIM_SANITIZE=ON)
fi
# The test suite also builds the fuzz targets (skipped by the sanitizer build, which they
# would duplicate).
[ "$tests" -eq 1 ] && cmake_args+=(-DKQSIM_FUZZ=ON)
cmake -S "$root" -B "$build_dir" "${cmake_args[@]}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
