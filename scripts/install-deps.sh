#!/usr/bin/env bash
# Installs what ddish's lab and test suite need on Debian/Ubuntu: Kea 2.x (dhcp4 + control
# agent + hooks), BIND 9 and its tools, tmux for the end-to-end test, PostgreSQL (a hosts
# database for Kea in the tests), and the Rust toolchain if cargo is missing. Idempotent:
# does nothing when everything is present.
set -euo pipefail
need=()
command -v kea-dhcp4 >/dev/null 2>&1 || need+=(kea-dhcp4-server)
command -v kea-ctrl-agent >/dev/null 2>&1 || need+=(kea-ctrl-agent)
command -v named >/dev/null 2>&1 || need+=(bind9)
command -v tsig-keygen >/dev/null 2>&1 || need+=(bind9-utils)
command -v dig >/dev/null 2>&1 || need+=(bind9-dnsutils)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
command -v screen >/dev/null 2>&1 || need+=(screen)
command -v ss >/dev/null 2>&1 || need+=(iproute2)
command -v cc >/dev/null 2>&1 || need+=(build-essential)
command -v curl >/dev/null 2>&1 || need+=(curl)
# man renders ddish's generated man page in the tests.
command -v man >/dev/null 2>&1 || need+=(man-db)
# Kea's documentation example configs, which `ddish review --file` is tested on.
[ -d /usr/share/doc/kea/examples/kea4 ] || need+=(kea-doc)
# A private PostgreSQL serves as Kea's hosts database in the tests of reservations kept
# outside the config file.
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "installing: ${need[*]}" >&2
  # Keep the packaged services from starting on the machine: ddish runs its own, on loopback.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if ! command -v cargo >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/cargo" ]; then
  echo "cargo not found: install Rust from your distribution (apt-get install cargo) or rustup" >&2
  exit 1
fi
