#!/usr/bin/env bash
# First rows painted by the web UI over a filled store (bench/RESULTS.md):
#   build/collector/vigil-store-fill --data-dir D --alerts 1000000
#   bench/web_ui_bench.sh build D [RUNS]
# Starts vigil-collector on D (127.0.0.1, a free port), adds the user "bench"
# (admin) if missing, and runs bench/web_ui_bench.mjs in headless chromium
# (playwright-core from tests/web/package-lock.json, installed into .cache/web-tests by scripts/web-test-tools.sh).
set -euo pipefail
BUILD=$(cd "$1" && pwd) DATA=$(cd "$2" && pwd) RUNS=${3:-20}
SRC=$(cd "$(dirname "$0")/.." && pwd)
COL="$BUILD/collector/vigil-collector"
MODS=${VIGIL_WEB_TOOLS:-$SRC/.cache/web-tests}
bash "$SRC/scripts/web-test-tools.sh" "$MODS"
PW=bench-password-1
printf '%s\n' "$PW" | "$COL" user add bench --role admin --data-dir "$DATA" >/dev/null 2>&1 || true
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$COL" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" >"$DATA/web_bench_collector.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sk "https://127.0.0.1:$PORT/" -o /dev/null && break; sleep 0.1; done
node "$SRC/bench/web_ui_bench.mjs" --url "https://127.0.0.1:$PORT" --chromium "${CHROMIUM:-/usr/bin/chromium}" \
  --modules "$MODS/node_modules" --user bench --password "$PW" --runs "$RUNS"
