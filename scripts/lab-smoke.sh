#!/usr/bin/env bash
# Smoke test of `ddish lab up` / `ddish lab down` with the real binary:
# up -> both Control Agents answer (with the generated password) -> HA converges ->
# named answers SOA -> down -> every recorded PID is gone.
#   scripts/lab-smoke.sh [path/to/ddish] [port-base]     (default target/debug/ddish, 20380)
set -euo pipefail
DDISH=${1:-target/debug/ddish}
BASE=${2:-20380}
DIR=$(mktemp -d /tmp/ddish-lab-smoke.XXXXXX)
trap '"$DDISH" lab down --dir "$DIR" >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT

cfg=$("$DDISH" lab up --dir "$DIR" --port-base "$BASE")
[ "$cfg" = "$DIR/ddish.toml" ] || { echo "FAIL: up printed '$cfg'" >&2; exit 1; }
pass=$(cat "$DIR/kea-password")

kc() { curl -s -m 5 -u "ddish:$pass" -H 'Content-Type: application/json' -d "$2" "http://127.0.0.1:$1/"; }
for port in "$BASE" $((BASE + 1)); do
  kc "$port" '{"command":"status-get","service":["dhcp4"]}' | grep -q '"result": 0' \
    || { echo "FAIL: CA $port" >&2; exit 1; }
done
echo "ok: both control agents answer"

for _ in $(seq 1 150); do
  s1=$(kc "$BASE" '{"command":"ha-heartbeat","service":["dhcp4"]}' | grep -o '"state": "[a-z-]*"' || true)
  s2=$(kc $((BASE + 1)) '{"command":"ha-heartbeat","service":["dhcp4"]}' | grep -o '"state": "[a-z-]*"' || true)
  [ "$s1" = '"state": "load-balancing"' ] && [ "$s2" = "$s1" ] && break
  sleep 0.2
done
[ "$s1" = '"state": "load-balancing"' ] && [ "$s2" = "$s1" ] || { echo "FAIL: HA $s1 / $s2" >&2; exit 1; }
echo "ok: HA load-balancing on both"

dig +short +time=1 +tries=2 -p $((BASE + 4)) @127.0.0.1 example.test SOA | grep -q '^ns1\.example\.test\.' \
  || { echo "FAIL: named SOA" >&2; exit 1; }
echo "ok: named answers SOA"

mapfile -t pids < <(awk '{print $2}' "$DIR/run/pids")
[ "${#pids[@]}" = 5 ] || { echo "FAIL: ${#pids[@]} pids recorded" >&2; exit 1; }
"$DDISH" lab down --dir "$DIR"
for p in "${pids[@]}"; do
  if [ -e "/proc/$p" ] && ! grep -q '^State:.*[ZX]' "/proc/$p/status" 2>/dev/null; then
    echo "FAIL: pid $p still runs" >&2; exit 1
  fi
done
[ ! -e "$DIR/run/pids" ] || { echo "FAIL: pids file left" >&2; exit 1; }
echo "ok: down stopped all ${#pids[@]} daemons"
