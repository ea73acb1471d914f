#!/usr/bin/env bash
# People against a real collector over HTTPS on 127.0.0.1 (tests/e2e/roles.py
# does the requests): users made with the CLI (password on standard input,
# short ones refused), login per role, 401 without a session, 403 on a
# missing or wrong CSRF token, the rule set and the users API by role, a
# disabled user's open session refused at once, a role change effective at
# once, user tokens, the lock-out per user and per address, unknown names
# costing the time of known ones, and the audit log (authors, peers, no
# write route).
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
cat >"$WORK/collector.yaml" <<YAML
login:
  delay_after: 2
  lockout_after: 4
  lockout: 60s
YAML
add_user() { printf '%s\n' "$3" | "$COLLECTOR" user add "$1" --role "$2" --data-dir "$DATA" >/dev/null || fail "user add $1"; }
printf 'too-short\n' | "$COLLECTOR" user add weak --role viewer --data-dir "$DATA" 2>/dev/null &&
  fail "a short password was accepted"
add_user admin1 admin admin-password-1
add_user ana analyst analyst-password-1
add_user vic viewer viewer-password-1
add_user victim viewer victim-password-1
printf 'whatever-password\n' | "$COLLECTOR" user add ana --role viewer --data-dir "$DATA" 2>/dev/null &&
  fail "a user was added twice"
"$COLLECTOR" user list --data-dir "$DATA" | grep -q "^ana  *analyst  *active" || fail "user list"
start_collector -c "$WORK/collector.yaml"
timeout 300 python3 "$E2E/roles.py" "$PORT" "$DATA/ca.pem" "$COLLECTOR" "$DATA" || fail "roles.py"
"$COLLECTOR" user list --data-dir "$DATA" | grep -q "^ana  *analyst  *disabled" || fail "user list: ana not disabled"
echo "PASS"
