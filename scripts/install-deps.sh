#!/usr/bin/env bash
# Installs everything ativa needs to build, test and run its demo on Debian 12.
# Idempotent: when every package is already present it only checks and returns in about a second.
# Usage: scripts/install-deps.sh            (as root, or with sudo available)
set -euo pipefail

packages=(
    build-essential cmake pkg-config git ca-certificates openssl curl
    libwebsockets-dev libssl-dev libjansson-dev liblmdb-dev lmdb-utils
    libcmocka-dev gcovr clang libclang-rt-14-dev
    nodejs npm chromium
)

# A Node.js installed another way (e.g. NodeSource's nodejs, which ships npm itself and conflicts
# with Debian's npm package) already provides these commands.
declare -A provided_by_command=([nodejs]=node [npm]=npm)

missing=()
for p in "${packages[@]}"; do
    cmd=${provided_by_command[$p]:-}
    if [[ -n "$cmd" ]] && command -v "$cmd" >/dev/null; then
        continue
    fi
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]})); then
    sudo=""
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || { echo "install-deps: run as root (missing: ${missing[*]})" >&2; exit 1; }
        sudo="sudo"
    fi
    echo "install-deps: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install-deps: all build and test packages are present"
