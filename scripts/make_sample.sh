#!/usr/bin/env bash
# Regenerates the committed sample, reports/sample/, from the main job: its compare.md and
# the PNG figures it links (the full output, JSON, CSV, SVGs and index.html, stays in
# reports/default/, which is not committed). Then paste the headline table into README.md.
# Usage: scripts/make_sample.sh [extra kqsim compare options]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/run.sh" "$@"
rm -rf "$root/reports/sample"
mkdir -p "$root/reports/sample/plots"
cp "$root/reports/default/compare.md" "$root/reports/sample/"
cp "$root/reports/default/plots/"*.png "$root/reports/sample/plots/"
echo "sample: $root/reports/sample/compare.md"
