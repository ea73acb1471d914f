#!/usr/bin/env bash
# Batch numbers reused after a lost spool: the agent ships alerts, its spool
# file is deleted, and it ships new, different alerts whose batches are
# numbered from 1 again (the collector is down, so the agent cannot learn the
# collector's highest number first). The collector answers 409 with its
# highest number; the agent renumbers above it and resends. Then the spool is
# lost once more with the collector up (the heartbeat reply moves the
# numbering on), and an agent with a tiny batch byte cap ships more.
# Every alert ends up stored exactly once.
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
KA=300 KB=250 KC=200 KD=150
python3 "$E2E/make_pcap.py" "$WORK/a.pcap" $KA VIGILTEST-A 1767225600
python3 "$E2E/make_pcap.py" "$WORK/b.pcap" $KB VIGILTEST-B 1767229200
python3 "$E2E/make_pcap.py" "$WORK/c.pcap" $KC VIGILTEST-C 1767232800
python3 "$E2E/make_pcap.py" "$WORK/d.pcap" $KD VIGILTEST-D 1767236400
python3 "$E2E/make_pcap.py" "$WORK/empty.pcap" 0
start_collector
ADMIN_KEY=$("$COLLECTOR" apikey create --role admin --data-dir "$DATA" | tail -1)
enroll "$WORK/agent" || fail "enrolment"
ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["agent_id"])' "$WORK/agent/agent.json")

run_agent() {  # PCAP LOG [--set ...]
  local pcap=$1 log=$2
  shift 2
  "$AGENT" -k none -r "$pcap" -S "$RULES" -l "$WORK/$log.d" --state-dir "$WORK/agent" \
    --set uplink.heartbeat-interval=1 --set uplink.batch-max-events=100 "$@" >"$WORK/$log" 2>&1
}
lose_spool() { rm -f "$WORK/agent/spool.db" "$WORK/agent/spool.db-wal" "$WORK/agent/spool.db-shm"; }
counter() { sed -n "s/.* $1 \([0-9]*\)\$/\1/p" "$WORK/$2" | tail -1; }
highest() { sqlite3 "$DATA/collector.db" "SELECT MAX(batch_seq) FROM batches WHERE agent_id='$ID'"; }

run_agent "$WORK/a.pcap" a.log --drain-timeout 60 || fail "run A exited with $?"
[ "$(alert_total)" = $KA ] || fail "after A: $(alert_total) alerts, expected $KA"
high_a=$(highest)
echo "A: $KA alerts in batches up to $high_a"

# The spool is lost while the collector is down: B's batches are numbered 1, 2, ...
lose_spool
kill9_collector
run_agent "$WORK/b.pcap" b.log --drain-timeout 1 || fail "run B exited with $?"
first=$(sqlite3 "$WORK/agent/spool.db" "SELECT MIN(batch_seq) FROM events")
[ "$first" = 1 ] || fail "B's first batch is numbered '$first', expected 1 (a reused number)"

start_collector
run_agent "$WORK/empty.pcap" b2.log --drain-timeout 60 || fail "run B2 exited with $?"
grep -q "spool.depth 0" "$WORK/b2.log" || fail "B's alerts were not all delivered"
conflicts=$(counter uplink.conflicts b2.log)
[ "${conflicts:-0}" -ge 1 ] || fail "no 409 conflict counted (uplink.conflicts '$conflicts')"
grep -q "renumbered" "$WORK/b2.log" || fail "no renumbering logged"
grep -q "reused with other events" "$WORK/collector.log" || fail "collector did not log the reuse"
[ "$(alert_total)" = $((KA + KB)) ] || fail "after B: $(alert_total) alerts, expected $((KA + KB))"
high_b=$(highest)
[ "$high_b" -gt "$high_a" ] || fail "B's batches not numbered above A's ($high_b <= $high_a)"
echo "B: 409 answered $conflicts time(s), renumbered above $high_a, now up to $high_b"

# Lost again, collector up: the first heartbeat's reply numbers C above B.
lose_spool
run_agent "$WORK/c.pcap" c.log --drain-timeout 60 || fail "run C exited with $?"
[ "$(alert_total)" = $((KA + KB + KC)) ] || fail "after C: $(alert_total) alerts"
[ "$(highest)" -gt "$high_b" ] || fail "C not numbered above B"
echo "C: conflicts $(counter uplink.conflicts c.log), batches now up to $(highest)"

# A batch byte cap of 2 KiB (about one alert): everything still arrives.
run_agent "$WORK/d.pcap" d.log --drain-timeout 60 --set uplink.batch-max-bytes=2048 || fail "run D exited with $?"
grep -q "spool.depth 0" "$WORK/d.log" || fail "D did not drain"
acked=$(counter uplink.batches_acked d.log)
[ "${acked:-0}" -ge $((KD / 3)) ] || fail "D used $acked batches for $KD alerts: the cap did not apply"

total=$(alert_total)
[ "$total" = $((KA + KB + KC + KD)) ] || fail "collector has $total alerts, expected $((KA + KB + KC + KD))"
[ "$(distinct_stored)" = "$total" ] || fail "duplicates stored"
echo "PASS: $total alerts stored exactly once ($KD in $acked batches under a 2 KiB cap)"
