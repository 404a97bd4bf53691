#!/usr/bin/env bash
# Walks the bad-input corpus: every case must exit 2 with exactly one line on stderr that
# names the offending file, and leave no output directory behind.
# Each case is a folder with a file `args` (the kqsim arguments, one per line, with @DIR@
# standing for the case folder and @OUT@ for a fresh output path).
set -u
kqsim="$1"
corpus="$2"
fail=0
count=0
for case_dir in "$corpus"/*/*/; do
  [ -f "$case_dir/args" ] || continue
  count=$((count + 1))
  out="$(mktemp -d)/out"
  mapfile -t args < <(sed -e "s#@DIR@#${case_dir%/}#g" -e "s#@OUT@#$out#g" -e "s#@ROOT@#$corpus/../..#g" "$case_dir/args")
  err="$(timeout 60 "$kqsim" "${args[@]}" 2>&1 >/dev/null)"
  rc=$?
  lines=$(printf '%s' "$err" | grep -c '^' || true)
  name="${case_dir#$corpus/}"
  if [ "$rc" -ne 2 ]; then
    echo "FAIL $name: exit code $rc (expected 2): $err"; fail=$((fail + 1))
  elif [ "$lines" -ne 1 ]; then
    echo "FAIL $name: $lines lines on stderr (expected 1): $err"; fail=$((fail + 1))
  elif [ -f "$case_dir/expect" ] && ! printf '%s' "$err" | grep -qF -- "$(cat "$case_dir/expect")"; then
    echo "FAIL $name: message lacks '$(cat "$case_dir/expect")': $err"; fail=$((fail + 1))
  elif [ -e "$out" ]; then
    echo "FAIL $name: left output behind in $out"; fail=$((fail + 1))
  else
    echo "ok   $name: $err"
  fi
done
echo "$((count - fail)) passed, $fail failed"
[ "$count" -gt 0 ] && [ "$fail" -eq 0 ]
