#!/usr/bin/env bash
# Benchmark of the console end to end (bench/console_latency.mjs): a customer's message to the
# moment Chromium draws it in the agent's open chat, with an empty console and with QUEUE_SIZE
# conversations queued, side by side in one run; and "Entrar" to a live screen with that queue.
# Usage: scripts/bench-console.sh [SAMPLES] [QUEUE_SIZE]      (default 100 300; takes ~2 minutes)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-browser-deps.sh" >/dev/null
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
ATIVA_BUILD_DIR="$root/build" ATIVA_SOURCE_DIR="$root" node "$root/bench/console_latency.mjs" "${1:-100}" "${2:-300}"
