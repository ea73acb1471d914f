#!/usr/bin/env bash
# The systemd units as packaged: `systemd-analyze verify` accepts them in a
# root holding the two packages (and refuses the agent's unit once its binary
# is gone, so the check is not vacuous); the hardening is what
# packaging/systemd/ promises (unprivileged user, the agent with CAP_NET_RAW
# and CAP_NET_ADMIN only, the collector with none, read-only system) and
# `systemd-analyze security` rates both units OK or better.
# $1 = build dir, $2 = source dir.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
. "$SRC/tests/package/lib.sh"
need_packaging_tools systemd-analyze
[ -d /lib/systemd/system ] || { echo "skip: no systemd units on this host to verify against"; exit 77; }

WORK="$BUILD/package-test/units"
build_debs "$WORK/debs"
ROOT="$WORK/root"
rm -rf "$ROOT"
mkdir -p "$ROOT"
for deb in "$WORK/debs"/*.deb; do dpkg-deb -x "$deb" "$ROOT"; done
# The units they refer to (multi-user.target, network-online.target, ...)
# come from the host's systemd.
cp -an /lib/systemd/system/. "$ROOT/lib/systemd/system/"

verify() {
  SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --root="$ROOT" --man=no "/lib/systemd/system/$1" \
    >"$WORK/verify.log" 2>&1
}
for unit in vigil-agent.service vigil-agent@lo.service vigil-collector.service; do
  verify "$unit" || { cat "$WORK/verify.log"; fail "systemd-analyze verify refuses $unit"; }
  [ ! -s "$WORK/verify.log" ] || { cat "$WORK/verify.log"; fail "systemd-analyze verify warns about $unit"; }
done
mv "$ROOT/usr/bin/vigil-agent" "$ROOT/usr/bin/vigil-agent.away"
if verify vigil-agent.service; then fail "verify accepts the agent's unit without its binary"; fi
grep -q 'vigil-agent.*not executable' "$WORK/verify.log" || { cat "$WORK/verify.log"; fail "unexpected verify error"; }
if verify vigil-agent@lo.service; then fail "verify accepts vigil-agent@lo without its binary"; fi
mv "$ROOT/usr/bin/vigil-agent.away" "$ROOT/usr/bin/vigil-agent"

# prop UNIT KEY: the value systemd would run the unit with.
prop() {
  sed -n "s/^$2=//p" "$ROOT/lib/systemd/system/$1"
}
A=vigil-agent.service I=vigil-agent@.service C=vigil-collector.service
for unit in $A $I $C; do
  [ "$(prop $unit User)" = vigil ] || fail "$unit: not User=vigil"
  for kv in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes Restart=on-failure; do
    [ "$(prop $unit "${kv%%=*}")" = "${kv#*=}" ] || fail "$unit: not $kv"
  done
  [ -n "$(prop $unit MemoryMax)" ] || fail "$unit: no MemoryMax default"
  [ -n "$(prop $unit CPUQuota)" ] || fail "$unit: no CPUQuota default"
done
for unit in $A $I; do
  [ "$(prop $unit AmbientCapabilities)" = "CAP_NET_RAW CAP_NET_ADMIN" ] || fail "$unit: ambient capabilities"
  [ "$(prop $unit CapabilityBoundingSet)" = "CAP_NET_RAW CAP_NET_ADMIN" ] || fail "$unit: bounding set"
done
[ "$(prop $C CapabilityBoundingSet)" = "" ] && grep -qx 'CapabilityBoundingSet=' "$ROOT/lib/systemd/system/$C" ||
  fail "collector: capabilities not emptied"
[ "$(prop $A StateDirectory)" = vigil/agent ] || fail "agent: StateDirectory"
[ "$(prop $A LogsDirectory)" = vigil ] || fail "agent: LogsDirectory"
[ "$(prop $C StateDirectory)" = vigil/collector ] || fail "collector: StateDirectory"
[ "$(prop $I StateDirectory)" = "vigil/agent-%i" ] || fail "agent@: StateDirectory"
[ "$(prop $I LogsDirectory)" = "vigil/%i" ] || fail "agent@: LogsDirectory"
[ "$(prop $I ExecStart)" = '/usr/bin/vigil-agent -i %i -c /etc/vigil/agent.yaml --state-dir /var/lib/vigil/agent-%i -l /var/log/vigil/%i $VIGIL_AGENT_OPTS' ] ||
  fail "agent@: ExecStart"
# ExecStart: the packaged binaries with the packaged configurations and
# directories (the same paths the maintainer scripts create).
prop $A ExecStart | grep -q -- '^/usr/bin/vigil-agent -i ${VIGIL_INTERFACE} -c /etc/vigil/agent.yaml --state-dir /var/lib/vigil/agent' ||
  fail "agent: ExecStart"
[ "$(prop $C ExecStart)" = "/usr/bin/vigil-collector serve -c /etc/vigil/collector.yaml" ] || fail "collector: ExecStart"
grep -qx 'data_dir: /var/lib/vigil/collector' "$ROOT/etc/vigil/collector.yaml" || fail "collector.yaml: data_dir"

for unit in $A vigil-agent@lo.service $C; do
  systemd-analyze security --offline=yes --root="$ROOT" "$unit" >"$WORK/security.log" 2>&1 || true
  score=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' "$WORK/security.log")
  [ -n "$score" ] || { cat "$WORK/security.log"; fail "$unit: no exposure level from systemd-analyze security"; }
  echo "$unit: exposure $score (systemd-analyze security; 0 = locked down, 10 = none)"
  awk -v s="$score" 'BEGIN {exit !(s <= 4.5)}' || { cat "$WORK/security.log"; fail "$unit: exposure $score above 4.5"; }
done
echo "PASS: units verified, hardened as documented"
