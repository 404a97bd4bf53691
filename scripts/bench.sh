#!/usr/bin/env bash
# Speed and memory targets of kqsim, measured on this machine (docs/PERFORMANCE.md).
# Usage: scripts/bench.sh            (builds first; prints one line per target)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh" >/dev/null
kqsim="$root/build/kqsim"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
arch="$root/arch_configs/baseline_fp32_16x16.json"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"

# 1. Analytic model, whole ResNet-50, in-process (target < 10 ms).
"$root/build/tests/kqsim_analytic_bench" "$arch" "$root/workloads/resnet50.json" 20

# run_timed LABEL ARGS...: wall time, CPU time (user + system) and peak RSS of one kqsim run
# (one core: taskset). On a machine shared with other work the CPU time is the steadier
# figure; on a quiet one the two agree.
run_timed() {
  local label="$1"; shift
  /usr/bin/time -f "%e %M %U %S" -o "$tmp/time" taskset -c 0 "$kqsim" run "$@" --out "$tmp/out" -q
  read -r secs kb user sys < "$tmp/time"
  local cycles
  cycles=$(/usr/bin/python3 -c "import json;print(json.load(open('$tmp/out/report.json'))['totals']['cycles'])")
  /usr/bin/python3 -c "print('%-58s %7.2f s (cpu %6.2f s)  %12d cycles  %6.2f M cycles/s (per cpu-s %5.2f)  peak %5.0f MiB' % ('$label', $secs, $user + $sys, $cycles, $cycles/$secs/1e6, $cycles/($user + $sys)/1e6, $kb/1024))"
}

rn18="$root/workloads/resnet18.json"
# 2. fast mode with real values (and the reference check) on one core (target < 20 s).
run_timed "fast, ResNet-18 fp32 16x16, values + reference check" --arch "$arch" --workload "$rn18" --mode fast
run_timed "fast, ResNet-18 fp32 16x16, values, no check" --arch "$arch" --workload "$rn18" --mode fast --no-check
# 3. cycle mode (target >= 1 M simulated cycles/s on a 16x16 array).
run_timed "cycle, ResNet-18 fp32 16x16, timing only" --arch "$arch" --workload "$rn18" --mode cycle --no-values
run_timed "cycle, ResNet-18 fp32 16x16, values + reference check" --arch "$arch" --workload "$rn18" --mode cycle
# 4. Peak memory of the ResNet-18 runs above (target < 1 GiB): the "peak" column.

# 5. KCNN (issue 3): ResNet-18 through a KCNN design in fast mode with values (target < 30 s)
#    and quantizing all ResNet-50 conv weights, M = 4, 10 iterations (target < 5 s).
run_timed "fast, ResNet-18 on kcnn_m2_16x16, values + reference check" \
  --arch "$root/arch_configs/kcnn_m2_16x16.json" --workload "$rn18" --mode fast
taskset -c 0 "$root/build/tests/kqsim_unit_tests" "[.kcnn_bench]" 2>&1 | grep -A2 "warning:" | grep -v "warning:"
# 6. KQ (issue 4): ResNet-18 through a KQ design in fast mode (target < 30 s) and k-means of
#    a 512x512x3x3 layer, K = 512, 20 iterations (target < 2 s).
run_timed "fast, ResNet-18 on kq_k512_16x16, values + reference check" \
  --arch "$root/arch_configs/kq_k512_16x16.json" --workload "$rn18" --mode fast
#    Best of 3, like the other short figures: single runs of this one vary by ±15% here.
for _ in 1 2 3; do
  taskset -c 0 "$root/build/tests/kqsim_unit_tests" "[.bench]" 2>&1 | grep "k-means"
done | sort -t: -k2 -n | head -1 | sed 's/$/  (best of 3)/'
# 7. ONNX (issue 8), inputs generated here (nothing downloaded, nothing committed):
#    importing a ResNet-50-sized .onnx (~100 MB; BatchNormalization unfolded, as
#    torch.onnx.export writes it) under 2 s, timed as the whole `kqsim inspect` (best of 5);
#    and 1,000 Fashion-MNIST-sized samples (synthetic 1x28x28, labelled by the float model)
#    through a small CNN on quantized designs with accuracy, under 10 s on 2 cores (best of 3).
gen="$root/build/tests/kqsim_onnx_gen"
"$gen" resnet50 "$tmp/resnet50.onnx"
best_of() {  # best_of N CMD...: best wall time and its peak RSS over N runs
  local n="$1"; shift
  local best="" best_kb=""
  for _ in $(seq "$n"); do
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >/dev/null
    read -r secs kb < "$tmp/time"
    if [ -z "$best" ] || /usr/bin/python3 -c "import sys; sys.exit(not $secs < $best)"; then
      best="$secs"; best_kb="$kb"
    fi
  done
  echo "$best $best_kb"
}
read -r secs kb < <(best_of 5 "$kqsim" inspect "$tmp/resnet50.onnx")
printf '%-58s %7.2f s  (%d MB file)  peak %5.0f MiB\n' "ONNX import, ResNet-50-sized (kqsim inspect)" "$secs" \
  "$(( $(stat -c %s "$tmp/resnet50.onnx") / 1000000 ))" "$(( kb / 1024 ))"
"$gen" small_cnn "$tmp" 1000
for a in baseline_int8_16x16 kq_k256_16x16 kcnn_m2_16x16; do
  read -r secs kb < <(best_of 3 "$kqsim" run --arch "$root/arch_configs/$a.json" \
    --model "$tmp/small_cnn.onnx" --inputs "$tmp/inputs.npy" --labels "$tmp/labels.npy" \
    --threads 2 --out "$tmp/acc" -q)
  top1=$(/usr/bin/python3 -c "import json;print('%.1f' % (100*json.load(open('$tmp/acc/report.json'))['accuracy']['designs'][0]['top1_accuracy']))")
  printf '%-58s %7.2f s  top-1 %5s%%  peak %5.0f MiB\n' "accuracy, 1,000 1x28x28 samples, small CNN, $a" "$secs" \
    "$top1" "$(( kb / 1024 ))"
done

# 8. Sweeps (issue 6): analytic design points per second for ResNet-18 with two threads (target
#    >= 10,000): best of 3 of the rates kqsim sweep prints for its evaluation phase, points per
#    second and points per CPU-second (all threads and ranks). Then MPI scaling on a 10,240-point
#    sweep, one thread per rank: 2 ranks against 1 (target >= 1.8x), measured as said below.
points_per_s() {  # the points/s of the outcome line kqsim sweep prints, from stdin
  sed -n 's/.*(\([0-9]*\) points\/s.*/\1/p'
}
sweep_rate() {  # SPEC LAUNCHER... -- KQSIM_ARGS...: "best points/s  best points per CPU-s"
  local spec=$1; shift
  local launcher=()
  while [ "$1" != "--" ]; do launcher+=("$1"); shift; done
  shift
  local best=0 best_cpu=0 line rate cpu
  for _ in 1 2 3; do
    rm -rf "$tmp/sweep"
    line=$("${launcher[@]}" "$kqsim" sweep "$spec" --out "$tmp/sweep" "$@" | head -1)
    rate=$(printf '%s' "$line" | points_per_s)
    cpu=$(printf '%s' "$line" | sed -n 's/.*, \([0-9]*\) per CPU-second.*/\1/p')
    [ "${rate:-0}" -gt "$best" ] && best=$rate
    [ "${cpu:-0}" -gt "$best_cpu" ] && best_cpu=$cpu
  done
  echo "$best $best_cpu"
}
for spec in sweep_resnet18_distinct sweep_resnet18_mixed; do
  read -r rate cpu < <(sweep_rate "$root/tests/bench/$spec.json" -- --jobs 2)
  printf '%-58s %7d points/s, %d per CPU-second (2 threads, best of 3)\n' "sweep, $spec" "$rate" "$cpu"
done
if "$kqsim" sweep --help | grep -q "^MPI: built in" && command -v mpirun >/dev/null; then
  # MPI. Single runs on this machine drift by up to ±30% within minutes, so best-of-3 blocks
  # taken one after the other compare different machines. One-rank and two-rank runs alternate
  # instead, 11 rounds; each round's ratio compares runs seconds apart, and the median round is
  # reported.
  # Each round also runs the ceiling: two plain single-thread sweeps of all points at once, one
  # pinned to each core, nothing shared. Twice the slower one's rate is what two busy cores of
  # this machine deliver for this evaluation whatever distributes it; two ranks over it is the
  # distribution's efficiency.
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  spec="$root/tests/bench/sweep_resnet18_distinct.json"
  rate_of() {  # OUT_DIR LAUNCHER...: points/s of one sweep's evaluation phase
    local out=$1; shift
    rm -rf "$out"
    "$@" "$kqsim" sweep "$spec" --out "$out" --jobs 1 | head -1 | points_per_s
  }
  rounds=""
  for _ in $(seq 11); do
    one=$(rate_of "$tmp/mpi1" mpirun -np 1)
    two=$(rate_of "$tmp/mpi2" mpirun -np 2)
    rate_of "$tmp/solo0" taskset -c 0 >"$tmp/solo0.rate" &
    solo1=$(rate_of "$tmp/solo1" taskset -c 1)
    wait
    rounds="$rounds $one,$two,$(cat "$tmp/solo0.rate"),$solo1"
  done
  /usr/bin/python3 - "$rounds" <<'PY'
import statistics, sys
rounds = [tuple(int(x) for x in r.split(",")) for r in sys.argv[1].split()]
one = [r[0] for r in rounds]
two = [r[1] for r in rounds]
ceiling = [2 * min(r[2], r[3]) for r in rounds]
med = statistics.median
ratios = sorted(t / o for o, t in zip(one, two))
bound = sorted(c / o for o, c in zip(one, ceiling))
print("%-58s %7d -> %d points/s: %.2fx median of %d rounds (%.2f to %.2f)" % (
    "sweep under MPI, 1 -> 2 ranks (1 thread each)", med(one), med(two), med(ratios),
    len(rounds), ratios[0], ratios[-1]))
print("%-58s %7d points/s: %.2fx one rank, median of rounds (%.2f to %.2f); 2 ranks: %.0f%% of it" % (
    "  ceiling: 2 independent 1-thread sweeps, one per core", med(ceiling), med(bound),
    bound[0], bound[-1], 100 * med(t / c for t, c in zip(two, ceiling))))
PY
fi
