#!/usr/bin/env bash
# A quiet link's counters are current: a live agent with one worker, on lo
# filtered to the test's port, sees five packets (five alerts) and nothing
# more; within a few seconds its stats event counts all five in the worker's
# counters (decoder.pkts, detect.alert), not only after a busy second. Skips
# (77) when not root.
set -euo pipefail
build=$1
[ "$(id -u)" = 0 ] || { echo "needs root for live capture: skipped"; exit 77; }
agent=$build/agent/vigil-agent
work=$(mktemp -d "$build/quiet_link.XXXXXX")
trap 'kill $agent_pid 2>/dev/null || true; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; cat "$work/agent.err" || true; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "alert udp any any -> any $port (msg:\"quiet marker\"; content:\"vigil-quiet-\"; sid:7201; rev:1;)" >"$work/t.rules"
"$agent" -i lo --bpf "udp port $port" -S "$work/t.rules" -l "$work" --set threading.workers=1 \
  --set stats.interval=1 2>"$work/agent.err" &
agent_pid=$!
for _ in $(seq 100); do grep -q "reading interface" "$work/agent.err" 2>/dev/null && break; sleep 0.1; done
sleep 0.5
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
