#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 60) on the nightly toolchain and
# prints executions, corpus size and crashes per target. CI runs the proptest mirrors of
# these (tests/parsers_fuzz.rs) on stable; this script is for longer runs:
#   bash scripts/fuzz.sh 600
# Needs: rustup toolchain install nightly; cargo install cargo-fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz.sh: no nightly toolchain (rustup toolchain install nightly)" >&2
    exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: cargo-fuzz is missing (cargo install cargo-fuzz)" >&2
    exit 2
fi
# The versions the tests build with (the fuzz crate has its own lock file otherwise).
cp Cargo.lock fuzz/Cargo.lock
printf '%-18s %12s %8s %8s\n' TARGET EXECUTIONS CORPUS CRASHES
status=0
for t in $(cargo +nightly fuzz list --fuzz-dir fuzz); do
    mkdir -p "fuzz/corpus/$t"
    log="$(mktemp)"
    if ! cargo +nightly fuzz run --fuzz-dir fuzz "$t" -- -max_total_time="$secs" \
        -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
        status=1
    fi
    execs="$( (grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" || true) | grep -o '[0-9]*$' | tail -1 || true)"
    [ -n "$execs" ] || execs="$( (grep -o '^#[0-9]*' "$log" || true) | tail -1 | tr -d '#')"
    corpus="$(find "fuzz/corpus/$t" -type f | wc -l)"
    crashes="$(find "fuzz/artifacts/$t" -type f 2>/dev/null | wc -l)"
    printf '%-18s %12s %8s %8s\n' "$t" "${execs:-?}" "$corpus" "$crashes"
    [ "$crashes" = 0 ] || { status=1; tail -30 "$log"; }
    rm -f "$log"
done
exit "$status"
