#!/usr/bin/env bash
# Set-up, build and the whole test suite through ctest.
# Usage: scripts/test.sh [--sanitize]   (--sanitize: ASan+UBSan build in build-sanitize/)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh" --tests "$@"
build_dir="$root/build"
[ "${1:-}" = "--sanitize" ] && build_dir="$root/build-sanitize"
cd "$build_dir"
ctest --output-on-failure -j "$(nproc)"
