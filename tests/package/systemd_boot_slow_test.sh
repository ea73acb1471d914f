#!/usr/bin/env bash
# The packages under a running systemd. A fresh Debian 12 root (the minbase
# of deb_install_slow_test.sh plus systemd) with both packages installed by
# apt boots with systemd-nspawn on a private network (its own loopback only),
# and an IT officer's steps from README.md ("Install from packages") are
# followed in it:
#  - the collector's unit was enabled by the package and is running after
#    boot; the agent's unit is enabled but held back by its condition until
#    the host is enrolled;
#  - token (as vigil), rule set upload, enrol (as vigil), `systemctl enable
#    --now vigil-agent` on lo;
#  - the agent then runs under its unit's hardening as vigil with exactly
#    CAP_NET_RAW and CAP_NET_ADMIN (effective and ambient) and no_new_privs,
#    captures on lo, writes /var/log/vigil/eve.json 0600, alerts on a probe
#    sent inside the container, and the collector stores that alert (read back
#    through its API with a viewer key); `vigil-agent status` and
#    `vigil-collector agent list` show the agent healthy and online;
#  - `systemctl stop` ends both with success.
# Needs root, debootstrap, systemd-nspawn (Debian systemd-container) and the
# network to the mirror; skipped when the container cannot boot here.
# $1 = build dir, $2 = source dir.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
. "$SRC/tests/package/lib.sh"
need_packaging_tools debootstrap chroot systemd-nspawn nsenter
[ "$(id -u)" = 0 ] || { echo "skip: needs root (debootstrap, systemd-nspawn)"; exit 77; }

start=$(date +%s)
WORK="$BUILD/package-test/systemd"
R="$WORK/root"
NSPAWN_PID=
cleanup() {
  if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
    kill -TERM "$NSPAWN_PID" 2>/dev/null || true # nspawn asks the container's systemd to power off
    for _ in $(seq 1 30); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$NSPAWN_PID" 2>/dev/null || true
  fi
  if grep -q " $R/" /proc/mounts; then
    grep " $R/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l
  fi
  rm -rf "$R"
}
trap cleanup EXIT
trap "exit 1" INT TERM

fresh_minbase_root "$R" "$WORK"
in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
build_debs "$WORK/debs"
mkdir -p "$R/tmp/debs"
cp "$WORK/debs"/*.deb "$R/tmp/debs/"
debs=()
for d in "$R"/tmp/debs/*.deb; do debs+=("/tmp/debs/${d##*/}"); done
{
  in_root apt-get update -qq &&
    # systemd as init, dbus for logind, curl to read the collector's API.
    in_root apt-get install -y -q --no-install-recommends systemd systemd-sysv dbus curl ca-certificates \
      "${debs[@]}"
} >"$WORK/apt.log" 2>&1 || { tail -40 "$WORK/apt.log"; fail "apt-get install in the root"; }
rm -rf "$R/tmp/debs"
echo vigilbox >"$R/etc/hostname"
# The interface, as README.md has the officer set it.
sed -i 's/^VIGIL_INTERFACE=.*/VIGIL_INTERFACE=lo/' "$R/etc/default/vigil-agent"
echo "root with systemd and the packages after $(($(date +%s) - start)) s"

systemd-nspawn --register=no --keep-unit --private-network --console=pipe -D "$R" -b \
  </dev/null >"$WORK/boot.log" 2>&1 &
NSPAWN_PID=$!
# The container's PID 1 is nspawn's child running systemd.
P=
for _ in $(seq 1 100); do
  P=$(pgrep -P "$NSPAWN_PID" -x systemd || true)
  [ -n "$P" ] && break
  kill -0 "$NSPAWN_PID" 2>/dev/null || break
  sleep 0.2
done
if [ -z "$P" ]; then
  tail -20 "$WORK/boot.log"
  echo "skip: systemd-nspawn could not boot a container here"
  exit 77
fi
# Run a command inside the container (all its namespaces, its root).
in_box() { nsenter -t "$P" -m -u -i -n -p -r -w /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
# systemctl needs systemd's private socket, which a just-started PID 1 on a
# busy machine may not have made yet ("Failed to connect to bus"): retry
# that, up to 90 s in all, then wait for the boot to finish.
boot_deadline=$(($(date +%s) + 90))
while :; do
  state=$(timeout 90 nsenter -t "$P" -m -u -i -n -p -r -w systemctl is-system-running --wait 2>&1 || true)
  case "$state" in
    *"Failed to connect"*) [ "$(date +%s)" -lt "$boot_deadline" ] && kill -0 "$NSPAWN_PID" 2>/dev/null || break ;;
    *) break ;;
  esac
  sleep 0.5
done
echo "container booted: $state, after $(($(date +%s) - start)) s"
case "$state" in
  running | degraded) ;;
  *)
    tail -30 "$WORK/boot.log"
    fail "systemd in the container did not finish booting: '$state'"
    ;;
esac
show() { in_box systemctl show -p "$2" --value "$1"; }

# The collector was started at boot by the unit the package enabled.
for _ in $(seq 1 50); do
  [ "$(show vigil-collector ActiveState)" = active ] && in_box sh -c 'exec 3<>/dev/tcp/127.0.0.1/8443' 2>/dev/null && break
  sleep 0.2
done
[ "$(show vigil-collector ActiveState)" = active ] ||
  { in_box journalctl -u vigil-collector --no-pager | tail -20; fail "vigil-collector not active after boot"; }
[ "$(show vigil-collector UnitFileState)" = enabled ] || fail "vigil-collector not enabled by the package"
# The agent's unit is enabled but waits for the enrolment.
[ "$(show vigil-agent UnitFileState)" = enabled ] || fail "vigil-agent not enabled by the package"
[ "$(show vigil-agent ConditionResult)" = no ] || fail "vigil-agent's condition passed before enrolment"
[ "$(show vigil-agent ActiveState)" = inactive ] || fail "vigil-agent started before enrolment"

# README.md's steps, as root in the container.
C="-c /etc/vigil/collector.yaml"
token=$(in_box runuser -u vigil -- vigil-collector token create $C --ttl 1h --uses 1 | tail -1)
[ -n "$token" ] || fail "no enrolment token"
printf 'alert tcp any any -> any any (msg:"vigil systemd probe"; flow:to_server; content:"VIGIL-SYSTEMD-PROBE"; sid:9100001; rev:1;)\n' |
  in_box tee /var/tmp/probe.rules >/dev/null
in_box runuser -u vigil -- vigil-collector ruleset upload $C /var/tmp/probe.rules || fail "ruleset upload"
in_box runuser -u vigil -- vigil-agent enroll --collector https://127.0.0.1:8443 --token "$token" \
  --ca-file /var/lib/vigil/collector/ca.pem --state-dir /var/lib/vigil/agent || fail "enrol"
in_box systemctl enable --now vigil-agent || { in_box journalctl -u vigil-agent --no-pager | tail; fail "start the agent"; }

status() { in_box runuser -u vigil -- vigil-agent status --state-dir /var/lib/vigil/agent 2>&1 || true; }
# Healthy: running, capturing on lo, the collector's rule set in use.
for _ in $(seq 1 100); do
  st=$(status)
  grep -q '^rules: 1 loaded, 0 failed, rule set ' <<<"$st" && grep -q '^capture: lo, ' <<<"$st" && break
  sleep 0.3
done
grep -q '^rules: 1 loaded, 0 failed, rule set ' <<<"$st" ||
  { echo "$st"; in_box journalctl -u vigil-agent --no-pager | tail -20; fail "the agent did not load the collector's rule set"; }
[ "$(show vigil-agent ActiveState)" = active ] || fail "vigil-agent not active"

# The process the unit runs: user vigil, exactly the capture capabilities.
pid=$(show vigil-agent MainPID)
uid=$(in_box id -u vigil)
caps=$(in_box grep -E '^(Uid|CapEff|CapAmb|CapPrm|NoNewPrivs):' "/proc/$pid/status")
echo "$caps"
# CAP_NET_ADMIN is bit 12, CAP_NET_RAW bit 13.
for k in CapEff CapAmb CapPrm; do
  grep -qE "^$k:\s+0000000000003000$" <<<"$caps" || fail "agent $k is not CAP_NET_RAW+CAP_NET_ADMIN"
done
grep -qE "^Uid:\s+$uid\s+$uid\s+$uid\s+$uid$" <<<"$caps" || fail "agent not running as vigil ($uid)"
grep -qE '^NoNewPrivs:\s+1$' <<<"$caps" || fail "agent without no_new_privs"
cpid=$(show vigil-collector MainPID)
in_box grep -qE '^CapEff:\s+0+$' "/proc/$cpid/status" || fail "collector has capabilities"

# A probe inside the container: the agent alerts, the collector stores it
# (read back through its API with a viewer key).
key=$(in_box runuser -u vigil -- vigil-collector apikey create $C --role viewer | tail -1)
in_box bash -c 'exec 3<>/dev/tcp/127.0.0.1/8443; printf "VIGIL-SYSTEMD-PROBE\r\n" >&3; sleep 0.5; exec 3>&-' || true
api=
for _ in $(seq 1 100); do
  api=$(in_box curl -sS --cacert /var/lib/vigil/collector/ca.pem -H "Authorization: Bearer $key" \
    'https://127.0.0.1:8443/api/v1/alerts?limit=10' || true)
  grep -q '"signature_id":9100001' <<<"$api" && break
  sleep 0.3
done
grep -q '"signature_id":9100001' <<<"$api" || { echo "$api" | head -c 600; fail "the collector's API has no probe alert"; }
# The status socket answers with the agent's last counter snapshot (taken
# every few seconds): wait for one that has the alert.
for _ in $(seq 1 100); do
  st=$(status)
  grep -q '^detect: 1 alerts' <<<"$st" && break
  sleep 0.3
done
echo "$st"
grep -q '^detect: 1 alerts' <<<"$st" || fail "the agent's status does not count the alert"
grep -qE '^uplink: agent ag-[0-9a-f]+, [1-9][0-9]* events acked in [1-9][0-9]* batches, 0 errors' <<<"$st" ||
  fail "uplink status"
grep -qE '^capture: lo, [1-9][0-9]* packets, [0-9]+ bytes, 0 kernel drops' <<<"$st" || fail "capture status"
[ "$(in_box stat -c '%U %a' /var/log/vigil/eve.json)" = "vigil 600" ] || fail "eve.json not vigil 0600"
# eve.json is written through a buffer flushed every second or so.
for _ in $(seq 1 50); do
  in_box grep -q '"signature_id":9100001' /var/log/vigil/eve.json && break
  sleep 0.2
done
in_box grep -q '"signature_id":9100001' /var/log/vigil/eve.json || fail "no alert in eve.json"
list=$(in_box runuser -u vigil -- vigil-collector agent list $C)
echo "$list"
grep -qE '^ag-[0-9a-f]+ +vigilbox +online ' <<<"$list" || fail "the agent is not online at the collector"

# A clean stop of both.
in_box systemctl stop vigil-agent vigil-collector
for u in vigil-agent vigil-collector; do
  [ "$(show $u Result)" = success ] || fail "$u stopped with $(show $u Result)"
  [ "$(show $u ActiveState)" = inactive ] || fail "$u still $(show $u ActiveState)"
done
in_box journalctl -u vigil-agent -u vigil-collector --no-pager -p err | grep -v -- '-- No entries --' |
  grep -q . && { in_box journalctl -u vigil-agent -u vigil-collector --no-pager -p err; fail "errors in the journal"; }
echo "PASS: packages under systemd after $(($(date +%s) - start)) s"
