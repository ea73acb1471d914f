#!/usr/bin/env bash
# An idle agent is light: `vigil-agent -i lo` with the default configuration
# and the demo rules, after ~10 s, holds well under 60 MB resident (it held
# ~145 MB when the capture ring was 64 MiB and the flow table was sized for
# flow.max-flows up front), its flow table has not preallocated (flow.memuse,
# stats.vigil.flow.hash_buckets), and it used under 10% of a core (a spinning
# thread would use 100%). The bounds are generous so that other traffic on lo
# cannot make the test flaky. Skips (77) when not root.
set -euo pipefail
build=$1
src=$2
[ "$(id -u)" = 0 ] || { echo "needs root for live capture: skipped"; exit 77; }
command -v python3 >/dev/null || { echo "python3 not installed: skipped"; exit 77; }
agent=$build/agent/vigil-agent
# grep without -q reads all of ldd's output: with pipefail, an early exit of
# grep -q could kill ldd with SIGPIPE and fail the test instead of skipping it.
if ldd "$agent" 2>/dev/null | grep 'libasan\|libtsan' >/dev/null; then
  echo "sanitizer build: its shadow memory is not the agent's weight: skipped"; exit 77
fi
work=$(mktemp -d "$build/idle_weight.XXXXXX")
trap 'kill $agent_pid 2>/dev/null || true; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; cat "$work/agent.err" || true; exit 1; }
# Default configuration; only the stats events come every second.
"$agent" -i lo -S "$src/tools/demo.rules" -l "$work" --set stats.interval=1 2>"$work/agent.err" &
agent_pid=$!
for _ in $(seq 100); do grep -q "reading interface" "$work/agent.err" 2>/dev/null && break; sleep 0.1; done
grep -q "reading interface" "$work/agent.err" || fail "the agent did not start capturing on lo"
ticks() { awk '{print $14 + $15}' "/proc/$agent_pid/stat"; }
t0=$(ticks)
sleep 10
kill -0 $agent_pid || fail "the agent stopped"
t1=$(ticks)
rss_kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$agent_pid/status")
hz=$(getconf CLK_TCK)
cpu_pct=$(( (t1 - t0) * 100 * 100 / hz / 1000 ))  # percent of one core over 10 s
echo "idle agent: VmRSS ${rss_kb} kB, CPU ${cpu_pct}% of a core over 10 s"
read -r memuse buckets < <(python3 - "$work/eve.json" <<'PY'
import json, sys
last = None
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event_type"] == "stats": last = e["stats"]
if last is None: print("-1 -1")
else: print(last["flow"]["memuse"], last["vigil"]["flow"]["hash_buckets"])
PY
)
echo "flow.memuse ${memuse} bytes, flow.hash_buckets ${buckets}"
[ "$memuse" -ge 0 ] || fail "no stats event after 10 s"
[ "$rss_kb" -lt 61440 ] || fail "idle VmRSS ${rss_kb} kB, expected under 60 MB"
# Preallocated for the default 200,000 flows, the bucket array alone was 2 MiB
# (262,144 buckets).
[ "$buckets" -lt 262144 ] || fail "flow table preallocated: ${buckets} buckets"
[ "$memuse" -lt 2097152 ] || fail "flow.memuse ${memuse} bytes on an idle link"
[ "$cpu_pct" -lt 10 ] || fail "idle agent used ${cpu_pct}% of a core"
kill -TERM $agent_pid
wait $agent_pid || fail "agent exit status $? after SIGTERM"
echo "PASS: idle agent ${rss_kb} kB resident, ${cpu_pct}% CPU, flow table ${memuse} bytes"
