#!/usr/bin/env bash
# The collector is down while the agent produces more alerts than its spool
# holds: the oldest are dropped and counted (agent stats and heartbeat), and
# everything not dropped arrives once the collector is back.
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
K=2000
python3 "$E2E/make_pcap.py" "$WORK/k.pcap" $K
python3 "$E2E/make_pcap.py" "$WORK/empty.pcap" 0
start_collector
ADMIN_KEY=$("$COLLECTOR" apikey create --role admin --data-dir "$DATA" | tail -1)
enroll "$WORK/agent" || fail "enrolment"
kill9_collector

# About 1 KiB per alert: a 400 KiB spool holds a fraction of K.
"$AGENT" -k none -r "$WORK/k.pcap" -S "$RULES" -l "$WORK/log1" --state-dir "$WORK/agent" --drain-timeout 1 \
  --set uplink.spool-max-bytes=409600 >"$WORK/agent1.log" 2>&1 || fail "first run exited with $?"
dropped=$(sed -n 's/.*spool\.dropped \([0-9]*\).*/\1/p' "$WORK/agent1.log" | tail -1)
depth=$(sed -n 's/.*spool\.depth \([0-9]*\).*/\1/p' "$WORK/agent1.log" | tail -1)
echo "collector down: $depth alerts spooled, $dropped dropped"
[ -n "$dropped" ] && [ "$dropped" -gt 0 ] || fail "no drop counted"
[ $((dropped + depth)) = $K ] || fail "dropped $dropped + spooled $depth != $K"

start_collector
"$AGENT" -k none -r "$WORK/empty.pcap" -S "$RULES" -l "$WORK/log2" --state-dir "$WORK/agent" --drain-timeout 60 \
  --set uplink.spool-max-bytes=409600 --set uplink.heartbeat-interval=1 >"$WORK/agent2.log" 2>&1 ||
  fail "second run exited with $?"
total=$(alert_total)
[ "$total" = "$depth" ] || fail "collector has $total alerts, expected $depth"
[ "$(distinct_stored)" = "$depth" ] || fail "duplicates stored"
# The newest alerts survived, the oldest were dropped.
last=$(printf 'VIGILTEST-%06d' $((K - 1)) | base64)
first=$(printf 'VIGILTEST-%06d' 0 | base64)
[ "$(sqlite3 "$DATA/collector.db" "SELECT COUNT(*) FROM alerts WHERE json_extract(json,'\$.payload')='$last'")" = 1 ] ||
  fail "newest alert missing"
[ "$(sqlite3 "$DATA/collector.db" "SELECT COUNT(*) FROM alerts WHERE json_extract(json,'\$.payload')='$first'")" = 0 ] ||
  fail "oldest alert should have been dropped"
api GET /api/v1/agents "$ADMIN_KEY"
hb_dropped=$(printf '%s' "$BODY" | json_get '["agents"][0]["heartbeat"]["spool"]["dropped"]')
[ "$hb_dropped" = "$dropped" ] || fail "heartbeat reports $hb_dropped dropped, agent counted $dropped"
echo "PASS: $total delivered, $dropped dropped and reported"
