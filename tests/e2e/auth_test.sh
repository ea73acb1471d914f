#!/usr/bin/env bash
# Refusals: no credentials, an unknown agent and a revoked agent get 401/403
# and nothing is stored; expired and used-up tokens cannot enrol; the read API
# needs an API key.
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
start_collector
ADMIN_KEY=$("$COLLECTOR" apikey create --role admin --data-dir "$DATA" | tail -1)
VIEWER_KEY=$("$COLLECTOR" apikey create --role viewer --data-dir "$DATA" | tail -1)
enroll "$WORK/agent" || fail "enrolment"
AGENT_ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["agent_id"])' "$WORK/agent/agent.json")
KEY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"])' "$WORK/agent/agent.json")
[ "$(stat -c %a "$WORK/agent/agent.json")" = 600 ] || fail "agent.json is not mode 0600"

batch() {
  printf '{"agent_id":"%s","batch_seq":%s,"events":[{"uid":"%064d","eve":{"event_type":"alert","timestamp":"2026-01-01T00:00:00.000000+0000","alert":{"signature_id":1}}}]}' "$1" "$2" "$2" >"$WORK/batch.json"
}
batch "$AGENT_ID" 1
api POST /api/v1/events "" "$WORK/batch.json"
[ "$STATUS" = 401 ] || fail "no credentials: $STATUS"
api POST /api/v1/events "ag-0123456789abcdef.$KEY" "$WORK/batch.json"
[ "$STATUS" = 401 ] || fail "unknown agent: $STATUS"
api POST /api/v1/events "$AGENT_ID.0000$KEY" "$WORK/batch.json"
[ "$STATUS" = 401 ] || fail "wrong key: $STATUS"
api POST /api/v1/events "$ADMIN_KEY" "$WORK/batch.json"
[ "$STATUS" = 401 ] || fail "API key as agent: $STATUS"
api POST /api/v1/events "$AGENT_ID.$KEY" "$WORK/batch.json"
[ "$STATUS" = 200 ] || fail "valid agent refused: $STATUS $BODY"
"$COLLECTOR" agent revoke "$AGENT_ID" --data-dir "$DATA" >/dev/null || fail "revoke"
batch "$AGENT_ID" 2
api POST /api/v1/events "$AGENT_ID.$KEY" "$WORK/batch.json"
[ "$STATUS" = 403 ] || fail "revoked agent: $STATUS"
echo '{}' >"$WORK/hb.json"
api POST /api/v1/heartbeat "$AGENT_ID.$KEY" "$WORK/hb.json"
[ "$STATUS" = 403 ] || fail "revoked agent heartbeat: $STATUS"
api GET /api/v1/ruleset "$AGENT_ID.$KEY"
[ "$STATUS" = 403 ] || fail "revoked agent rule set: $STATUS"
[ "$(sqlite3 "$DATA/collector.db" "SELECT COUNT(*) FROM alerts")" = 1 ] || fail "a refused batch was stored"
"$COLLECTOR" agent list --data-dir "$DATA" | grep -q "$AGENT_ID.*revoked" || fail "agent list does not show revoked"

# Tokens: used up, expired, unknown.
T=$(new_token --uses 1)
"$AGENT" enroll --collector "$URL" --token "$T" --ca-file "$DATA/ca.pem" --state-dir "$WORK/a2" >/dev/null ||
  fail "fresh token refused"
"$AGENT" enroll --collector "$URL" --token "$T" --ca-file "$DATA/ca.pem" --state-dir "$WORK/a3" 2>/dev/null &&
  fail "used-up token accepted"
T=$(new_token --ttl 1s)
sleep 2
"$AGENT" enroll --collector "$URL" --token "$T" --ca-file "$DATA/ca.pem" --state-dir "$WORK/a4" 2>/dev/null &&
  fail "expired token accepted"
"$AGENT" enroll --collector "$URL" --token vt_nope --ca-file "$DATA/ca.pem" --state-dir "$WORK/a5" 2>/dev/null &&
  fail "unknown token accepted"
# Enrolment with a pinned certificate fingerprint, and with a wrong one.
PIN=$(openssl x509 -in "$DATA/server.pem" -noout -fingerprint -sha256 | cut -d= -f2)
"$AGENT" enroll --collector "$URL" --token "$(new_token)" --pin "$PIN" --state-dir "$WORK/a6" >/dev/null ||
  fail "pinned enrolment refused"
"$AGENT" enroll --collector "$URL" --token "$(new_token)" --pin "$(printf 'ab%.0s' $(seq 32))" \
  --state-dir "$WORK/a7" 2>/dev/null && fail "wrong pin accepted"

# Read API: key required; viewer may read, not publish rules.
api GET /api/v1/alerts ""
[ "$STATUS" = 401 ] || fail "alerts without key: $STATUS"
api GET /api/v1/alerts "$AGENT_ID.$KEY"
[ "$STATUS" = 401 ] || fail "alerts with agent credentials: $STATUS"
api GET /api/v1/agents "$VIEWER_KEY"
[ "$STATUS" = 200 ] || fail "agents with viewer key: $STATUS"
echo 'alert ip any any -> any any (msg:"x"; sid:5;)' >"$WORK/r.rules"
api PUT /api/v1/ruleset "$VIEWER_KEY" "$WORK/r.rules"
[ "$STATUS" = 403 ] || fail "viewer published rules: $STATUS"
echo "PASS"
