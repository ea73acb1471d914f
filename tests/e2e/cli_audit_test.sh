#!/usr/bin/env bash
# Changes made with the collector's command line are audited like those made
# through the API: creating and revoking an enrolment token and an API key,
# revoking an agent, uploading a rule set and adding a user each leave one
# entry (actor "cli", peer "local", the operating-system user in the detail)
# that an admin reads with GET /api/v1/audit; read-only commands (list) add
# none. Run while the collector serves the same data directory.
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
start_collector
ADMIN_KEY=$("$COLLECTOR" apikey create --role admin --data-dir "$DATA" | tail -1)
enroll "$WORK/agent" || fail "enrolment"
AGENT_ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["agent_id"])' "$WORK/agent/agent.json")
cli() { "$COLLECTOR" "$@" --data-dir "$DATA" >"$WORK/cli.out" 2>"$WORK/cli.err" || fail "$*: $(cat "$WORK/cli.err")"; }

cli token create --ttl 1h --uses 1
TOKEN_ID=$(head -1 "$WORK/cli.out" | awk '{print $2}')
cli token revoke "$TOKEN_ID"
cli apikey create --role viewer
KEY_ID=$(head -1 "$WORK/cli.out" | awk '{print $4}' | tr -d ,)
cli apikey revoke "$KEY_ID"
cli agent revoke "$AGENT_ID"
printf 'alert udp any any -> any 53 (msg:"cli audit"; content:"x"; sid:9100001; rev:1;)\n' >"$WORK/cli.rules"
cli ruleset upload "$WORK/cli.rules"
printf 'officer-password-1\n' | "$COLLECTOR" user add officer --role analyst --data-dir "$DATA" >/dev/null ||
  fail "user add"
cli token list
cli apikey list
cli agent list

api GET "/api/v1/audit?limit=100" "$ADMIN_KEY"
[ "$STATUS" = 200 ] || fail "audit API answered $STATUS: $BODY"
printf '%s' "$BODY" >"$WORK/audit.json"
python3 - "$WORK/audit.json" "$TOKEN_ID" "$KEY_ID" "$AGENT_ID" "$(id -un)" <<'PY' || fail "audit entries"
import json, sys
body = json.load(open(sys.argv[1]))
token, key, agent, os_user = sys.argv[2:6]
rows = body["entries"]
cli = [r for r in rows if r["actor"] == "cli"]
got = sorted((r["action"], r["target"]) for r in cli)
version = [r["target"] for r in cli if r["action"] == "ruleset.upload"]
want = sorted([("enrollment_token.create", "token:" + token), ("enrollment_token.revoke", "token:" + token),
               ("apikey.create", "apikey:" + key), ("apikey.revoke", "apikey:" + key),
               ("agent.revoke", "agent:" + agent), ("user.add", "officer")] +
              [("ruleset.upload", v) for v in version])
assert len(version) == 1, "ruleset.upload entries: %r" % version
# The admin key and the agent's enrolment token, made by the CLI before the
# test's own changes, are there too.
extra = sorted(a for a, _ in got if (a, _) not in want)
assert extra == ["apikey.create", "enrollment_token.create"], "unexpected entries %r" % extra
assert all(g in got for g in want), "missing %r in %r" % ([w for w in want if w not in got], got)
for r in cli:
    assert r["peer"] == "local", r
    assert r["detail"]["os_user"] == os_user, r
print("cli_audit_test: %d entries by the command line" % len(cli))
PY
echo "PASS"
