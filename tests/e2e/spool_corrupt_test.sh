#!/usr/bin/env bash
# The agent's spool file is damaged while the agent is stopped: once with
# garbage over the whole file (not a database), once with pages overwritten
# inside a valid file. The agent must move the file aside (with its -wal/-shm)
# to spool.db.corrupt-<UTC time>, say so in its log, count it in
# spool.quarantined, start an empty spool and deliver what it sees next, with
# batch numbers the collector accepts (no refused batch).
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 missing"; exit 77; }
K=300
for i in 1 2 3 4 5; do python3 "$E2E/make_pcap.py" "$WORK/p$i.pcap" $K VIGILTEST$i $((i * 1000)); done
start_collector
ADMIN_KEY=$("$COLLECTOR" apikey create --role admin --data-dir "$DATA" | tail -1)
enroll "$WORK/agent" || fail "enrolment"
SPOOL="$WORK/agent/spool.db"

# run N DRAIN: the agent over pN.pcap
run() {
  "$AGENT" -k none -r "$WORK/p$1.pcap" -S "$RULES" -l "$WORK/log$1" --state-dir "$WORK/agent" --drain-timeout "$2" \
    >"$WORK/agent$1.log" 2>&1 || fail "run $1 exited with $?: $(tail -5 "$WORK/agent$1.log")"
}
# The quarantined databases (each may have its -wal and -shm beside it).
quarantined() { ls "$SPOOL".corrupt-* 2>/dev/null | grep -v -e '-wal$' -e '-shm$'; }
counter() { sed -n "s/.*$2 \([0-9]*\)\$/\1/p" "$WORK/agent$1.log" | tail -1; }

run 1 60
[ "$(alert_total)" = $K ] || fail "first run: collector has $(alert_total) alerts, expected $K"

# Round 1: K alerts spooled while the collector is down, then the file is garbage.
kill9_collector
run 2 1
[ "$(counter 2 spool.depth)" = $K ] || fail "run 2 did not spool its $K alerts"
[ ! -e "$SPOOL-wal" ] || echo "note: a WAL was left beside the spool"
head -c 200000 /dev/urandom >"$SPOOL"
start_collector
run 3 60
moved=$(quarantined)
[ "$(printf '%s\n' "$moved" | grep -c .)" = 1 ] || fail "expected one quarantined spool, found: $moved"
cmp -s "$moved" "$SPOOL" && fail "the damaged file is still in place"
grep -q "moved it aside to $moved" "$WORK/agent3.log" || fail "no log line names $moved: $(grep spool "$WORK/agent3.log")"
grep "moved it aside" "$WORK/agent3.log"
[ "$(counter 3 spool.quarantined)" = 1 ] || fail "spool.quarantined is '$(counter 3 spool.quarantined)', expected 1"
[ "$(counter 3 spool.depth)" = 0 ] || fail "run 3 left $(counter 3 spool.depth) alerts spooled"
[ "$(counter 3 uplink.rejected)" = 0 ] || fail "collector refused batches after the quarantine"
[ "$(sqlite3 "$SPOOL" 'PRAGMA quick_check')" = ok ] || fail "the new spool is not a sound database"
# The alerts of run 2 are in the quarantined file; those of run 3 arrived.
[ "$(alert_total)" = $((2 * K)) ] || fail "collector has $(alert_total) alerts, expected $((2 * K))"
[ "$(distinct_stored)" = $((2 * K)) ] || fail "alerts missing or duplicated"

# Round 2: a sound file with pages overwritten in the middle.
kill9_collector
run 4 1
[ "$(counter 4 spool.depth)" = $K ] || fail "run 4 did not spool its $K alerts"
pages=$(sqlite3 "$SPOOL" 'PRAGMA page_count')
[ "$pages" -gt 10 ] || fail "spool has only $pages pages"
head -c $((4 * 4096)) /dev/urandom | dd of="$SPOOL" bs=4096 seek=$((pages / 2)) conv=notrunc status=none
start_collector
run 5 60
n=$(quarantined | grep -c .)
[ "$n" = 2 ] || fail "expected two quarantined spools, found $n"
grep "moved it aside" "$WORK/agent5.log" || fail "no quarantine logged for damaged pages"
q=$(counter 5 spool.quarantined)
[ "${q:-0}" -ge 1 ] || fail "spool.quarantined is '$q' after damaged pages"
[ "$(counter 5 uplink.rejected)" = 0 ] || fail "collector refused batches after the second quarantine"
[ "$(alert_total)" = $((3 * K)) ] || fail "collector has $(alert_total) alerts, expected $((3 * K))"
[ "$(distinct_stored)" = $((3 * K)) ] || fail "alerts missing or duplicated"
echo "PASS: two damaged spools quarantined ($(quarantined | tr '\n' ' ')), new alerts delivered"
