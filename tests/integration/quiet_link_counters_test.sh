#!/usr/bin/env bash
# A quiet link's counters are current: a live agent with one worker, on lo
# filtered to the test's port, sees five packets (five alerts) and nothing
# more; within a few seconds its stats event counts all five in the worker's
# counters (decoder.pkts, detect.alert), not only after a busy second. Skips
# (77) when not root.
source "$(dirname "$0")/live_lib.sh"
port=$(free_port udp)
echo "alert udp any any -> any $port (msg:\"quiet marker\"; content:\"vigil-quiet-\"; sid:7201; rev:1;)" >"$work/t.rules"
start_agent -i lo --bpf "udp port $port" -S "$work/t.rules" -l "$work" --set threading.workers=1 \
  --set stats.interval=1
python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(5): s.sendto(b'vigil-quiet-%d' % i, ('127.0.0.1', $port))"
counts() {
  python3 - "$work/eve.json" <<'PY'
import json, sys
last = None
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event_type"] == "stats": last = e["stats"]
print("%d %d" % (last.get("decoder", {}).get("pkts", 0), last.get("detect", {}).get("alert", 0)) if last else "0 0")
PY
}
got="0 0"
for _ in $(seq 40); do
  [ -f "$work/eve.json" ] && got=$(counts)
  [ "$got" = "5 5" ] && break
  sleep 0.2
done
kill -0 $agent_pid || fail "the agent stopped"
[ "$got" = "5 5" ] || fail "stats after 8 s of a quiet link: decoder.pkts, detect.alert = $got, expected 5 5"
kill -TERM $agent_pid
wait $agent_pid || fail "agent exit status $? after SIGTERM"
echo "PASS: a quiet link's stats count its 5 packets and 5 alerts"
