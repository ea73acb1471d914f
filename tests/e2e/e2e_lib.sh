# Helpers for the collector/agent end-to-end tests (sourced, not run).
# Expects BUILD and SRC; sets WORK (a temp dir removed on exit) and tracks the
# processes it starts so that they are killed by id on exit.
set -u
COLLECTOR="$BUILD/collector/vigil-collector"
AGENT="$BUILD/agent/vigil-agent"
E2E="$SRC/tests/e2e"
WORK=$(mktemp -d /tmp/vigil-e2e.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$WORK/collector.log" ] && tail -20 "$WORK/collector.log"; exit 1; }

if [ ! -x "$COLLECTOR" ] || [ ! -x "$AGENT" ]; then echo "binaries not built"; exit 77; fi
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

PORT=$(free_port)
URL="https://127.0.0.1:$PORT"
DATA="$WORK/collector"

# Starts the collector in the background (extra arguments go to serve); COLLECTOR_PID is its pid.
start_collector() {
  "$COLLECTOR" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" "$@" >>"$WORK/collector.log" 2>&1 &
  COLLECTOR_PID=$!
  PIDS+=("$COLLECTOR_PID")
  for _ in $(seq 1 100); do
    if python3 - "$PORT" <<'PY' 2>/dev/null; then return 0; fi
import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.2).close()
PY
    sleep 0.1
  done
  fail "collector did not start"
}

kill9_collector() { kill -9 "$COLLECTOR_PID"; wait "$COLLECTOR_PID" 2>/dev/null; }

# api METHOD PATH BEARER [BODY_FILE] -> sets STATUS and BODY
api() {
  local out
  out=$(python3 "$E2E/api.py" "$1" "$URL$2" "$DATA/ca.pem" "$3" ${4:+"$4"})
  STATUS=$(printf '%s\n' "$out" | head -1)
  BODY=$(printf '%s\n' "$out" | tail -n +2)
}

json_get() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval("d"+sys.argv[1]))' "$1"; }

new_token() { "$COLLECTOR" token create --data-dir "$DATA" "$@" | tail -1; }

# enroll STATE_DIR: enrols a fresh agent
# udp_markers PORT SECONDS GAP MARKER...: sends MARKER-NNNNNN for each marker
# to 127.0.0.1:PORT every GAP seconds for SECONDS, in the background (killed
# on exit with the other processes).
udp_markers() {
  python3 - "$@" <<'PY' &
import socket, sys, time
port, secs, gap, markers = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4:]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.time() + secs
i = 0
while time.time() < end:
    for m in markers:
        s.sendto(b"%s-%06d" % (m.encode(), i), ("127.0.0.1", port))
    i += 1
    time.sleep(gap)
PY
  PIDS+=($!)
}
enroll() { "$AGENT" enroll --collector "$URL" --token "$(new_token)" --ca-file "$DATA/ca.pem" --state-dir "$1" >/dev/null; }

alert_total() {
  api GET "/api/v1/alerts?limit=1${1:-}" "$ADMIN_KEY"
  [ "$STATUS" = 200 ] || fail "alerts API answered $STATUS: $BODY"
  printf '%s' "$BODY" | json_get '["total"]'
}

distinct_stored() {
  sqlite3 "$DATA/collector.db" "SELECT COUNT(DISTINCT json_extract(json,'\$.payload')) FROM alerts"
}

RULES="$WORK/e2e.rules"
echo 'alert udp any any -> any any (msg:"vigil e2e"; content:"VIGILTEST"; sid:1000001; rev:1;)' >"$RULES"
