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

run() {  # name, args...
  local name=$1
  shift
  rm -rf "$work/out"
  mkdir -p "$work/out"
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$agent" -r "$pcap" -l "$work/out" -q "$@"
  read -r secs rss_kb < "$work/time.txt"
  python3 - "$name" "$secs" "$rss_kb" "$bytes" "$pkts" <<'PY'
import sys
name, secs, rss, b, p = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
print("| %-40s | %7.2f s | %8.0f kpkt/s | %7.0f Mbit/s | %6.0f MB |" % (name, secs, p / secs / 1e3, b * 8 / secs / 1e6, rss / 1024))
PY
}

echo "| run | wall | packets/s | throughput | peak RSS |"
echo "| --- | --- | --- | --- | --- |"
run "no rules, 1 worker" --workers 1
run "no rules, 2 workers" --workers 2
if [ -d "$shared/rulesets/et-open" ]; then
  run "bench.rules, 1 worker" --workers 1 -S "$shared/bench/bench.rules"
  run "ET Open (all files), 1 worker" --workers 1 -S "$shared/rulesets/et-open"
  run "Snort 3 community, 1 worker" --workers 1 -S "$shared/rulesets/snort3-community"
fi
