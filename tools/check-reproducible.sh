#!/usr/bin/env bash
# The end-to-end and reproducibility check CI runs: the tiny profile through all eight stages in
# a scratch workspace, the report, then `pipeline verify`, which recomputes every stage ignoring
# all caches and compares hashes.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${PIPELINE:-$(swift build --show-bin-path)/pipeline}
ws=$(mktemp -d)
trap 'rm -rf "$ws"' EXIT
cp pipeline.json "$ws/"
ln -s "$PWD/corpus" "$ws/corpus"
"$bin" run --profile tiny --workspace "$ws"
"$bin" report --profile tiny --workspace "$ws" -o "$ws/report.html"
"$bin" verify --profile tiny --workspace "$ws"
