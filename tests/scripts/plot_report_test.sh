#!/usr/bin/env bash
# Tests scripts/plot_report.py against real reports.
#
# Usage: tests/scripts/plot_report_test.sh PATH/TO/kqsim
#
# Runs kqsim on workloads/test/tiny_cnn.json for the fp32 and int8 baselines into a temp dir,
# draws the figures, and checks that all eight files are written and non-empty, that a second
# run gives byte-identical SVGs, and that a missing or malformed report exits 2 with one line
# on stderr naming the file. Prints "N passed, M failed" last; exits 1 if anything failed.
set -u

KQSIM=${1:?usage: $0 PATH/TO/kqsim}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SCRIPT=$ROOT/scripts/plot_report.py
PY=/usr/bin/python3  # Debian's python with matplotlib (a pyenv python3 on PATH may lack it)

case $KQSIM in /*) ;; *) KQSIM=$(pwd)/$KQSIM ;; esac

TMP=$(mktemp -d "${TMPDIR:-/tmp}/plot_report_test.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
export MPLCONFIGDIR=$TMP/mplconfig  # keep matplotlib's cache out of $HOME and off stderr

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

# --- reports from the real simulator ---------------------------------------------------------
for fmt in fp32 int8; do
  if (cd "$ROOT" && "$KQSIM" run --arch "arch_configs/baseline_${fmt}_16x16.json" \
        --workload workloads/test/tiny_cnn.json --out "$TMP/run_$fmt" -q) \
        >"$TMP/kqsim_$fmt.log" 2>&1 && [ -s "$TMP/run_$fmt/report.json" ]; then
    pass "kqsim writes the $fmt tiny_cnn report"
  else
    fail "kqsim writes the $fmt tiny_cnn report"
    cat "$TMP/kqsim_$fmt.log"
    finish
  fi
done
R1=$TMP/run_fp32/report.json
R2=$TMP/run_int8/report.json

# --- figures ----------------------------------------------------------------------------------
FILES="energy_breakdown layer_cycles layer_multiplications area_breakdown"

if "$PY" "$SCRIPT" --in "$R1" --in "$R2" --out "$TMP/out1" 2>"$TMP/plot1.err"; then
  pass "plot_report.py exits 0 on two reports"
else
  fail "plot_report.py exits 0 on two reports"
  cat "$TMP/plot1.err"
fi
for stem in $FILES; do
  for ext in png svg; do
    if [ -s "$TMP/out1/$stem.$ext" ]; then
      pass "$stem.$ext exists and is non-empty"
    else
      fail "$stem.$ext exists and is non-empty"
    fi
  done
done

# Second run: identical SVG bytes (the output directory is created by the script).
if "$PY" "$SCRIPT" --in "$R1" --in "$R2" --out "$TMP/out2/nested" 2>"$TMP/plot2.err"; then
  pass "second run exits 0 (creating a nested output directory)"
else
  fail "second run exits 0 (creating a nested output directory)"
  cat "$TMP/plot2.err"
fi
for stem in $FILES; do
  if [ -s "$TMP/out1/$stem.svg" ] && cmp -s "$TMP/out1/$stem.svg" "$TMP/out2/nested/$stem.svg"; then
    pass "$stem.svg is byte-identical across runs"
  else
    fail "$stem.svg is byte-identical across runs"
  fi
done

# --log and a single report also work.
if "$PY" "$SCRIPT" --in "$R2" --out "$TMP/out3" --log 2>"$TMP/plot3.err" \
    && [ -s "$TMP/out3/layer_cycles.svg" ]; then
  pass "one report with --log"
else
  fail "one report with --log"
  cat "$TMP/plot3.err"
fi

# --- bad reports: exit 2, exactly one stderr line naming the file -----------------------------
expect_rejected() {  # $1 = description, $2 = bad report path; the good report goes first
  local desc=$1 bad=$2 rc lines
  "$PY" "$SCRIPT" --in "$R1" --in "$bad" --out "$TMP/out_bad" >"$TMP/bad.out" 2>"$TMP/bad.err"
  rc=$?
  lines=$(wc -l <"$TMP/bad.err")
  if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && grep -qF -- "$bad" "$TMP/bad.err"; then
    pass "$desc: exit 2, one stderr line naming the file"
  else
    fail "$desc: exit 2, one stderr line naming the file (rc=$rc, $lines stderr lines)"
    cat "$TMP/bad.err"
  fi
}

head -c 200 "$R1" >"$TMP/truncated.json"
expect_rejected "truncated JSON" "$TMP/truncated.json"

"$PY" - "$R1" "$TMP/no_breakdown.json" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
del report["totals"]["energy_breakdown_pj"]
json.dump(report, open(sys.argv[2], "w"))
EOF
expect_rejected "report without totals.energy_breakdown_pj" "$TMP/no_breakdown.json"

"$PY" - "$R1" "$TMP/bad_cycles.json" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
report["layers"][1]["cycles"] = "many"
json.dump(report, open(sys.argv[2], "w"))
EOF
expect_rejected "layer with non-numeric cycles" "$TMP/bad_cycles.json"

expect_rejected "missing report file" "$TMP/does_not_exist.json"

finish
