#!/usr/bin/env bash
# p50/p95/p99 of the alert list (with and without filters), the detail (when
# the collector has GET /api/v1/alerts/{id}) and the aggregations, against a
# store filled by vigil-store-fill:
#
#   build/collector/vigil-store-fill --data-dir D --alerts 1000000 --end 1796256000
#   bench/query_run.sh BUILD_DIR D [N] [PATH...]
#
# Starts vigil-collector on D (127.0.0.1, a free port), creates a viewer API
# key, runs bench/api_latency.py with N requests per path (default 100) and
# stops the collector. Times are for --end 1796256000 (2026-12-03T00:00Z),
# data over the 7 days before. PATHs given replace the default set (e.g.
# "/api/v1/alerts?limit=100&src_ip=10.0.0.0/8").
#
# A PostgreSQL store: fill it with vigil-store-fill --store-url URL and give the
# same URL as STORE_URL=URL; D then holds only the collector's certificates,
# key and a collector.yaml that points at the database.
#
# A SQLite store: the requests start once the collector has loaded its stats
# cache (the "stats cache" line of its log); NO_STATS_CACHE=1 runs it with
# `store.stats_cache: false` (dashboard filters counted from the rows).
# The collector's anonymous memory (RssAnon) is printed then.
#
# COLD=1: before the timed requests (each path is asked once untimed first),
# prints each path's first request's time (curl's time_total, a new TLS
# connection included) and then a second one's.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$1
dir=$2
n=${3:-100}
shift $(($# < 3 ? $# : 3))
end=1796256000
day=$((end - 86400))
week=$((end - 7 * 86400))
col=$build/collector/vigil-collector
cfg=()
if [ -n "${STORE_URL:-}" ]; then
  mkdir -p "$dir"
  printf 'store:\n  type: postgresql\n  url: "%s"\n' "$STORE_URL" >"$dir/collector.yaml"
  cfg=(-c "$dir/collector.yaml")
elif [ -n "${NO_STATS_CACHE:-}" ]; then
  printf 'store:\n  stats_cache: false\n' >"$dir/collector.yaml"
  cfg=(-c "$dir/collector.yaml")
fi
key=$("$col" apikey create "${cfg[@]}" --role viewer --data-dir "$dir" | tail -1)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$col" serve "${cfg[@]}" --data-dir "$dir" --listen "127.0.0.1:$port" > "$dir/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  python3 -c "import socket;socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null && break
  sleep 0.2
done
if [ -z "${STORE_URL:-}" ] && [ -z "${NO_STATS_CACHE:-}" ]; then
  for _ in $(seq 1200); do
    grep -q "stats cache" "$dir/serve.log" && break
    sleep 0.5
  done
  grep "stats cache" "$dir/serve.log" || echo "no stats cache line in $dir/serve.log"
fi
grep RssAnon "/proc/$pid/status"
paths=(
  "/api/v1/alerts?limit=100"
  "/api/v1/alerts?limit=100&severity=1"
  "/api/v1/alerts?limit=100&sid=2000007"
  "/api/v1/alerts?limit=100&src_ip=10.3.5.7"
  "/api/v1/alerts?limit=100&agent=fill-3&from=$day&to=$end"
  "/api/v1/stats/alerts?from=$day&to=$end&interval=5m"
  "/api/v1/stats/alerts?from=$week&to=$end&interval=1h"
  "/api/v1/stats/alerts?from=$week&to=$end&interval=1h&severity=1"
  "/api/v1/stats/alerts?from=$((day + 1234))&to=$((end - 77))&interval=1m"
  "/api/v1/stats/alerts?from=$day&to=$end&interval=1h&agent=fill-3"
  "/api/v1/stats/alerts?from=$((day + 1234))&to=$((end - 77))&interval=5m&agent=fill-3"
  "/api/v1/stats/alerts?from=$week&to=$end&interval=1h&agent=fill-3"
)
[ $# -gt 0 ] && paths=("$@")
# The detail route, where the collector has it (404 on a route it lacks).
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$dir/ca.pem" -H "Authorization: Bearer $key" \
  "https://127.0.0.1:$port/api/v1/alerts/1" || true)
[ "$code" = 200 ] && paths+=("/api/v1/alerts/{id}")
if [ -n "${COLD:-}" ]; then
  for p in "${paths[@]}"; do
    for t in first second; do
      curl -s -o /dev/null -w "$t %{time_total} s $p\n" --cacert "$dir/ca.pem" -H "Authorization: Bearer $key" \
        "https://127.0.0.1:$port$p"
    done
  done
fi
python3 bench/api_latency.py --url "https://127.0.0.1:$port" --ca "$dir/ca.pem" --key "$key" -n "$n" --pid "$pid" \
  "${paths[@]}"
