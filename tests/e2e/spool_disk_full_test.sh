#!/usr/bin/env bash
# The agent's state directory is a small tmpfs that its spool fills while the
# collector is down. The agent must not crash; what it could not store is
# counted in spool.write_errors and logged, so that every alert is either in
# the spool or counted; what it committed survives and arrives once the
# collector is back, and after the delivered batches are deleted the spool
# takes new alerts again. Needs root (mount); skipped otherwise.
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 missing"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "needs root to mount a tmpfs"; exit 77; }
STATE="$WORK/state"
mkdir -p "$STATE"
mount -t tmpfs -o size=4m,mode=0700 vigil-e2e-full "$STATE" 2>/dev/null || { echo "cannot mount a tmpfs here"; exit 77; }
trap 'umount "$STATE" 2>/dev/null || umount -l "$STATE"; cleanup' EXIT
K=6000 K2=500
python3 "$E2E/make_pcap.py" "$WORK/p1.pcap" $K VIGILTEST1 1000
python3 "$E2E/make_pcap.py" "$WORK/p2.pcap" $K2 VIGILTEST2 20000
python3 "$E2E/make_pcap.py" "$WORK/p0.pcap" 0
start_collector
ADMIN_KEY=$("$COLLECTOR" apikey create --role admin --data-dir "$DATA" | tail -1)
enroll "$STATE/agent" || fail "enrolment"
kill9_collector

# run N DRAIN: the agent over pN.pcap
run() {
  "$AGENT" -k none -r "$WORK/p$1.pcap" -S "$RULES" -l "$WORK/log$1" --state-dir "$STATE/agent" \
    --drain-timeout "$2" >"$WORK/agent$1.log" 2>&1
  rc=$?
  [ $rc = 0 ] || fail "run $1 exited with $rc: $(tail -5 "$WORK/agent$1.log")"
}
counter() { sed -n "s/.* $2 \([0-9]*\)\$/\1/p" "$WORK/agent$1.log" | tail -1; }

# About 1 KiB per alert: K alerts do not fit in 4 MiB.
run 1 1
df -k "$STATE" | tail -1
errors=$(counter 1 spool.write_errors) depth=$(counter 1 spool.depth) written=$(counter 1 spool.written)
echo "disk full: $written alerts written, $depth spooled, $errors not stored"
[ "${errors:-0}" -gt 0 ] || fail "the disk did not fill, or nothing was counted"
grep -m1 "not stored since the last report" "$WORK/agent1.log" || fail "no write failure logged"
[ $((depth + errors)) = $K ] || fail "spooled $depth + counted $errors != $K alerts: some lost silently"
spooled=$(sqlite3 "$STATE/agent/spool.db" "SELECT COUNT(*) FROM events") || fail "spool unreadable after the disk filled"
[ "$spooled" = "$depth" ] || fail "spool holds $spooled events, the agent reported $depth"

# The collector is back: what was committed arrives, and the space it took is reused.
start_collector
run 0 60
[ "$(counter 0 spool.depth)" = 0 ] || fail "run 0 left $(counter 0 spool.depth) spooled"
[ "$(alert_total)" = "$depth" ] || fail "collector has $(alert_total) alerts, expected $depth"
run 2 60
[ "$(counter 2 spool.write_errors)" = 0 ] || fail "the spool did not recover: $(counter 2 spool.write_errors) write errors"
[ "$(alert_total)" = $((depth + K2)) ] || fail "collector has $(alert_total) alerts, expected $((depth + K2))"
[ "$(distinct_stored)" = $((depth + K2)) ] || fail "alerts missing or duplicated"
echo "PASS: $errors alerts counted as not stored, $depth kept and delivered, $K2 more after recovery"
