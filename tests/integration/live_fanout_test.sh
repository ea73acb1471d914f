#!/usr/bin/env bash
# Live capture with the kernel fan-out (capture.fanout kernel): traffic sent
# onto a veth pair in a network namespace of the test's own gives the same
# events to an agent with 3 workers, each on its own packet socket, as to an
# agent with 1 worker: the kernel kept every flow (both directions, its
# fragments and the ICMP errors that quote it) on one worker. The traffic
# (tests/tools/fanout_traffic.py) is IPv4 with all addresses in 127.0.0.0/8:
# TCP sessions, DNS and other UDP, ICMP echo and errors from peers and
# routers, fragments out of order and overlapping, 802.1Q and QinQ tags.
# Also: flows on a worker that sees nothing after them time out as with one
# worker (the workers share a packet clock). And: every frame sent is
# captured once (capture.packets), the 3-worker run really used 3 sockets in
# a fan-out group, and the comparison can fail.
# Usage: live_fanout_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
[ "$(id -u)" = 0 ] || { echo "needs root (network namespace, packet sockets): skipped"; exit 77; }
command -v ip >/dev/null || { echo "iproute2 (ip) missing: skipped"; exit 77; }
agent=$build/agent/vigil-agent
tools=$src/tests/tools
work=$(mktemp -d "$build/live_fanout.XXXXXX")
ns=vigilfan$$
agent_pid=
cleanup() {
  [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  cat "$work"/*.err 2>/dev/null | tail -n 20 || true
  exit 1
}
if ! ip netns add "$ns" 2>"$work/netns.err"; then
  echo "cannot create a network namespace ($(cat "$work/netns.err")): skipped"
  exit 77
fi
inns() { ip netns exec "$ns" "$@"; }
# No IPv6 on the test links: the kernel's own neighbour discovery would add
# packets that differ from run to run.
inns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
inns ip link add vf0 type veth peer name vf1
# Room for every frame of the capture (fragments, tagged frames).
inns ip link set vf0 mtu 9000 up
inns ip link set vf1 mtu 9000 up

frames=$(python3 "$tools/fanout_traffic.py" "$work/traffic.pcap" "$work/fanout.rules" --flows 150)
[ "$frames" -gt 500 ] || fail "the traffic generator wrote only $frames frames"

# run NAME WORKERS: the agent on vf0, the frames sent on vf1, then SIGTERM.
run() {
  local name=$1 workers=$2
  mkdir -p "$work/$name"
  # Not through inns (a function): $! must be the agent, which `ip netns exec` becomes.
  ip netns exec "$ns" "$agent" -i vf0 --workers "$workers" -S "$work/fanout.rules" -l "$work/$name" -k none \
    2>"$work/$name.err" &
  agent_pid=$!
  for _ in $(seq 100); do grep -q "reading interface" "$work/$name.err" 2>/dev/null && break; sleep 0.1; done
  grep -q "reading interface" "$work/$name.err" || fail "$name: the agent did not open the capture"
  sleep 0.5
  sent=$(inns python3 "$tools/send_frames.py" vf1 "$work/traffic.pcap" 2>"$work/send.err") ||
    fail "$name: sending failed: $(tail -n 1 "$work/send.err")"
  [ "$sent" = "$frames" ] || fail "$name: sent $sent of $frames frames"
  sleep 1.5
  kill -TERM "$agent_pid"
  wait "$agent_pid" || fail "$name: the agent exited with $?"
  agent_pid=
}
# stat NAME KEY: a counter of the run's last stats event.
stat() {
  python3 - "$work/$1/eve.json" "$2" <<'PY'
import json, sys
last = None
for line in open(sys.argv[1]):
    if '"event_type":"stats"' in line:
        last = json.loads(line)
v = last["stats"]
for k in sys.argv[2].split("."):
    v = v.get(k, 0) if isinstance(v, dict) else 0
print(v)
PY
}

run one 1
run three 3
grep -q "3 sockets in kernel fan-out group" "$work/three.err" || fail "the 3-worker run did not use a kernel fan-out group"
grep -q "fan-out group" "$work/one.err" && fail "the 1-worker run joined a fan-out group"
for r in one three; do
  got=$(stat "$r" capture.packets)
  [ "$got" = "$frames" ] || fail "$r: captured $got packets, sent $frames"
done
[ "$(stat three capture.fanout_sockets)" = 3 ] || fail "capture.fanout_sockets is not 3"
alerts=$(grep -c '"event_type":"alert"' "$work/one/eve.json" || true)
flows=$(grep -c '"event_type":"flow"' "$work/one/eve.json" || true)
[ "$alerts" -gt 100 ] && [ "$flows" -gt 100 ] || fail "too few events to compare: $alerts alerts, $flows flows"

# The comparison can fail: one flow event less differs.
n=$(grep -m1 -n '"event_type":"flow"' "$work/one/eve.json" | cut -d: -f1)
sed "${n}d" "$work/one/eve.json" >"$work/fewer.json"
if python3 "$tools/eve_same.py" --live "$work/one/eve.json" "$work/fewer.json" >/dev/null; then
  fail "eve_same.py --live finds no difference with one flow event less"
fi
python3 "$tools/eve_same.py" --live "$work/one/eve.json" "$work/three/eve.json" ||
  fail "3 workers on the kernel fan-out saw other events than 1 worker"

# A worker whose share of the traffic went quiet follows the others' packet
# clock: 8 one-packet UDP flows, 2.5 s of silence, then one flow of 30
# packets, with a 1 s UDP timeout. With 1 worker the later packets move the
# clock past the 8 flows' timeout ("timeout"); with 3 workers most of the 8
# are on a worker that sees nothing after them, and must end the same way
# rather than at shutdown.
python3 "$tools/fanout_traffic.py" --quiet "$work/lone.pcap" "$work/later.pcap"
# timeout_run NAME WORKERS SEND...: the agent with a 1 s UDP timeout, then
# the SEND command (inside the namespace), 1.5 s or SETTLE s, and the stop.
timeout_run() {
  local name=$1 workers=$2
  shift 2
  mkdir -p "$work/$name"
  ip netns exec "$ns" "$agent" -i vf0 --workers "$workers" -S "$work/fanout.rules" -l "$work/$name" -k none \
    --set flow.timeouts.udp.new=1 2>"$work/$name.err" &
  agent_pid=$!
  for _ in $(seq 100); do grep -q "reading interface" "$work/$name.err" 2>/dev/null && break; sleep 0.1; done
  grep -q "reading interface" "$work/$name.err" || fail "$name: the agent did not open the capture"
  sleep 0.5
  "$@" || fail "$name: sending failed"
  sleep "${SETTLE:-1.5}"
  kill -TERM "$agent_pid"
  wait "$agent_pid" || fail "$name: the agent exited with $?"
  agent_pid=
}
send_quiet() {
  inns python3 "$tools/send_frames.py" vf1 "$work/lone.pcap" >/dev/null &&
    sleep 2.5 &&
    inns python3 "$tools/send_frames.py" vf1 "$work/later.pcap" >/dev/null
}
quiet_run() { timeout_run "$1" "$2" send_quiet; }
quiet_run quiet1 1
quiet_run quiet3 3
timeouts=$(grep '"event_type":"flow"' "$work/quiet1/eve.json" | grep -c '"reason":"timeout"' || true)
[ "$timeouts" = 8 ] || fail "1 worker: $timeouts of the 8 quiet flows ended by timeout"
python3 "$tools/eve_same.py" --live "$work/quiet1/eve.json" "$work/quiet3/eve.json" ||
  fail "3 workers: flows on a quiet worker ended otherwise than with 1 worker (shared packet clock)"

# A timeout that passes within the last second of packet time before the
# stop: the 8 flows at x.70 s, the other flow at x+1.05 s (a new second: an
# expiry pass, too early for them) and again at x+1.90 s, after their 1 s
# timeout, then the stop. Expiry runs once a second of packet time, so
# without a pass at the last packet's time the 8 ended at shutdown, and with
# several workers the shared clock lagged the newest packet by up to that
# second. Both worker counts must end them by timeout.
send_late() {
  inns python3 "$tools/send_frames.py" vf1 --schedule "$work/lone.pcap@0.7,$work/later.pcap@0.05,$work/later.pcap@0.9" \
    >/dev/null
}
late_run() { SETTLE=0.3 timeout_run "$1" "$2" send_late; }
late_run late1 1
late_run late3 3
for r in late1 late3; do
  timeouts=$(grep '"event_type":"flow"' "$work/$r/eve.json" | grep -c '"reason":"timeout"' || true)
  [ "$timeouts" = 8 ] || fail "$r: $timeouts of the 8 flows whose timeout passed in the last second ended by timeout"
done
python3 "$tools/eve_same.py" --live "$work/late1/eve.json" "$work/late3/eve.json" ||
  fail "3 workers: a timeout in the last second ended otherwise than with 1 worker"
echo "ok: $frames frames, $alerts alerts and $flows flows the same with 1 worker and with 3 kernel fan-out sockets"
