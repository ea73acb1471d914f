#!/usr/bin/env bash
# The collector is killed with SIGKILL while an enrolled agent ships K alerts
# and comes back a few seconds later: it ends with exactly K alerts, no
# duplicates.
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
K=3000
python3 "$E2E/make_pcap.py" "$WORK/k.pcap" $K
start_collector
ADMIN_KEY=$("$COLLECTOR" apikey create --role admin --data-dir "$DATA" | tail -1)
enroll "$WORK/agent" || fail "enrolment"

"$AGENT" -k none -r "$WORK/k.pcap" -S "$RULES" -l "$WORK/log" --state-dir "$WORK/agent" --drain-timeout 120 \
  --set uplink.batch-max-events=100 >"$WORK/agent.log" 2>&1 &
AGENT_PID=$!
PIDS+=("$AGENT_PID")
# Kill the collector once some, but not all, alerts have arrived.
for _ in $(seq 1 200); do
  n=$(sqlite3 "$DATA/collector.db" "SELECT COUNT(*) FROM alerts" 2>/dev/null || echo 0)
  [ "${n:-0}" -gt 0 ] && break
  sleep 0.05
done
kill9_collector
echo "collector killed with ${n:-0} of $K alerts stored"
[ "${n:-0}" -lt $K ] || echo "warning: all alerts arrived before the kill"
sleep 3
start_collector
wait "$AGENT_PID" || fail "agent exited with $? ($(tail -5 "$WORK/agent.log"))"
grep -q "spool.depth 0" "$WORK/agent.log" || fail "agent did not drain its spool"
total=$(alert_total)
[ "$total" = $K ] || fail "collector has $total alerts, expected $K"
[ "$(distinct_stored)" = $K ] || fail "duplicates stored"
echo "PASS: $total alerts, no duplicates"
