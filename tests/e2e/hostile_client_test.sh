#!/usr/bin/env bash
# Hostile clients against a real collector on 127.0.0.1: each is answered
# with the right status while the collector's memory grows by less than
# 64 MB (tests/e2e/hostile.py): a gzip bomb with and without credentials, a
# 300 MiB chunked body without credentials, a body without a length, headers
# one byte a second, 350 idle connections beside an API request, connections
# past the per-address limit, Expect: 100-continue; and strict
# input: a 20-digit time filter, an oversized or non-object heartbeat (nothing
# stored), a non-string hostname at enrolment (the token stays usable).
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
export WORK
# Sanitizer build: memory is the instrumentation's; statuses are still checked (hostile.py).
if ldd "$COLLECTOR" 2>/dev/null | grep -q libasan; then export HOSTILE_LIMIT_MB=512; fi
printf 'server:\n  head_timeout: 2\n  max_connections_per_ip: 400\n' >"$WORK/collector.yaml"
start_collector -c "$WORK/collector.yaml"
ADMIN_KEY=$("$COLLECTOR" apikey create --role admin --data-dir "$DATA" | tail -1)
enroll "$WORK/agent" || fail "enrolment"
CRED=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["agent_id"]+"."+j["key"])' \
  "$WORK/agent/agent.json")
AGENT_ID=${CRED%%.*}
hostile() { python3 "$E2E/hostile.py" "$1" "$PORT" "$DATA/ca.pem" "$COLLECTOR_PID" "${@:2}" || fail "$1"; }

hostile bomb "" 401
hostile bomb "$CRED" 413
hostile chunked 401
hostile nolength "$CRED" 411
hostile slowhead 2
hostile idle "$ADMIN_KEY"
sleep 0.5  # the idle connections' closes reach the collector
hostile perip 450 400 "$ADMIN_KEY"
hostile expect "" 401
hostile expect "$CRED" 200

# Strict input.
hostile request GET "/api/v1/alerts?from=12345678901234567890" "$ADMIN_KEY" 400
hostile request GET "/api/v1/alerts?sid=99999999999" "$ADMIN_KEY" 400
hostile request GET "/api/v1/alerts?from=2026-01-02T00:00:00Z&limit=5" "$ADMIN_KEY" 200
hb_count() { sqlite3 "$DATA/collector.db" "SELECT COUNT(*) FROM heartbeats WHERE agent_id='$AGENT_ID'"; }
before=$(hb_count)
python3 -c 'import json; print(json.dumps({"hostname": "h", "pad": "x" * 70000}))' >"$WORK/big_hb.json"
hostile request POST /api/v1/heartbeat "$CRED" 413 "$WORK/big_hb.json"
echo '[1,2,3]' >"$WORK/arr_hb.json"
hostile request POST /api/v1/heartbeat "$CRED" 400 "$WORK/arr_hb.json"
[ "$(hb_count)" = "$before" ] || fail "a refused heartbeat was stored"
echo '{"hostname": "renamed-by-heartbeat", "packets": 1}' >"$WORK/hb.json"
hostile request POST /api/v1/heartbeat "$CRED" 200 "$WORK/hb.json"
[ "$(hb_count)" = "$((before + 1))" ] || fail "a good heartbeat was not stored"
[ "$(sqlite3 "$DATA/collector.db" "SELECT hostname FROM agents WHERE id='$AGENT_ID'")" != renamed-by-heartbeat ] ||
  fail "a heartbeat renamed the agent"

T=$(new_token --uses 1)
printf '{"token": "%s", "hostname": 42}' "$T" >"$WORK/enroll_bad.json"
hostile request POST /api/v1/enroll "" 400 "$WORK/enroll_bad.json"
printf '{"token": "%s", "hostname": "%s"}' "$T" "$(printf 'h%.0s' $(seq 300))" >"$WORK/enroll_long.json"
hostile request POST /api/v1/enroll "" 400 "$WORK/enroll_long.json"
printf '{"token": "%s", "hostname": "good-host"}' "$T" >"$WORK/enroll_ok.json"
hostile request POST /api/v1/enroll "" 200 "$WORK/enroll_ok.json"

# The refusals were counted, and the counters are admin-only.
api GET /api/v1/server/stats "$ADMIN_KEY"
[ "$STATUS" = 200 ] || fail "stats: $STATUS"
for k in inflate_too_large length_required timeouts_head body_too_large refused_per_ip_limit responses_1xx; do
  n=$(printf '%s' "$BODY" | json_get "[\"http.$k\"]")
  [ "$n" -ge 1 ] || fail "http.$k not counted: $BODY"
done
api GET /api/v1/server/stats "$CRED"
[ "$STATUS" = 401 ] || fail "stats with agent credentials: $STATUS"
kill -0 "$COLLECTOR_PID" || fail "collector died"
echo "PASS"
