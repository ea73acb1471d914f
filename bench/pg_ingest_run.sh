#!/usr/bin/env bash
# Durable ingest into a PostgreSQL store, with one collector and with two
# collectors sharing the database, beside the SQLite store on the same
# machine: starts a PostgreSQL server (tests/tools/pg_server.sh, fsync on) in
# a temporary directory, one or two `vigil-collector serve` on loopback with
# store.type postgresql, and one vigil-ingest-bench per collector (AGENTS
# agents each, BATCHES batches of BATCH_SIZE alerts per agent). Prints each
# bench's line and the total alerts/s over the slowest bench's time.
#
#   bench/pg_ingest_run.sh [BUILD_DIR] [AGENTS] [BATCHES] [BATCH_SIZE]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
agents=${2:-10}
batches=${3:-20}
size=${4:-500}
pg=$(mktemp -d /tmp/vigil-bench-pg.XXXXXX)
chmod 755 "$pg"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  bash tests/tools/pg_server.sh stop "$pg" >/dev/null 2>&1 || true
  rm -rf "$build/bench-pg-ingest"
}
trap cleanup EXIT
VIGIL_PG_FSYNC=on bash tests/tools/pg_server.sh start "$pg" >/dev/null
base=$(cat "$pg/url")
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

run() {  # run N: N collectors on one fresh database
  local n=$1 db="bench$1" i
  psql -q "$base" -c "CREATE DATABASE $db" >/dev/null
  local url=${base/\/postgres?//$db?}
  local dirs=() ports=()
  for i in $(seq "$n"); do
    local d=$build/bench-pg-ingest/c$n-$i p
    p=$(free_port)
    mkdir -p "$d"
    printf 'store:\n  type: postgresql\n  url: "%s"\n' "$url" >"$d/collector.yaml"
    "$build/collector/vigil-collector" serve -c "$d/collector.yaml" --data-dir "$d" --listen "127.0.0.1:$p" \
      >"$d/serve.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do [ -f "$d/ca.pem" ] && grep -q "https://" "$d/serve.log" && break; sleep 0.1; done
    dirs+=("$d")
    ports+=("$p")
  done
  local start end outs=()
  start=$(date +%s.%N)
  for i in $(seq 0 $((n - 1))); do
    "$build/collector/vigil-ingest-bench" --url "https://127.0.0.1:${ports[$i]}" --data-dir "${dirs[$i]}" \
      --store-url "$url" --agents "$agents" --batches "$batches" --batch-size "$size" >"${dirs[$i]}/bench.out" &
    outs+=($!)
  done
  for p in "${outs[@]}"; do wait "$p"; done
  end=$(date +%s.%N)
  for i in $(seq 0 $((n - 1))); do echo "collector $((i + 1)) of $n: $(cat "${dirs[$i]}/bench.out")"; done
  local stored
  stored=$(psql -tA "$url" -c "SELECT count(*) FROM alerts")
  python3 -c "print(f'postgresql, $n collector(s): $stored alerts stored, {$stored/($end-$start):.0f} alerts/s over {$end-$start:.1f} s')"
}
run 1
run 2
