#!/usr/bin/env bash
# Installs the C libraries the package links (libarchive, OpenSSL's libcrypto, OpenBLAS, zlib),
# oneDNN (for bfloat16 training) and pkg-config when they are missing, on Debian/Ubuntu, plus any
# packages named as arguments (`make test` adds chromium, for the rating page's browser test).
# Does nothing when they are all present.
set -euo pipefail
packages=(libarchive-dev zlib1g-dev libssl-dev libopenblas-dev libdnnl-dev pkg-config "$@")

if ! command -v dpkg-query >/dev/null 2>&1; then
    # Not Debian: check with pkg-config and say what is missing.
    for pc in libarchive zlib libcrypto openblas; do
        pkg-config --exists "$pc" 2>/dev/null || { echo "deps: $pc not found by pkg-config; install it with your package manager" >&2; exit 1; }
    done
    for p in "$@"; do
        command -v "$p" >/dev/null 2>&1 || { echo "deps: $p not found; install it with your package manager" >&2; exit 1; }
    done
    exit 0
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing ${missing[*]}; run as root, or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
