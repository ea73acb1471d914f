#!/usr/bin/env bash
# A signature disabled through the API stops alerting on a running agent: the
# collector publishes a new rule-set version with that rule commented out,
# the agent (live capture on lo) picks it up at its next heartbeat and stops
# sending that sid while the other rule of the set keeps alerting; enabling
# it again brings its alerts back. Also: the enrolment token made by the API
# enrols the agent, and an agent revoked through the API is refused.
# Needs to capture on lo (root or CAP_NET_RAW): skipped otherwise.
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
start_collector
ADMIN_KEY=$("$COLLECTOR" apikey create --role admin --data-dir "$DATA" | tail -1)

# Enrol with a token from POST /api/v1/enrollment-tokens.
echo '{"ttl": "10m", "uses": 1}' >"$WORK/tok.json"
api POST /api/v1/enrollment-tokens "$ADMIN_KEY" "$WORK/tok.json"
[ "$STATUS" = 201 ] || fail "token create: $STATUS $BODY"
TOKEN=$(printf '%s' "$BODY" | json_get '["token"]')
PIN=$(printf '%s' "$BODY" | json_get '["pin"]')
"$AGENT" enroll --collector "$URL" --token "$TOKEN" --pin "$PIN" --state-dir "$WORK/agent" >/dev/null ||
  fail "enrolment with the API's token and pin"
TPORT=$(free_port)

udp_markers "$TPORT" 120 0.01 RULEA RULEB

"$AGENT" -i lo --bpf "udp port $TPORT" -l "$WORK/log" --state-dir "$WORK/agent" \
  --set uplink.heartbeat-interval=1 >"$WORK/agent.log" 2>&1 &
AGENT_PID=$!
PIDS+=("$AGENT_PID")
{
  printf 'alert udp any any -> any %s (msg:"rule A"; content:"RULEA"; sid:3000001; rev:1;)\n' "$TPORT"
  printf 'alert udp any any -> any %s (msg:"rule B"; content:"RULEB"; sid:3000002; rev:1;)\n' "$TPORT"
} >"$WORK/ab.rules"
python3 "$E2E/api.py" POST "$URL/api/v1/rulesets" "$DATA/ca.pem" "$ADMIN_KEY" "$WORK/ab.rules" >"$WORK/up.out"
[ "$(head -1 "$WORK/up.out")" = 201 ] || fail "upload: $(cat "$WORK/up.out")"

# wait_grows SID: the sid's stored count grows within 10 s (prints the count).
wait_grows() {
  local before now
  before=$(alert_total "&sid=$1")
  for _ in $(seq 1 100); do
    if ! kill -0 "$AGENT_PID" 2>/dev/null; then
      grep -qiE "permission|not permitted|socket: Operation" "$WORK/agent.log" && { echo "cannot capture on lo"; exit 77; }
      fail "agent exited: $(tail -5 "$WORK/agent.log")"
    fi
    now=$(alert_total "&sid=$1")
    [ "$now" -gt "$before" ] && { echo "$now"; return 0; }
    sleep 0.1
  done
  return 1
}
# wait_version V: the agent reports rule set V (heartbeat) within 10 s.
wait_version() {
  for _ in $(seq 1 100); do
    api GET /api/v1/agents "$ADMIN_KEY"
    [ "$(printf '%s' "$BODY" | json_get '["agents"][0]["ruleset_version"]')" = "$1" ] && return 0
    sleep 0.1
  done
  fail "agent never reported rule set $1"
}
wait_grows 3000001 >/dev/null || fail "rule A never alerted"
wait_grows 3000002 >/dev/null || fail "rule B never alerted"

echo '{"enabled": false, "reason": "noisy in this test"}' >"$WORK/off.json"
api PATCH /api/v1/rules/3000001 "$ADMIN_KEY" "$WORK/off.json"
[ "$STATUS" = 200 ] || fail "disable: $STATUS $BODY"
V2=$(printf '%s' "$BODY" | json_get '["version"]')
wait_version "$V2"
grep -q '^# alert udp .*sid:3000001;' "$WORK/agent/collector.rules" || fail "the agent's rule file lacks the commented rule"
sleep 1.5  # batches sent before the swap (batch age 0.5 s) arrive
a1=$(alert_total "&sid=3000001")
wait_grows 3000002 >/dev/null || fail "rule B stopped alerting after A was disabled"
sleep 2
wait_grows 3000002 >/dev/null || fail "rule B stopped alerting"
a2=$(alert_total "&sid=3000001")
[ "$a1" = "$a2" ] || fail "disabled rule A still alerting: $a1 then $a2"

echo '{"enabled": true}' >"$WORK/on.json"
api PATCH /api/v1/rules/3000001 "$ADMIN_KEY" "$WORK/on.json"
[ "$STATUS" = 200 ] || fail "enable: $STATUS $BODY"
wait_version "$(printf '%s' "$BODY" | json_get '["version"]')"
wait_grows 3000001 >/dev/null || fail "rule A did not come back after enabling"

# Revoked through the API: the agent's next heartbeat is refused.
api GET /api/v1/agents "$ADMIN_KEY"
AGENT_ID=$(printf '%s' "$BODY" | json_get '["agents"][0]["id"]')
api DELETE "/api/v1/agents/$AGENT_ID" "$ADMIN_KEY"
[ "$STATUS" = 200 ] || fail "revoke: $STATUS $BODY"
refused=""
for _ in $(seq 1 50); do
  grep -q "refused this agent (403).*agent revoked" "$WORK/agent.log" && { refused=1; break; }
  sleep 0.1
done
[ -n "$refused" ] || fail "the revoked agent's requests were not refused: $(tail -3 "$WORK/agent.log")"
echo "PASS: sid 3000001 disabled ($a1 alerts, none more while rule B kept alerting), enabled again, agent revoked"
