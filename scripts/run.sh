#!/usr/bin/env bash
# The main job: set-up, build, then ResNet-18 on the shipped fp32 and int8 baselines
# (16x16 arrays) in fast mode with every output checked against the golden reference.
# Writes reports/default/{fp32,int8}/ and their plots in reports/default/plots/.
# Usage: scripts/run.sh [extra kqsim run options, e.g. --mode cycle]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
out="$root/reports/default"
mkdir -p "$out"
for design in fp32 int8; do
  echo "== ResNet-18 on baseline_${design}_16x16"
  "$root/build/kqsim" run --arch "$root/arch_configs/baseline_${design}_16x16.json" \
    --workload "$root/workloads/resnet18.json" --out "$out/$design" "$@"
done
/usr/bin/python3 "$root/scripts/plot_report.py" --in "$out/fp32/report.json" \
  --in "$out/int8/report.json" --out "$out/plots"
echo "reports: $out/{fp32,int8}/summary.md, plots: $out/plots/"
