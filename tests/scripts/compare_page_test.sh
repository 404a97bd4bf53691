#!/usr/bin/env bash
# Tests the figures and the page of `kqsim compare`.
#
# Usage: tests/scripts/compare_page_test.sh PATH/TO/kqsim
#
# Runs kqsim compare on workloads/test/tiny_cnn.json (fp32 baseline, int8, KCNN and KQ
# designs) with its plots, then checks: all twelve figure files are written; the page loads
# in headless Chromium with no console errors and every image renders (a screenshot is
# saved); a deliberately broken page fails the same check; plot_compare.py gives
# byte-identical SVGs on a rerun and rejects a malformed compare.json with exit 2 and one
# line naming the file. Prints "N passed, M failed" last; exits 1 if anything failed.
set -u

KQSIM=${1:?usage: $0 PATH/TO/kqsim}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY=/usr/bin/python3  # Debian's python with matplotlib (a pyenv python3 on PATH may lack it)
case $KQSIM in /*) ;; *) KQSIM=$(pwd)/$KQSIM ;; esac

TMP=$(mktemp -d "${TMPDIR:-/tmp}/compare_page_test.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
export MPLCONFIGDIR=$TMP/mplconfig

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

OUT=$TMP/cmp
if (cd "$ROOT" && "$KQSIM" compare --workload workloads/test/tiny_cnn.json \
      --baseline arch_configs/baseline_fp32_16x16.json --arch arch_configs/baseline_int8_16x16.json \
      --arch arch_configs/kcnn_m2_16x16.json --arch arch_configs/kq_k256_16x16.json \
      --out "$OUT" -q) >"$TMP/compare.log" 2>&1; then
  pass "kqsim compare with plots exits 0"
else
  fail "kqsim compare with plots exits 0"
  cat "$TMP/compare.log"
  finish
fi

for stem in multiplications_per_layer energy_breakdown area_breakdown cycles_per_layer \
            energy_vs_sqnr bits_per_weight; do
  for ext in png svg; do
    if [ -s "$OUT/plots/$stem.$ext" ]; then pass "plots/$stem.$ext written"
    else fail "plots/$stem.$ext written"; fi
  done
done
for f in compare.json compare.csv compare.md index.html; do
  if [ -s "$OUT/$f" ]; then pass "$f written"; else fail "$f written"; fi
done

# The page in headless Chromium: no console errors, every image decoded; screenshot kept
# beside the build for a human look ($KQSIM_SCREENSHOT_DIR, default: the test's temp dir).
SHOT_DIR=${KQSIM_SCREENSHOT_DIR:-$TMP}
mkdir -p "$SHOT_DIR"
if "$PY" "$ROOT/tests/scripts/check_page.py" "$OUT/index.html" "$SHOT_DIR/compare_page.png" \
    >"$TMP/page.log" 2>&1 && [ -s "$SHOT_DIR/compare_page.png" ]; then
  pass "index.html loads cleanly in headless Chromium, all images render ($(head -1 "$TMP/page.log"))"
else
  fail "index.html loads cleanly in headless Chromium, all images render"
  cat "$TMP/page.log"
fi
if grep -q 'src="http\|src="//\|<script' "$OUT/index.html"; then
  fail "index.html is self-contained (no scripts, no remote resources)"
else
  pass "index.html is self-contained (no scripts, no remote resources)"
fi

# The checker can fail: a missing image and a console error are caught.
mkdir -p "$TMP/bad"
printf '<!DOCTYPE html><html><head><meta charset="utf-8"><title>bad</title></head><body><img alt="gone" src="gone.png"><script>console.error("boom")</script></body></html>\n' >"$TMP/bad/bad.html"
if "$PY" "$ROOT/tests/scripts/check_page.py" "$TMP/bad/bad.html" "$TMP/bad.png" >"$TMP/bad.log" 2>&1; then
  fail "a broken page fails the Chromium check"
else
  if grep -q 'boom' "$TMP/bad.log" && grep -q 'gone' "$TMP/bad.log"; then
    pass "a broken page fails the Chromium check (console error and broken image reported)"
  else
    fail "a broken page fails the Chromium check with both problems named"
    cat "$TMP/bad.log"
  fi
fi

# plot_compare.py: deterministic SVGs, clean rejection of a malformed compare.json.
if "$PY" "$ROOT/scripts/plot_compare.py" --in "$OUT/compare.json" --out "$TMP/replot" 2>"$TMP/replot.err"; then
  same=1
  for f in "$OUT"/plots/*.svg; do cmp -s "$f" "$TMP/replot/$(basename "$f")" || same=0; done
  if [ $same -eq 1 ]; then pass "plot_compare.py rerun gives byte-identical SVGs"
  else fail "plot_compare.py rerun gives byte-identical SVGs"; fi
else
  fail "plot_compare.py reruns"
  cat "$TMP/replot.err"
fi
head -c 300 "$OUT/compare.json" >"$TMP/truncated.json"
"$PY" "$ROOT/scripts/plot_compare.py" --in "$TMP/truncated.json" --out "$TMP/x" 2>"$TMP/trunc.err"
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l <"$TMP/trunc.err")" -eq 1 ] && grep -qF "$TMP/truncated.json" "$TMP/trunc.err"; then
  pass "truncated compare.json: exit 2, one line naming the file"
else
  fail "truncated compare.json: exit 2, one line naming the file (rc=$rc)"
  cat "$TMP/trunc.err"
fi

finish
