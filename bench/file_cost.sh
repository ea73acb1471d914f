#!/usr/bin/env bash
# The cost of file tracking (agent/app/file_tracker.h) on the standard
# capture: the agent with default event types (files not tracked) against
# the same run with fileinfo events on (every HTTP body hashed with md5, sha1
# and sha256), and with libmagic too; RUNS interleaved rounds, one worker,
# no rules. Prints /usr/bin/time's wall, user+sys and peak RSS per run and
# the agent's packet phase ("done: ... in X s").
# Usage: bench/file_cost.sh BUILD [RUNS]   (the capture is made once under
# BUILD/bench with ../shared/bench/gen_traffic.py --size-mb 100 --seed 1)
set -euo pipefail
BUILD=$(cd "$1" && pwd)
RUNS=${2:-3}
SRC=$(cd "$(dirname "$0")/.." && pwd)
AGENT="$BUILD/agent/vigil-agent"
GEN=${GEN:-$SRC/../shared/bench/gen_traffic.py}
PCAP="$BUILD/bench/bench_100m_seed1.pcap"
mkdir -p "$BUILD/bench"
[ -f "$PCAP" ] || python3 "$GEN" --out "$PCAP" --size-mb 100 --seed 1 --quiet
OUT="$BUILD/bench/file_cost"
rm -rf "$OUT"
mkdir -p "$OUT"

run() {
  local name=$1 i=$2
  shift 2
  local dir="$OUT/$name-$i"
  mkdir -p "$dir"
  /usr/bin/time -f "%e %U %S %M" -o "$dir/time" "$AGENT" -r "$PCAP" -l "$dir" --workers 1 -k none "$@" \
    >"$dir/log" 2>&1
  read -r wall user sys rss <"$dir/time"
  local phase
  phase=$(grep -o 'in [0-9.]* s' "$dir/log" | tail -1 | awk '{print $2}')
  local files
  files=$(grep -c '"event_type":"fileinfo"' "$dir/eve.json" || true)
  printf "| %s | %s | %.2f s | %.2f s | %s s | %d MB | %s |\n" "$name" "$i" "$wall" \
    "$(echo "$user + $sys" | bc)" "${phase:-?}" $((rss / 1024)) "$files"
}

echo "| run | round | wall | CPU (user+sys) | packet phase | peak RSS | fileinfo events |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for i in $(seq 1 "$RUNS"); do
  run off "$i"
  run fileinfo "$i" --set outputs.eve.types=alert,flow,stats,fileinfo
  run fileinfo+magic "$i" --set outputs.eve.types=alert,flow,stats,fileinfo --set files.force-magic=true
done
