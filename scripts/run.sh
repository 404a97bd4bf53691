#!/usr/bin/env bash
# The main job: set-up, build, then the comparison users come to kqsim for: ResNet-18 on the
# shipped fp32 baseline against the int8 baseline, a KCNN bit-plane design and a KQ codebook
# design (16x16 arrays, 45 nm), fast mode, the same seeded tensors on every design and every
# output checked against the golden reference. Writes reports/default/ (compare.md,
# compare.json, compare.csv, index.html, plots/, and each design's own run under runs/) and
# prints the headline table.
# Usage: scripts/run.sh [extra kqsim compare options, e.g. --mode cycle or --seed 7]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
cd "$root"
build/kqsim compare --workload workloads/resnet18.json \
  --baseline arch_configs/baseline_fp32_16x16.json \
  --arch arch_configs/baseline_int8_16x16.json \
  --arch arch_configs/kcnn_m2_16x16.json \
  --arch arch_configs/kq_k512_16x16.json \
  --out reports/default "$@"
