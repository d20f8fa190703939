#!/usr/bin/env bash
# Installs what the console's browser tests need on top of scripts/install-deps.sh (which brings
# Debian's chromium and nodejs): npm when the node installation lacks it, then the exact packages of
# tests/browser/package-lock.json with `npm ci`. No browser is downloaded: the tests drive
# /usr/bin/chromium.
# Idempotent: when node_modules already matches the lock file it only checks and returns.
# Usage: scripts/install-browser-deps.sh            (as root, or with sudo available)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/tests/browser"

"$root/scripts/install-deps.sh"

if ! command -v npm >/dev/null; then
    sudo=""
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || { echo "install-browser-deps: run as root (missing: npm)" >&2; exit 1; }
        sudo="sudo"
    fi
    echo "install-browser-deps: installing npm"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends npm >/dev/null
fi

# The stamp records which lock file node_modules was installed from.
stamp="$dir/node_modules/.ativa-lock.sha256"
want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "install-browser-deps: tests/browser/node_modules is current"
    exit 0
fi

echo "install-browser-deps: npm ci in tests/browser"
(cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
echo "$want" >"$stamp"
echo "install-browser-deps: tests/browser/node_modules installed"
