#!/usr/bin/env bash
# Offline throughput benchmark on the standard workload. Writes a table to
# stdout (paste into bench/RESULTS.md with the machine description).
#
#   bench/run.sh [BUILD_DIR] [SIZE_MB]
#
# Needs ../shared/bench/gen_traffic.py (the standard capture: --size-mb 1024
# --seed 1) and /usr/bin/time. The capture is generated under BUILD_DIR/bench
# and reused; nothing large is written inside the source tree.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
size=${2:-1024}
shared=$(cd .. && pwd)/shared
agent=$build/agent/vigil-agent
work=$build/bench
mkdir -p "$work"
pcap=$work/bench_${size}m_seed1.pcap
[ -f "$pcap" ] || python3 "$shared/bench/gen_traffic.py" --out "$pcap" --size-mb "$size" --seed 1 --quiet
bytes=$(python3 -c "import json;print(json.load(open('${pcap%.pcap}.truth.json'))['capture']['frame_bytes'])")
pkts=$(python3 -c "import json;print(json.load(open('${pcap%.pcap}.truth.json'))['capture']['packets'])")

cache=$work/hs-cache

run() {  # name, args...
  local name=$1
  shift
  rm -rf "$work/out"
  mkdir -p "$work/out"
  # Warm the compiled-database cache first: rows measure a restart with the
  # same rules (a cold start adds the compile time; see "Rule loading").
  "$agent" --test-rules "$@" --set detect.cache-dir="$cache" > /dev/null 2>&1 || true
  /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" "$agent" -r "$pcap" -l "$work/out" \
    --set detect.cache-dir="$cache" "$@" 2> "$work/log.txt"
  read -r secs user sys rss_kb < "$work/time.txt"
  # The agent's last log line gives the packet phase: "done: ... in X s; ...".
  phase=$(sed -n 's/.*done: .* in \([0-9.]*\) s;.*/\1/p' "$work/log.txt" | tail -1)
  alerts=$(grep -c '"event_type":"alert"' "$work/out/eve.json" || true)
  python3 - "$name" "$secs" "$user" "$sys" "$rss_kb" "$bytes" "$pkts" "${phase:-0}" "$alerts" <<'PY'
import sys
name, secs, user, sys_, rss, b, p, phase, alerts = sys.argv[1:10]
secs, cpu, rss, b, p, phase = float(secs), float(user) + float(sys_), int(rss), int(b), int(p), float(phase)
print("| %-34s | %6.2f s | %6.2f s | %6.2f s | %7.0f kpkt/s | %6.0f Mbit/s | %5.0f MB | %6s |"
      % (name, secs, cpu, phase, p / phase / 1e3, b * 8 / phase / 1e6, rss / 1024, alerts))
PY
}

echo "| run | wall | CPU (user+sys) | packet phase | packets/s (phase) | throughput (phase) | peak RSS | alerts |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
run "no rules, 1 worker" --workers 1
run "no rules, 2 workers" --workers 2
if [ -d "$shared/rulesets/et-open" ]; then
  run "bench.rules, 1 worker" --workers 1 -S "$shared/bench/bench.rules"
  run "ET Open (all files), 1 worker" --workers 1 -S "$shared/rulesets/et-open"
  run "Snort 3 community, 1 worker" --workers 1 -S "$shared/rulesets/snort3-community"
fi
