#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what it needs (Kea, BIND, tmux), checks
# formatting and lints, then runs unit, snapshot, integration (real Kea + BIND on loopback)
# and end-to-end (tmux) tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export PATH="$HOME/.cargo/bin:$PATH:/usr/sbin:/sbin"
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
# Build the binary once: the end-to-end tests run it.
cargo build --locked
# Benches are compiled by clippy above and run with `cargo bench` (release), not here.
cargo test --locked --lib --bins --tests -- --test-threads="${DDISH_TEST_THREADS:-2}"
