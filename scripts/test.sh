#!/usr/bin/env bash
# The test command: installs dependencies, builds ativa twice (normal, and with AddressSanitizer +
# UndefinedBehaviorSanitizer), runs every test in both (unit, crash, integration, console modules
# and the console in Chromium), fuzzes the parsers briefly, then prints line coverage of core/.
# Usage: scripts/test.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc 2>/dev/null || echo 2)

# The build's dependencies, then Chromium and playwright-core for the console's browser tests.
"$root/scripts/install-browser-deps.sh"

# ARCHITECTURE rule 1: core/ and its public headers stay socket-free.
if grep -rlE '#[[:space:]]*include[[:space:]]*[<"]libwebsockets' core include; then
    echo "core/ or include/ includes libwebsockets.h: core must stay free of sockets" >&2
    exit 1
fi

run_suite() { # name, build dir, extra cmake args...
    local name=$1 dir=$2
    shift 2
    echo "==> [$name] configure and build in $dir"
    cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$dir" -j"$jobs" 2>&1 | grep -vE '^\[ *[0-9]+%\]|^-- ' || true
    cmake --build "$dir" -j"$jobs" >/dev/null # fails the script if the build failed
    echo "==> [$name] ctest"
    (cd "$dir" && ctest --output-on-failure -j"$jobs")
}

run_suite normal "$root/build"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite sanitizers "$root/build-sanitize" -DATIVA_SANITIZE=ON

echo "==> [fuzz] libFuzzer targets, briefly (longer runs: scripts/fuzz.sh SECONDS)"
"$root/scripts/fuzz.sh" "${ATIVA_FUZZ_SECONDS:-10}"

echo "==> [coverage] core/ line coverage of the unit tests"
cov="$root/build-coverage"
find "$cov" -name '*.gcda' -delete 2>/dev/null || true
cmake -S "$root" -B "$cov" -DCMAKE_BUILD_TYPE=Debug -DATIVA_COVERAGE=ON >/dev/null
cmake --build "$cov" -j"$jobs" >/dev/null
(cd "$cov" && ctest -j"$jobs" -R '^unit_' >/dev/null)
gcovr --root "$root" --filter "$root/core/" --object-directory "$cov" --print-summary \
    --txt "$cov/coverage.txt" >"$cov/coverage-summary.txt"
cat "$cov/coverage.txt"
tail -n 3 "$cov/coverage-summary.txt"
echo "==> all tests passed"
