#!/usr/bin/env bash
# A clean, minimal Debian chroot per suite (debootstrap --variant=minbase, nothing else
# installed), cached, for testing ddish's package on a fresh Debian 12 or 13.
# Usage: scripts/debian-chroot.sh SUITE...      (bookworm = Debian 12, trixie = Debian 13)
# Prints "<suite> <dir>" for each. Idempotent. Needs root for debootstrap (sudo when not
# root). Env: DDISH_DEBIAN_CACHE (default /var/cache/ddish-debian).
set -euo pipefail
cache="${DDISH_DEBIAN_CACHE:-/var/cache/ddish-debian}"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
# shellcheck source=lib/debian.sh
. "$(dirname "$0")/lib/debian.sh"

[ $# -gt 0 ] || { echo "usage: $0 bookworm|trixie..." >&2; exit 2; }
for suite in "$@"; do
  case "$suite" in
  bookworm | trixie) ;;
  *) echo "debian-chroot: unknown suite '$suite' (bookworm or trixie)" >&2; exit 2 ;;
  esac
  dir="$cache/$suite"
  if [ ! -e "$dir/.ddish-ready" ]; then
    if ! command -v debootstrap >/dev/null 2>&1; then
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
    fi
    echo "debian-chroot: building $dir (Debian $suite, minbase)" >&2
    $SUDO rm -rf "$dir"
    $SUDO mkdir -p "$cache"
    log="$cache/$suite.log"
    # The log is written as root too (the cache is root's).
    if ! $SUDO debootstrap --variant=minbase "$suite" "$dir" "$(debian_mirror)" 2>&1 |
      $SUDO tee "$log" >/dev/null; then
      echo "debian-chroot: debootstrap $suite failed; last lines of $log:" >&2
      $SUDO tail -n 15 "$log" >&2
      exit 1
    fi
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$dir/usr/sbin/policy-rc.d" >/dev/null
    $SUDO chmod +x "$dir/usr/sbin/policy-rc.d"
    $SUDO chroot "$dir" apt-get clean >/dev/null 2>&1 || true
    $SUDO touch "$dir/.ddish-ready"
  fi
  echo "$suite $dir"
done
