#!/usr/bin/env bash
# A rule set published on the collector reaches a running agent (live capture
# on the loopback interface), which alerts on it within about one heartbeat
# period, without a restart and without capture drops from the swap; and the
# agent's next heartbeat and its next stats event describe the new rule set
# with its own counts (2 loaded, 1 failed), not the empty set it started with.
# Needs to capture on lo (root or CAP_NET_RAW): skipped otherwise.
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
command -v sqlite3 >/dev/null || exit 77
start_collector
ADMIN_KEY=$("$COLLECTOR" apikey create --role admin --data-dir "$DATA" | tail -1)
enroll "$WORK/agent" || fail "enrolment"
TPORT=$(free_port)

# Steady UDP traffic on lo carrying the marker the new rule looks for.
udp_markers "$TPORT" 120 0.005 NEWRULE

"$AGENT" -i lo --bpf "udp port $TPORT" -l "$WORK/log" --state-dir "$WORK/agent" \
  --set uplink.heartbeat-interval=1 --set stats.interval=1 >"$WORK/agent.log" 2>&1 &
AGENT_PID=$!
PIDS+=("$AGENT_PID")
online=""
for _ in $(seq 1 100); do
  if ! kill -0 "$AGENT_PID" 2>/dev/null; then
    grep -qiE "permission|not permitted|socket: Operation" "$WORK/agent.log" && { echo "cannot capture on lo"; exit 77; }
    fail "agent exited: $(tail -5 "$WORK/agent.log")"
  fi
  api GET /api/v1/agents "$ADMIN_KEY"
  online=$(printf '%s' "$BODY" | json_get '["agents"][0]["status"]' 2>/dev/null)
  pk=$(printf '%s' "$BODY" | json_get '["agents"][0]["heartbeat"]["packets"]' 2>/dev/null)
  [ "$online" = online ] && [ "${pk:-0}" -gt 0 ] 2>/dev/null && break
  sleep 0.2
done
[ "$online" = online ] || fail "agent never came online"
[ "$(alert_total "&sid=2000001")" = 0 ] || fail "alerts before the rule existed"

# Two rules that load and one that does not (an unknown keyword): the counts
# tell this set from the empty one the agent started with.
{
  printf 'alert udp any any -> any %s (msg:"pushed rule"; content:"NEWRULE"; sid:2000001; rev:1;)\n' "$TPORT"
  printf 'alert udp any any -> any %s (msg:"second rule"; content:"NOTSENT"; sid:2000002; rev:1;)\n' "$TPORT"
  printf 'alert udp any any -> any any (msg:"broken rule"; no_such_keyword; sid:2000003; rev:1;)\n'
} >"$WORK/new.rules"
api PUT "/api/v1/ruleset?allow_errors=1" "$ADMIN_KEY" "$WORK/new.rules"
[ "$STATUS" = 200 ] || fail "rule set refused: $STATUS $BODY"
VERSION=$(printf '%s' "$BODY" | json_get '["version"]')
start=$(date +%s.%N)
got=0
for _ in $(seq 1 60); do
  got=$(alert_total "&sid=2000001")
  [ "$got" -gt 0 ] && break
  sleep 0.1
done
elapsed=$(python3 -c "import sys; print(round($(date +%s.%N) - $start, 2))")
[ "$got" -gt 0 ] || fail "no alert from the pushed rule within 6 s"
echo "first alert from the new rule at the collector after ${elapsed}s (heartbeat interval 1s, batch age 0.5s)"
kill -0 "$AGENT_PID" || fail "agent restarted or died"

# The first heartbeat that names the new version is sent right after the swap:
# it must carry the new set's counts.
hb_ok=""
for _ in $(seq 1 50); do
  api GET /api/v1/agents "$ADMIN_KEY"
  rv=$(printf '%s' "$BODY" | json_get '["agents"][0]["ruleset_version"]')
  if [ "$rv" = "$VERSION" ]; then
    loaded=$(printf '%s' "$BODY" | json_get '["agents"][0]["heartbeat"]["rules_loaded"]')
    failed=$(printf '%s' "$BODY" | json_get '["agents"][0]["heartbeat"]["rules_failed"]')
    [ "$loaded" = 2 ] && [ "$failed" = 1 ] ||
      fail "heartbeat for rule set $VERSION reports $loaded loaded, $failed failed; expected 2 and 1"
    hb_ok=1
    break
  fi
  sleep 0.1
done
[ -n "$hb_ok" ] || fail "heartbeat never reported rule set $VERSION"
# Every stats event written from now on is after the swap (stats.interval 1 s).
seen=$(wc -l <"$WORK/log/eve.json")
detect=""
for _ in $(seq 1 50); do
  detect=$(tail -n +"$((seen + 1))" "$WORK/log/eve.json" | python3 -c '
import json, sys
for line in sys.stdin:
    try:
        e = json.loads(line)
    except ValueError:  # the line being written
        continue
    if e.get("event_type") == "stats":
        eng = e["stats"]["detect"]["engines"][0]
        print(eng["rules_loaded"], eng["rules_failed"])
        break
')
  [ -n "$detect" ] && break
  sleep 0.1
done
[ -n "$detect" ] || fail "no stats event within 5 s of the swap"
[ "$detect" = "2 1" ] || fail "stats.detect after the swap reports (loaded failed) $detect; expected 2 1"

sleep 2
api GET /api/v1/agents "$ADMIN_KEY"
rv=$(printf '%s' "$BODY" | json_get '["agents"][0]["ruleset_version"]')
drops=$(printf '%s' "$BODY" | json_get '["agents"][0]["heartbeat"]["capture_drops"]')
[ "$rv" = "$VERSION" ] || fail "heartbeat reports rule set '$rv', expected $VERSION"
[ "$drops" = 0 ] || fail "capture drops during the swap: $drops"
kill -TERM "$AGENT_PID"
wait "$AGENT_PID" || fail "agent exit status $?"
echo "PASS: rule set $VERSION live without restart, $got alerts so far, 0 capture drops; heartbeat and stats.detect report 2 loaded, 1 failed"
