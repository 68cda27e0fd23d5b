#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what it needs (Kea, BIND, tmux, and Kea 2.6
# and 3.0 from Debian's packages into cached chroots), checks formatting and lints, runs unit,
# snapshot, integration (real Kea + BIND on loopback) and end-to-end (tmux) tests on the
# system's Kea (2.2 on Debian 12), then the Kea-facing integration tests again on Kea 2.6
# (Control Agent) and 3.0 (Control Agent, and the daemon's own HTTP socket). A version that
# cannot be provided fails the run with the reason; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export PATH="$HOME/.cargo/bin:$PATH:/usr/sbin:/sbin"
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
# Build the binary once: the end-to-end tests run it.
cargo build --locked
threads="${DDISH_TEST_THREADS:-2}"
# Benches are compiled by clippy above and run with `cargo bench` (release), not here.
cargo test --locked --lib --bins --tests -- --test-threads="$threads"

# The tests that talk to Kea, on Kea 2.6 and 3.0. Same binaries: the lab reads
# DDISH_KEA_ROOT / DDISH_KEA_API at run time.
cache="${DDISH_KEA_CACHE:-/var/cache/ddish-kea}"
if ! bash scripts/kea-versions.sh trixie sid; then
  echo "test.sh: Kea 2.6 / 3.0 could not be installed (above): these versions are untested, failing" >&2
  exit 1
fi
KEA_TESTS="--test kea_versions --test first_run --test kea_client --test config_edit --test review --test search --test sweep --test server_props --test bulk --test failover --test layout --test dhcp_probe \
  --test cli --test ip_actions --test lab --test fleet --test events --test kea_write --test hosts_db \
  --test faults --test faults_transport --test faults_dhcp --test faults_race --test faults_console"
for run in "trixie agent" "sid agent" "sid direct"; do
  set -- $run
  echo "=== Kea-facing tests on $(cat "$cache/$1/.ddish-version" 2>/dev/null || echo "$1") ($2 API)" >&2
  export DDISH_KEA_ROOT="$cache/$1" DDISH_KEA_API="$2"
  cargo test --locked --no-fail-fast $KEA_TESTS -- --test-threads="$threads"
  unset DDISH_KEA_ROOT DDISH_KEA_API
done
