#!/usr/bin/env bash
# Long libFuzzer campaigns (docs/FUZZING.md). Builds the fuzz targets with clang into
# build-fuzz/, keeps a growing corpus per target in fuzz-corpus/<target>/ (git-ignored) and
# crashing inputs in fuzz-artifacts/.
# Usage: scripts/fuzz.sh [--time SECONDS] [--jobs N] [--merge] [config|npy|all]
#   --time   length of the campaign per target (default 3600)
#   --jobs   parallel fuzzing processes per target (default: the machine's cores)
#   --merge  afterwards, minimise the corpus into tests/fuzz/seeds/<target>/ (inputs that add
#            coverage the seeds lack; review and commit them)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=tests/fuzz/seed_dirs.sh
source "$root/tests/fuzz/seed_dirs.sh"
seconds=3600
jobs="$(nproc)"
merge=0
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) seconds="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --merge) merge=1; shift ;;
    config|npy) targets+=("$1"); shift ;;
    all) targets+=(config npy); shift ;;
    *) echo "usage: scripts/fuzz.sh [--time SECONDS] [--jobs N] [--merge] [config|npy|all]" >&2; exit 2 ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(config npy)
clangxx="$(command -v clang++ || command -v clang++-14 || true)"
if [ -z "$clangxx" ]; then
  echo "fuzz: needs clang++ and libFuzzer (apt-get install clang libclang-rt-14-dev)" >&2
  exit 2
fi
cmake -S "$root/tests/fuzz" -B "$root/build-fuzz" -DCMAKE_CXX_COMPILER="$clangxx" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKQSIM_SOURCE_DIR="$root" >/dev/null
cmake --build "$root/build-fuzz" -j "$(nproc)"
export UBSAN_OPTIONS="suppressions=$root/tests/fuzz/ubsan.supp:print_stacktrace=1:halt_on_error=1"
status=0
for kind in "${targets[@]}"; do
  corpus="$root/fuzz-corpus/$kind"
  artifacts="$root/fuzz-artifacts/$kind"
  mkdir -p "$corpus" "$artifacts"
  mapfile -t seeds < <(seed_dirs "$root" "$kind")
  echo "fuzz_$kind: $seconds s, $jobs jobs, corpus $corpus"
  # -jobs/-workers: independent processes sharing the corpus directory; each writes a log.
  (cd "$artifacts" && "$root/build-fuzz/fuzz_$kind" -max_total_time="$seconds" -timeout=20 \
     -rss_limit_mb=2048 $(fuzz_flags "$root" "$kind") -artifact_prefix="$artifacts/" \
     -jobs="$jobs" -workers="$jobs" "$corpus" "${seeds[@]}") || status=1
  if ls "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-* >/dev/null 2>&1; then
    echo "fuzz_$kind: findings in $artifacts (reproduce: build-fuzz/fuzz_$kind FILE)"
    status=1
  fi
  if [ "$merge" -eq 1 ]; then
    "$root/build-fuzz/fuzz_$kind" -merge=1 $(fuzz_flags "$root" "$kind") \
      "$root/tests/fuzz/seeds/$kind" "$corpus"
  fi
done
exit "$status"
