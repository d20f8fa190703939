#!/usr/bin/env bash
# Saves a picture of every console screen in docs/screens/ (the pictures shown in the README), by
# running the browser tests against a real gateway and the simulator with ATIVA_SCREENSHOTS_DIR set.
# The screens are taken at the moments the tests check, so a picture never shows a state the tests
# did not verify.
# Usage: scripts/screenshots.sh [OUT_DIR]        (default docs/screens)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$root/docs/screens}")

"$root/scripts/install-browser-deps.sh"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null

mkdir -p "$out"
ATIVA_BUILD_DIR="$root/build" ATIVA_SOURCE_DIR="$root" ATIVA_SCREENSHOTS_DIR="$out" \
    node --test --test-concurrency=1 "$root"/tests/browser/*.test.mjs
echo "screenshots: $(ls "$out"/*.png | wc -l) pictures in $out"
