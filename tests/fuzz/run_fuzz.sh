#!/usr/bin/env bash
# Bounded libFuzzer run for ctest: tests/fuzz/run_fuzz.sh FUZZER {config|npy} SECONDS
# Starts from the seed corpus (tests/fuzz/seeds/<kind> plus the repository's own configs,
# workloads and tensors), writes new inputs to a scratch corpus, and fails with the crashing
# input's path and the command to reproduce it. scripts/fuzz.sh runs long campaigns.
set -u
fuzzer="$1"
kind="$2"
seconds="$3"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=tests/fuzz/seed_dirs.sh
source "$here/seed_dirs.sh"
scratch="$(mktemp -d)"
artifacts="${TMPDIR:-/tmp}/kqsim_fuzz_artifacts_$kind"
mkdir -p "$artifacts"
trap 'rm -rf "$scratch"' EXIT
export UBSAN_OPTIONS="suppressions=$here/ubsan.supp:print_stacktrace=1:halt_on_error=1"
mapfile -t seeds < <(seed_dirs "$root" "$kind")
"$fuzzer" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 $(fuzz_flags "$root" "$kind") \
  -artifact_prefix="$artifacts/" -print_final_stats=1 "$scratch" "${seeds[@]}" 2>"$scratch.log"
rc=$?
grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)" "$scratch.log"
if [ "$rc" -ne 0 ]; then
  tail -60 "$scratch.log"
  echo "fuzz_$kind FAILED (exit $rc); crashing input in $artifacts/; reproduce with:"
  echo "  UBSAN_OPTIONS=suppressions=$here/ubsan.supp $fuzzer $artifacts/<crash-file>"
fi
rm -f "$scratch.log"
exit "$rc"
