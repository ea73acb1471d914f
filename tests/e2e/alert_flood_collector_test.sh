#!/usr/bin/env bash
# The alert flood through a real collector: an enrolled agent reads the
# capture of tests/integration/alert_flood_test.sh with the rate limit set;
# the limit sits before the uplink spool, so the collector stores exactly what
# the agent wrote to eve.json: every alert of the quiet rule and the limited
# number of the noisy one.
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
. "$E2E/alert_flood_lib.sh"
LIMIT=(--set outputs.eve.alert.rate-limit=$RATE --set outputs.eve.alert.rate-burst=$BURST)

start_collector
ADMIN_KEY=$("$COLLECTOR" apikey create --role admin --data-dir "$DATA" | tail -1)
enroll "$WORK/agent" || fail "enrolment"
mkdir -p "$WORK/up"
"$AGENT" -k none -r "$WORK/flood.pcap" -S "$WORK/flood.rules" -l "$WORK/up" --state-dir "$WORK/agent" \
  --drain-timeout 60 "${LIMIT[@]}" >"$WORK/up.log" 2>&1 || fail "enrolled agent exited with $? ($(tail -3 "$WORK/up.log"))"
grep -q "spool.depth 0" "$WORK/up.log" || fail "agent did not drain its spool"
read -r noisy quiet counter by_sig matches <<<"$(summary "$WORK/up/eve.json")"
[ "$quiet" = $Q ] && [ $((noisy + counter)) = $N ] && [ "$by_sig" = "$counter" ] ||
  fail "eve.json: $noisy noisy + $counter counted (of $N), $quiet quiet (of $Q), $by_sig by signature"
[ "$(alert_total "&sid=$QUIET")" = $Q ] || fail "collector: quiet alerts $(alert_total "&sid=$QUIET") of $Q"
[ "$(alert_total "&sid=$NOISY")" = "$noisy" ] || fail "collector: noisy alerts $(alert_total "&sid=$NOISY"), the agent wrote $noisy"
[ "$noisy" = "$EXPECT" ] || fail "enrolled: $noisy noisy alerts, expected $EXPECT"
echo "PASS: noisy sid limited to $EXPECT of $N (rest counted), all $Q quiet alerts written and stored"
