#!/usr/bin/env bash
# Opens the ddish console on the built-in loopback lab (two Kea servers in HA + BIND on
# 127.0.0.1), installing what it needs first. Quit with q: the lab stops with it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export PATH="$HOME/.cargo/bin:$PATH:/usr/sbin:/sbin"
cargo build --release --locked
exec ./target/release/ddish lab "$@"
