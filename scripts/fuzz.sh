#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a while, seeded with
# the parser fixtures. Any crash, leak or sanitizer report fails the script and leaves the input
# that caused it in build-fuzz/crashes/.
# Usage: scripts/fuzz.sh [seconds per target]     (default 10)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-10}
build="$root/build-fuzz"
CC=clang cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DATIVA_FUZZ=ON \
    -DATIVA_BUILD_TESTS=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzz_webhook fuzz_request fuzz_template_page fuzz_phone \
    >/dev/null

seed_dir() { # target -> folder of seed inputs built from the fixtures
    local target=$1 dir="$build/seeds/$1"
    rm -rf "$dir" && mkdir -p "$dir"
    case $target in
    webhook) find "$root/tests/fixtures/webhook" "$root/tests/fixtures/meta_send" -name '*.json' \
        -exec cp --backup=numbered -t "$dir" {} + ;;
    request) find "$root/tests/fixtures/protocol" -name frame.json -exec cp --backup=numbered -t "$dir" {} + ;;
    template_page) find "$root/tests/fixtures/template" -name '*.json' -exec cp --backup=numbered -t "$dir" {} + ;;
    phone) cut -f1 "$root"/tests/fixtures/phone/*.tsv | grep -v '^#' | split -l 1 - "$dir/p" ;;
    esac
    echo "$dir"
}

mkdir -p "$build/crashes"
for target in webhook request template_page phone; do
    seeds=$(seed_dir "$target")
    corpus="$build/corpus/$target"
    mkdir -p "$corpus"
    echo "==> fuzz_$target for ${seconds}s ($(ls "$seeds" | wc -l) seeds)"
    "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
        -artifact_prefix="$build/crashes/$target-" -print_final_stats=1 "$corpus" "$seeds" \
        2>"$build/fuzz_$target.log" || { tail -n 40 "$build/fuzz_$target.log"; exit 1; }
    grep -E '^stat::number_of_executed_units|^stat::new_units_added' "$build/fuzz_$target.log" |
        sed 's/^/    /'
done
echo "==> fuzzing found nothing"
