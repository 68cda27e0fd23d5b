#!/usr/bin/env bash
# Installs the Kea versions the tests run against besides the system's own, from Debian's
# packages, each into a cached chroot (KEA_FACTS.md §14):
#   trixie (Debian 13) -> Kea 2.6    sid -> Kea 3.0
# Usage: scripts/kea-versions.sh [trixie] [sid]      (default: both)
# Prints "<suite> <dir> <kea version>" for each. Idempotent: a finished chroot is reused.
# The daemons are not run inside the chroot: ddish's lab starts them with the chroot's own
# dynamic loader and libraries (`ddish lab --kea-root DIR`), unprivileged, on loopback.
# Needs root for debootstrap (uses sudo when not root). Env: DDISH_KEA_CACHE (default
# /var/cache/ddish-kea).
set -euo pipefail
cache="${DDISH_KEA_CACHE:-/var/cache/ddish-kea}"
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(trixie sid)
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

# shellcheck source=lib/debian.sh
. "$(dirname "$0")/lib/debian.sh"

need_tool() {
  command -v "$1" >/dev/null 2>&1 && return
  echo "kea-versions: installing $2" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$2" >/dev/null
}

build() {
  local suite=$1 dir="$cache/$1"
  if [ -e "$dir/.ddish-ready" ]; then
    return
  fi
  need_tool debootstrap debootstrap
  local m
  m=$(debian_mirror)
  echo "kea-versions: building $dir (Debian $suite, Kea from its packages)" >&2
  $SUDO rm -rf "$dir"
  $SUDO mkdir -p "$cache"
  local log="$cache/$suite.log"
  if ! $SUDO debootstrap --variant=minbase "$suite" "$dir" "$m" >"$log" 2>&1; then
    echo "kea-versions: debootstrap $suite failed; last lines of $log:" >&2
    tail -n 15 "$log" >&2
    exit 1
  fi
  # No services start inside the chroot.
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$dir/usr/sbin/policy-rc.d" >/dev/null
  $SUDO chmod +x "$dir/usr/sbin/policy-rc.d"
  [ -r /etc/ssl/certs/ca-certificates.crt ] &&
    $SUDO cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/" 2>/dev/null || true
  # kea-common's postinst needs /proc.
  $SUDO mount -t proc proc "$dir/proc"
  local rc=0
  {
    # A sid index can be older than its Valid-Until.
    $SUDO chroot "$dir" apt-get -o Acquire::Check-Valid-Until=false update -qq &&
      DEBIAN_FRONTEND=noninteractive $SUDO chroot "$dir" apt-get install -y -qq \
        --no-install-recommends kea-dhcp4-server kea-dhcp6-server kea-ctrl-agent kea-admin
  } >>"$log" 2>&1 || rc=$?
  $SUDO umount "$dir/proc" || $SUDO umount -l "$dir/proc" || true
  if [ $rc -ne 0 ]; then
    echo "kea-versions: installing Kea in the $suite chroot failed; last lines of $log:" >&2
    tail -n 15 "$log" >&2
    exit 1
  fi
  $SUDO chroot "$dir" apt-get clean >/dev/null 2>&1 || true
  # The daemons run unprivileged from the host: the tree must be readable by everyone.
  $SUDO chmod 755 "$dir"
  $SUDO touch "$dir/.ddish-ready"
}

# kea-admin's database schema (the hosts-database tests load it into a private PostgreSQL).
# Also added to a chroot cached before this step existed.
with_admin() {
  local suite=$1 dir="$cache/$1"
  [ -e "$dir/usr/share/kea/scripts/pgsql/dhcpdb_create.pgsql" ] && return
  echo "kea-versions: adding kea-admin (database schemas) to $dir" >&2
  local log="$cache/$suite.log" rc=0
  $SUDO mount -t proc proc "$dir/proc"
  {
    $SUDO chroot "$dir" apt-get -o Acquire::Check-Valid-Until=false update -qq &&
      DEBIAN_FRONTEND=noninteractive $SUDO chroot "$dir" apt-get install -y -qq \
        --no-install-recommends kea-admin
  } >>"$log" 2>&1 || rc=$?
  $SUDO umount "$dir/proc" || $SUDO umount -l "$dir/proc" || true
  $SUDO chroot "$dir" apt-get clean >/dev/null 2>&1 || true
  if [ $rc -ne 0 ]; then
    echo "kea-versions: installing kea-admin in the $suite chroot failed; last lines of $log:" >&2
    tail -n 15 "$log" >&2
    exit 1
  fi
}

for s in "${suites[@]}"; do
  case "$s" in
  trixie | sid | bookworm) ;;
  *)
    echo "kea-versions: unknown suite '$s' (trixie for Kea 2.6, sid for Kea 3.0)" >&2
    exit 2
    ;;
  esac
  build "$s"
  with_admin "$s"
  dir="$cache/$s"
  version=$($SUDO chroot "$dir" /usr/sbin/kea-dhcp4 -v 2>/dev/null || echo "?")
  [ "$version" = "?" ] || echo "Kea $version" | $SUDO tee "$dir/.ddish-version" >/dev/null
  echo "$s $dir $version"
done
