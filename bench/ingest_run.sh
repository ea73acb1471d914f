#!/usr/bin/env bash
# Durable ingest throughput from simulated agents: starts vigil-collector on a
# fresh data directory under BUILD_DIR/bench-ingest, runs vigil-ingest-bench
# against it and prints the bench's line plus the collector's CPU (user+sys,
# from /proc) for the run. Deletes the data directory afterwards.
#
#   bench/ingest_run.sh [BUILD_DIR] [AGENTS] [BATCHES] [BATCH_SIZE] [-- extra serve args]
#
# BENCH_ARGS (environment): extra vigil-ingest-bench flags, e.g. --with-events.
# PREFILL (environment): a collector.db to start from (copied), e.g. one
# vigil-store-fill wrote, so that retention has old alerts to delete.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
agents=${2:-10}
batches=${3:-20}
size=${4:-500}
shift $(($# < 4 ? $# : 4))
[ "${1:-}" = "--" ] && shift
dir=$build/bench-ingest
rm -rf "$dir"
mkdir -p "$dir"
[ -n "${PREFILL:-}" ] && cp "$PREFILL" "$dir/collector.db"
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$build/collector/vigil-collector" serve --data-dir "$dir" --listen "127.0.0.1:$port" "$@" > "$dir/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do
  grep -q "listening\|https://" "$dir/serve.log" 2>/dev/null && [ -f "$dir/ca.pem" ] && break
  sleep 0.1
done
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
tck=$(getconf CLK_TCK)
c0=$(cpu)
"$build/collector/vigil-ingest-bench" --url "https://127.0.0.1:$port" --data-dir "$dir" \
  --agents "$agents" --batches "$batches" --batch-size "$size" ${BENCH_ARGS:-}
c1=$(cpu)
total=$((agents * batches * size))
python3 -c "import sys; c=($c1-$c0)/$tck; print(f'collector_cpu_s={c:.2f} per_100k={c*1e5/$total:.2f} load={open(\"/proc/loadavg\").read().split()[0]}')"
