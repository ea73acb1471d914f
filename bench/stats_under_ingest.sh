#!/usr/bin/env bash
# Dashboard latency while agents send: starts vigil-collector on a copy of a
# store (PREFILL, e.g. one vigil-store-fill wrote), runs vigil-ingest-bench
# against it (10 agents, BATCHES batches of 500 alerts each, event times on
# 2026-11-26 from 00:00 UTC) and, once the agents send, measures the stats
# of their first four hours and the alert list with bench/api_latency.py.
# Prints the latency table and the bench's alerts/s. Deletes the copy.
#
#   bench/stats_under_ingest.sh BUILD_DIR PREFILL [BATCHES] [N]
set -euo pipefail
cd "$(dirname "$0")/.."
build=$1
prefill=$2
batches=${3:-40}
n=${4:-40}
dir=$build/bench-stats-ingest
rm -rf "$dir"
mkdir -p "$dir"
cp "$prefill" "$dir/collector.db"
col=$build/collector/vigil-collector
key=$("$col" apikey create --role viewer --data-dir "$dir" | tail -1)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$col" serve --data-dir "$dir" --listen "127.0.0.1:$port" > "$dir/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do
  grep -q "listening\|https://" "$dir/serve.log" 2>/dev/null && [ -f "$dir/ca.pem" ] && break
  sleep 0.1
done
from=1795651200  # 2026-11-26T00:00:00Z, the bench's first event time
to=$((from + 4 * 3600))
"$build/collector/vigil-ingest-bench" --url "https://127.0.0.1:$port" --data-dir "$dir" --agents 10 \
  --batches "$batches" --batch-size 500 > "$dir/ingest.out" 2>&1 &
ingest=$!
# The bench builds and compresses its bodies first; measure once alerts arrive.
for _ in $(seq 200); do
  [ "$(curl -s --cacert "$dir/ca.pem" -H "Authorization: Bearer $key" \
    "https://127.0.0.1:$port/api/v1/alerts?limit=1&from=$from" | grep -c '"id"')" -gt 0 ] && break
  sleep 0.1
done
python3 bench/api_latency.py --url "https://127.0.0.1:$port" --ca "$dir/ca.pem" --key "$key" -n "$n" \
  "/api/v1/stats/alerts?from=$from&to=$to&interval=1m" "/api/v1/alerts?limit=100"
wait $ingest
grep -o "alerts=[0-9]* .*alerts/s=[0-9]*" "$dir/ingest.out"
