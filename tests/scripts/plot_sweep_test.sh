#!/usr/bin/env bash
# Tests scripts/plot_sweep.py on a real sweep: one figure per workload (PNG and SVG), identical
# SVG bytes on a second run, the Pareto front it reports equal to pareto.csv, and one clean
# error line (exit 2) for a missing or malformed folder.
# Usage: tests/scripts/plot_sweep_test.sh PATH/TO/kqsim
set -u
KQSIM=${1:?usage: $0 PATH/TO/kqsim}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SCRIPT=$ROOT/scripts/plot_sweep.py
PY=/usr/bin/python3
TMP=$(mktemp -d "${TMPDIR:-/tmp}/plot_sweep_test.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
export MPLCONFIGDIR=$TMP/mplconfig
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }

cat >"$TMP/spec.json" <<JSON
{
  "name": "plot_test",
  "base": "$ROOT/arch_configs/baseline_int8_16x16.json",
  "workloads": ["$ROOT/workloads/test/tiny_cnn.json", "$ROOT/workloads/test/strided_conv.json"],
  "axes": [
    {"name": "array", "pointers": ["/array/rows", "/array/cols"], "values": [4, 8, 16, 32]},
    {"name": "dataflow", "pointer": "/array/dataflow", "values": ["ws", "os", "is"]},
    {"name": "dram", "pointer": "/dram/bandwidth_bytes_per_cycle", "values": [2, 8, 32]}
  ],
  "derived": [
    {"pointer": "/array/multipliers/count", "product_of": ["/array/rows", "/array/cols"]},
    {"pointer": "/array/adders/count", "product_of": ["/array/rows", "/array/cols"]}
  ],
  "constraints": {"area_mm2": {"max": 1.5}}
}
JSON
if "$KQSIM" sweep "$TMP/spec.json" --out "$TMP/sweep" -q; then pass "kqsim sweep"; else
  fail "kqsim sweep"; echo "$passed passed, $failed failed"; exit 1; fi

if "$PY" "$SCRIPT" --in "$TMP/sweep" >"$TMP/plot1.out" 2>"$TMP/plot1.err"; then
  pass "plot_sweep.py exits 0"
else
  fail "plot_sweep.py exits 0"; cat "$TMP/plot1.err"
fi
for w in tiny_cnn strided_conv; do
  for ext in png svg; do
    if [ -s "$TMP/sweep/plots/pareto_$w.$ext" ]; then pass "pareto_$w.$ext written"; else
      fail "pareto_$w.$ext written"; fi
  done
  # The front it drew is pareto.csv's.
  front=$(grep -c "^$w," "$TMP/sweep/pareto.csv")
  if grep -qx "$w: [0-9]* designs, $front on the Pareto front" "$TMP/plot1.out"; then
    pass "$w: the $front front designs of pareto.csv are highlighted"
  else
    fail "$w: front of $front designs"; cat "$TMP/plot1.out"
  fi
done
if "$PY" "$SCRIPT" --in "$TMP/sweep" --out "$TMP/again" --log >/dev/null 2>&1 &&
   "$PY" "$SCRIPT" --in "$TMP/sweep" --out "$TMP/again2" --log >/dev/null 2>&1 &&
   cmp -s "$TMP/again/pareto_tiny_cnn.svg" "$TMP/again2/pareto_tiny_cnn.svg"; then
  pass "--log figures are byte-identical across runs"
else
  fail "--log figures are byte-identical across runs"
fi

expect_rejected() {  # $1 description, $2 folder; exit 2 and one stderr line naming a file in it
  local rc lines
  "$PY" "$SCRIPT" --in "$2" --out "$TMP/bad_out" >/dev/null 2>"$TMP/bad.err"
  rc=$?
  lines=$(wc -l <"$TMP/bad.err")
  if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && grep -qF -- "$2/" "$TMP/bad.err"; then
    pass "$1: exit 2, one line naming the file"
  else
    fail "$1 (rc=$rc, $lines lines)"; cat "$TMP/bad.err"
  fi
}
expect_rejected "missing folder" "$TMP/nowhere"
mkdir -p "$TMP/bad1" && cp "$TMP/sweep/pareto.csv" "$TMP/bad1/" &&
  head -c 300 "$TMP/sweep/results.csv" >"$TMP/bad1/results.csv"
expect_rejected "results.csv cut short" "$TMP/bad1"
mkdir -p "$TMP/bad2" && cp "$TMP/sweep/results.csv" "$TMP/bad2/" &&
  printf 'workload,point\nnosuch,1\n' >"$TMP/bad2/pareto.csv"
expect_rejected "pareto.csv naming an unknown workload" "$TMP/bad2"
mkdir -p "$TMP/bad3" && cp "$TMP/sweep/pareto.csv" "$TMP/bad3/" &&
  sed '2s/,ok,true,[0-9]*,[^,]*,/,ok,true,1,fast,/' "$TMP/sweep/results.csv" >"$TMP/bad3/results.csv"
expect_rejected "a non-numeric objective" "$TMP/bad3"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
