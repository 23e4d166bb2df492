#!/usr/bin/env bash
# The reproducibility check CI runs: the tiny profile end to end in a scratch workspace, then
# `pipeline verify`, which recomputes every stage ignoring all caches and compares hashes.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${PIPELINE:-$(swift build --show-bin-path)/pipeline}
ws=$(mktemp -d)
trap 'rm -rf "$ws"' EXIT
cp pipeline.json "$ws/"
ln -s "$PWD/corpus" "$ws/corpus"
"$bin" run --profile tiny --workspace "$ws"
"$bin" verify --profile tiny --workspace "$ws"
