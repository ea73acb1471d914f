#!/usr/bin/env bash
# Live capture on the loopback interface: the agent captures real traffic
# between two local processes (BPF-filtered to the test's port), drops root
# privileges after opening the capture, alerts, and on SIGTERM writes its
# final stats with the kernel's packet counters. Skips (77) when not root.
source "$(dirname "$0")/live_lib.sh"
chmod 755 "$work"
port=$(free_port tcp)
cat > "$work/t.rules" <<R
alert http any any -> any $port (msg:"live marker in URI"; flow:established,to_server; http.uri; content:"/vigil-live-marker"; sid:7001; rev:1;)
R
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work" >/dev/null 2>&1 &
LIVE_PIDS+=($!)
user_opt=()
id nobody >/dev/null 2>&1 && user_opt=(--user nobody)
start_agent -i lo --bpf "tcp port $port" -S "$work/t.rules" -l "$work" "${user_opt[@]}" \
  --set stats.interval=1
for i in 1 2 3; do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/vigil-live-marker?$i').read()" 2>/dev/null || true
done
sleep 1.5
kill -TERM $agent_pid
wait $agent_pid || fail "agent exit status $? after SIGTERM"
python3 - "$work/eve.json" <<'PY' || fail "eve.json checks"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
alerts = [e for e in ev if e["event_type"] == "alert" and e["alert"]["signature_id"] == 7001]
assert len(alerts) == 3, "expected 3 alerts, got %d" % len(alerts)
assert alerts[0]["http"]["url"].startswith("/vigil-live-marker"), alerts[0]
stats = [e for e in ev if e["event_type"] == "stats"][-1]["stats"]
cap = stats["capture"]
assert cap["kernel_packets"] > 0 and "kernel_drops" in cap, cap
print("live_lo_test: %d alerts, kernel_packets %d, kernel_drops %d" % (len(alerts), cap["kernel_packets"], cap["kernel_drops"]))
PY
