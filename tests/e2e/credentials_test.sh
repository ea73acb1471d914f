#!/usr/bin/env bash
# Credentials that can be withdrawn, against a running collector: a revoked
# API key gets 401 on its next request, a key past its --ttl gets 401, a
# revoked enrolment token cannot enrol, and `apikey list` / `token list` show
# what was revoked. Also a rule-set upload naming a file outside the
# rule-file directory is refused with its line and writes nothing.
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
start_collector
key_of() { tail -1; }
id_of() { head -1 | grep -o 'API key [0-9a-f]*' | cut -d' ' -f3; }

OUT=$("$COLLECTOR" apikey create --role admin --data-dir "$DATA") || fail "apikey create"
ADMIN_KEY=$(printf '%s\n' "$OUT" | key_of)
OUT=$("$COLLECTOR" apikey create --role viewer --data-dir "$DATA") || fail "apikey create"
VIEWER_KEY=$(printf '%s\n' "$OUT" | key_of)
VIEWER_ID=$(printf '%s\n' "$OUT" | id_of)
[ ${#VIEWER_ID} = 12 ] || fail "apikey create did not print an id: $OUT"
"$COLLECTOR" apikey create --role viewer --ttl 5x --data-dir "$DATA" >/dev/null 2>&1 && fail "bad --ttl accepted"

# Revocation takes effect on the very next request (same server, no restart).
api GET /api/v1/agents "$VIEWER_KEY"
[ "$STATUS" = 200 ] || fail "viewer key before revocation: $STATUS"
"$COLLECTOR" apikey revoke "$VIEWER_ID" --data-dir "$DATA" >/dev/null || fail "apikey revoke"
api GET /api/v1/agents "$VIEWER_KEY"
[ "$STATUS" = 401 ] || fail "revoked API key: $STATUS"
api GET /api/v1/agents "$ADMIN_KEY"
[ "$STATUS" = 200 ] || fail "another key refused after a revocation: $STATUS"
"$COLLECTOR" apikey revoke 000000000000 --data-dir "$DATA" >/dev/null 2>&1 && fail "revoke of an unknown id succeeded"
LIST=$("$COLLECTOR" apikey list --data-dir "$DATA") || fail "apikey list"
printf '%s\n' "$LIST" | grep -q "^$VIEWER_ID .*viewer.*revoked$" || fail "apikey list does not show the revoked key: $LIST"
printf '%s\n' "$LIST" | grep -q "admin .*never .*active$" || fail "apikey list: admin key not active/never: $LIST"
printf '%s\n' "$LIST" | grep -q "admin .*[0-9]Z *active$" || fail "apikey list: admin key has no last use: $LIST"

# Expiry: the key works, then its --ttl passes. Made right before its first
# use, with room for a slow (sanitizer) build on a loaded machine: 8 s from
# an early creation was once used up before the first request.
SHORT_AT=$(date +%s)
OUT=$("$COLLECTOR" apikey create --role viewer --ttl 15s --data-dir "$DATA") || fail "apikey create --ttl"
SHORT_KEY=$(printf '%s\n' "$OUT" | key_of)
api GET /api/v1/agents "$SHORT_KEY"
[ "$STATUS" = 200 ] || fail "fresh --ttl key: $STATUS"
while [ "$(date +%s)" -le $((SHORT_AT + 16)) ]; do sleep 0.5; done
api GET /api/v1/agents "$SHORT_KEY"
[ "$STATUS" = 401 ] || fail "expired API key: $STATUS"
"$COLLECTOR" apikey list --data-dir "$DATA" | grep -q "expired$" || fail "apikey list does not show the expired key"

# Tokens: a revoked one cannot enrol; the other still can.
OUT=$("$COLLECTOR" token create --uses 5 --data-dir "$DATA") || fail "token create"
T1=$(printf '%s\n' "$OUT" | tail -1)
T1_ID=$(printf '%s\n' "$OUT" | head -1 | cut -d' ' -f2)
T2=$(new_token)
"$COLLECTOR" token revoke "$T1_ID" --data-dir "$DATA" >/dev/null || fail "token revoke"
printf '{"token":"%s","hostname":"h"}' "$T1" >"$WORK/enroll.json"
api POST /api/v1/enroll "" "$WORK/enroll.json"
[ "$STATUS" = 401 ] || [ "$STATUS" = 403 ] || fail "revoked token enrolled: $STATUS $BODY"
"$AGENT" enroll --collector "$URL" --token "$T1" --ca-file "$DATA/ca.pem" --state-dir "$WORK/a1" 2>/dev/null &&
  fail "agent enrolled with a revoked token"
"$AGENT" enroll --collector "$URL" --token "$T2" --ca-file "$DATA/ca.pem" --state-dir "$WORK/a2" >/dev/null ||
  fail "a token that was not revoked was refused"
"$COLLECTOR" token list --data-dir "$DATA" | grep -q "^$T1_ID .*(revoked)" || fail "token list does not show revoked"
[ "$(sqlite3 "$DATA/collector.db" "SELECT COUNT(*) FROM agents")" = 1 ] || fail "agents other than a2 enrolled"

# A rule set naming files outside DATA_DIR/rulefiles is refused with its lines; nothing is written.
cat >"$WORK/evil.rules" <<RULES
alert udp any any -> any any (msg:"fine"; content:"x"; sid:1;)
alert udp any any -> any any (msg:"w"; dataset:set,w,type string,save $WORK/escaped.lst; sid:2;)
alert udp any any -> any any (msg:"z"; dataset:isset,z,type string,load /dev/zero; sid:3;)
RULES
api PUT /api/v1/ruleset "$ADMIN_KEY" "$WORK/evil.rules"
[ "$STATUS" = 422 ] || fail "rule set naming outside files: $STATUS $BODY"
printf '%s' "$BODY" | grep -q "rules:2: sid 2: dataset: file '$WORK/escaped.lst': absolute paths are refused" ||
  fail "line 2 not reported: $BODY"
printf '%s' "$BODY" | grep -q "rules:3: sid 3: dataset: file '/dev/zero': absolute paths are refused" ||
  fail "line 3 not reported: $BODY"
[ -e "$WORK/escaped.lst" ] && fail "a rule wrote outside the rule-file directory"
[ "$(sqlite3 "$DATA/collector.db" "SELECT COUNT(*) FROM rulesets")" = 0 ] || fail "refused rule set stored"
"$COLLECTOR" ruleset upload "$WORK/evil.rules" --data-dir "$DATA" 2>"$WORK/upload.err" && fail "CLI upload accepted"
grep -q "rules:2: sid 2: dataset: file" "$WORK/upload.err" || fail "CLI upload does not name the line"
echo "PASS"
