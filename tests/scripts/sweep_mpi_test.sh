#!/usr/bin/env bash
# The same sweep under `mpirun --oversubscribe -np 3` and on threads must write the same bytes.
# Usage: tests/scripts/sweep_mpi_test.sh PATH/TO/kqsim
set -u
KQSIM=${1:?usage: $0 PATH/TO/kqsim}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sweep_mpi_test.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
# Open MPI refuses to run as root unless told twice (CI containers run as root).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Plenty of points and three workloads, so every rank gets several chunks.
cat >"$TMP/spec.json" <<JSON
{
  "name": "mpi_equivalence",
  "base": "$ROOT/arch_configs/kq_k256_16x16.json",
  "workloads": ["$ROOT/workloads/test/tiny_cnn.json", "$ROOT/workloads/test/strided_conv.json",
                "$ROOT/workloads/resnet18.json"],
  "fit_quantizers": false,
  "axes": [
    {"name": "array", "pointers": ["/array/rows", "/array/cols"], "values": [4, 8, 12, 16, 24]},
    {"name": "codewords", "pointer": "/kq/codewords", "values": [16, 64, 256]},
    {"name": "dram", "pointer": "/dram/bandwidth_bytes_per_cycle", "range": {"from": 2, "to": 64, "factor": 2}},
    {"name": "codebook_banks", "pointer": "/buffers/codebook/banks", "values": [1, 2, 4, 8]}
  ],
  "derived": [
    {"pointer": "/array/multipliers/count", "product_of": ["/array/rows", "/array/cols"]},
    {"pointer": "/array/adders/count", "product_of": ["/array/rows", "/array/cols"]}
  ],
  "constraints": {"area_mm2": {"max": 2.0}}
}
JSON
fail=0
"$KQSIM" sweep "$TMP/spec.json" --out "$TMP/threads" --jobs 2 -q || { echo "FAIL: threaded sweep"; exit 1; }
if ! mpirun --oversubscribe -np 3 "$KQSIM" sweep "$TMP/spec.json" --out "$TMP/mpi" -q \
    >"$TMP/mpi.log" 2>&1; then
  echo "FAIL: mpirun -np 3 sweep"; cat "$TMP/mpi.log"; exit 1
fi
for f in results.jsonl results.csv pareto.csv summary.md sweep.json; do
  if cmp -s "$TMP/threads/$f" "$TMP/mpi/$f"; then
    echo "ok   $f identical"
  else
    echo "FAIL $f differs between threads and mpirun -np 3"; fail=1
  fi
done
lines=$(wc -l <"$TMP/mpi/results.jsonl")
[ "$lines" -eq $((5 * 3 * 6 * 4 * 3)) ] || { echo "FAIL: $lines records"; fail=1; }
# An interrupted MPI run resumes on threads: same folder, same files. (SIGTERM, which mpirun
# forwards to its ranks and then waits for them; a SIGKILLed mpirun could orphan them.)
(timeout -s TERM 0.3 mpirun --oversubscribe -np 3 "$KQSIM" sweep "$TMP/spec.json" \
  --out "$TMP/mixed" -q >/dev/null 2>&1)
"$KQSIM" sweep "$TMP/spec.json" --out "$TMP/mixed" --jobs 2 -q || { echo "FAIL: resume on threads"; fail=1; }
for f in results.jsonl results.csv pareto.csv summary.md; do
  cmp -s "$TMP/threads/$f" "$TMP/mixed/$f" || { echo "FAIL $f differs after an MPI run resumed on threads"; fail=1; }
done
# A finished folder under MPI: no point is left, so every worker is told it is done at once;
# the files stay as they were.
mpirun --oversubscribe -np 3 "$KQSIM" sweep "$TMP/spec.json" --out "$TMP/mpi" -q \
  >"$TMP/again.log" 2>&1 || { echo "FAIL: finished folder resumed under MPI"; cat "$TMP/again.log"; fail=1; }
for f in results.jsonl results.csv pareto.csv summary.md; do
  cmp -s "$TMP/threads/$f" "$TMP/mpi/$f" || { echo "FAIL $f changed by resuming a finished folder"; fail=1; }
done
# Fewer points than ranks: a worker may get nothing before it is told it is done.
cat >"$TMP/two.json" <<JSON
{
  "name": "mpi_two_points",
  "base": "$ROOT/arch_configs/baseline_fp32_16x16.json",
  "workloads": ["$ROOT/workloads/test/tiny_cnn.json"],
  "axes": [{"name": "rows", "pointer": "/array/rows", "values": [8, 16]}]
}
JSON
"$KQSIM" sweep "$TMP/two.json" --out "$TMP/two_threads" --jobs 1 -q || { echo "FAIL: two-point sweep"; fail=1; }
mpirun --oversubscribe -np 4 "$KQSIM" sweep "$TMP/two.json" --out "$TMP/two_mpi" -q \
  >"$TMP/two.log" 2>&1 || { echo "FAIL: two points on 4 ranks"; cat "$TMP/two.log"; fail=1; }
for f in results.jsonl results.csv pareto.csv summary.md; do
  cmp -s "$TMP/two_threads/$f" "$TMP/two_mpi/$f" || { echo "FAIL $f differs for two points on 4 ranks"; fail=1; }
done
[ "$fail" -eq 0 ] && echo "all identical"
exit "$fail"
