#!/usr/bin/env bash
# The agent is killed with SIGKILL mid-stream and run again over the same
# capture on the same state directory: its spool resumes and the collector
# ends with exactly K alerts, no duplicates.
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
K=4000
python3 "$E2E/make_pcap.py" "$WORK/k.pcap" $K
start_collector
ADMIN_KEY=$("$COLLECTOR" apikey create --role admin --data-dir "$DATA" | tail -1)
enroll "$WORK/agent" || fail "enrolment"

"$AGENT" -k none -r "$WORK/k.pcap" -S "$RULES" -l "$WORK/log1" --state-dir "$WORK/agent" --drain-timeout 60 \
  >"$WORK/agent1.log" 2>&1 &
AGENT_PID=$!
PIDS+=("$AGENT_PID")
for _ in $(seq 1 200); do
  n=$(sqlite3 "$DATA/collector.db" "SELECT COUNT(*) FROM alerts" 2>/dev/null || echo 0)
  [ "${n:-0}" -gt 0 ] && break
  sleep 0.05
done
kill -9 "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
spooled=$(sqlite3 "$WORK/agent/spool.db" "SELECT COUNT(*) FROM events" 2>/dev/null || echo "?")
echo "agent killed with ${n:-0} of $K alerts at the collector, $spooled in its spool"

"$AGENT" -k none -r "$WORK/k.pcap" -S "$RULES" -l "$WORK/log2" --state-dir "$WORK/agent" --drain-timeout 60 \
  >"$WORK/agent2.log" 2>&1 || fail "second run exited with $?"
grep -q "spool.depth 0" "$WORK/agent2.log" || fail "agent did not drain its spool"
total=$(alert_total)
[ "$total" = $K ] || fail "collector has $total alerts, expected $K"
[ "$(distinct_stored)" = $K ] || fail "duplicates stored"
echo "PASS: $total alerts, no duplicates"
