#!/usr/bin/env bash
# Clock jumps: a real enrolled agent capturing on lo sends a trickle of
# alerts to a real collector while its wall clock is stepped a day back and
# then two days forward (as an NTP step or an admin's `date -s` would; the
# monotonic clock runs on, as the kernel keeps it). libfaketime moves the
# agent's clock only. After each step the new alerts still reach the
# collector within seconds (a step back must not hold a quiet agent's spool,
# written before the step, until the clock catches up), nothing is stored twice, and the agent keeps
# running and sending heartbeats.
# Needs to capture on lo (root) and libfaketime: skipped otherwise.
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root for live capture: skipped"; exit 77; }
FT=""
for f in /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 /usr/lib/*/faketime/libfaketime.so.1; do
  [ -f "$f" ] && { FT=$f; break; }
done
[ -n "$FT" ] || { echo "libfaketime not installed (Debian package libfaketime): skipped"; exit 77; }
# A sanitizer build wants its runtime first in the preload list.
PRELOAD=$FT
ASANLIB=$(ldd "$AGENT" 2>/dev/null | awk '/libasan/ {print $3; exit}')
[ -n "$ASANLIB" ] && PRELOAD="$ASANLIB:$FT"
start_collector
ADMIN_KEY=$("$COLLECTOR" apikey create --role admin --data-dir "$DATA" | tail -1)
enroll "$WORK/agent" || fail "enrolment"
TPORT=$(free_port)
echo "+0" >"$WORK/offset"
# FAKETIME_NO_CACHE: the offset file is read at every call, so writing it
# steps the clock at once. FAKETIME_DONT_FAKE_MONOTONIC: only the wall clock moves.
LD_PRELOAD=$PRELOAD FAKETIME_TIMESTAMP_FILE="$WORK/offset" FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 \
  "$AGENT" -i lo --bpf "udp port $TPORT" -S "$RULES" -l "$WORK/log" --state-dir "$WORK/agent" \
  --set uplink.heartbeat-interval=1 --set uplink.batch-max-age-ms=4000 --set stats.interval=1 \
  >"$WORK/agent.log" 2>&1 &
AGENT_PID=$!
PIDS+=("$AGENT_PID")
for _ in $(seq 100); do grep -q "reading interface" "$WORK/agent.log" && break; sleep 0.1; done
grep -q "reading interface" "$WORK/agent.log" || fail "agent did not open lo: $(tail -3 "$WORK/agent.log")"
sleep 0.5

# send MARKER N: N packets 50 ms apart (a quiet link: far fewer than a batch holds).
send() {
  python3 - "$TPORT" "$1" "$2" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[3])):
    s.sendto(b"VIGILTEST-%s-%03d" % (sys.argv[2].encode(), i), ("127.0.0.1", int(sys.argv[1])))
    time.sleep(0.05)
PY
}
# stored MARKER: alerts in the store whose payload is from that step.
stored() {
  sqlite3 "$DATA/collector.db" "SELECT json_extract(json,'\$.payload') FROM alerts" 2>/dev/null |
    python3 -c 'import base64, sys
print(sum(base64.b64decode(l.strip()).startswith(b"VIGILTEST-" + sys.argv[1].encode() + b"-") for l in sys.stdin if l.strip()))' "$1"
}
# wait_stored MARKER N SECONDS
wait_stored() {
  for _ in $(seq $(($3 * 5))); do [ "$(stored "$1")" -ge "$2" ] && return 0; sleep 0.2; done
  fail "$(stored "$1") of $2 alerts of step $1 stored after $3 s (agent: $(tail -3 "$WORK/agent.log"))"
}
heartbeats() {
  api GET "/api/v1/agents" "$ADMIN_KEY"
  printf '%s' "$BODY" | json_get '["agents"][0]["heartbeat"]["counters"]["heartbeat.sent"]' 2>/dev/null || echo 0
}

N=20
# A batch waits up to 4 s for more events (uplink.batch-max-age-ms): the step
# back comes while this step's alerts are still waiting in the spool, written
# "tomorrow" by the clock that now reads today.
send before $N
echo "-1d" >"$WORK/offset"  # stepped back a day
wait_stored before $N 15
send back $N
wait_stored back $N 15
hb=$(heartbeats)
echo "+2d" >"$WORK/offset"  # then two days forward
send forward $N
wait_stored forward $N 15
kill -0 "$AGENT_PID" 2>/dev/null || fail "agent died: $(tail -5 "$WORK/agent.log")"
for _ in $(seq 50); do [ "$(heartbeats)" -gt "$hb" ] && break; sleep 0.2; done
[ "$(heartbeats)" -gt "$hb" ] || fail "no heartbeat after the forward step"
total=$(sqlite3 "$DATA/collector.db" "SELECT COUNT(*) FROM alerts")
distinct=$(distinct_stored)
[ "$total" = $((3 * N)) ] && [ "$distinct" = $((3 * N)) ] || fail "stored $total alerts ($distinct distinct), expected $((3 * N))"
echo "PASS: alerts delivered across a 1-day step back and a 2-day step forward ($total stored once each)"
