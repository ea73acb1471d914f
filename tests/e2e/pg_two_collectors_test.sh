#!/usr/bin/env bash
# Two collectors share one PostgreSQL database (store.type postgresql). Four
# agents ship K alerts each, two to each collector; one collector is killed
# with SIGKILL mid-stream and its agents are moved to the survivor (their
# state names its URL), where they resend what was not acknowledged. At the
# end the database holds every alert exactly once, and both collectors' CLI
# commands (-c collector.yaml) work on the shared store.
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
K=1500

# Outside WORK (0700): the server runs as the postgres user when the test runs as root.
PG=$(mktemp -d /tmp/vigil-e2e-pg.XXXXXX)
chmod 755 "$PG"
bash "$SRC/tests/tools/pg_server.sh" start "$PG" >"$WORK/pg.log" 2>&1 || { cat "$WORK/pg.log"; fail "PostgreSQL did not start"; }
if [ -f "$PG/UNAVAILABLE" ]; then echo "skipped: $(cat "$PG/UNAVAILABLE")"; exit 77; fi
pg_stop() { bash "$SRC/tests/tools/pg_server.sh" stop "$PG" >/dev/null 2>&1; }
trap 'cleanup; pg_stop' EXIT
PGURL=$(cat "$PG/url")
command -v psql >/dev/null || { echo "skipped: psql not installed"; exit 77; }
sql() { psql "$PGURL" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }

PORT_B=$(free_port)
URL_B="https://127.0.0.1:$PORT_B"
DATA_B="$WORK/collector-b"
for side in a b; do
  d="$WORK/collector"
  [ $side = b ] && d=$DATA_B
  cat >"$WORK/$side.yaml" <<EOF
data_dir: $d
store:
  type: postgresql
  url: "$PGURL"
EOF
done

# Collector A (e2e_lib.sh's default port and data dir) makes the TLS material;
# B serves the same certificate, so A's agents trust it.
start_collector -c "$WORK/a.yaml"
mkdir -p "$DATA_B"
cp "$DATA"/ca.pem "$DATA"/ca.key "$DATA"/server.pem "$DATA"/server.key "$DATA_B"/
"$COLLECTOR" serve -c "$WORK/b.yaml" --listen "127.0.0.1:$PORT_B" >>"$WORK/collector-b.log" 2>&1 &
PID_B=$!
PIDS+=("$PID_B")
for _ in $(seq 1 100); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT_B), timeout=0.2).close()" 2>/dev/null && break
  sleep 0.1
done

# The CLI works on the shared store from either configuration.
ADMIN_KEY=$("$COLLECTOR" apikey create --role admin -c "$WORK/b.yaml" | tail -1)
[ -n "$ADMIN_KEY" ] || fail "apikey create -c"
"$COLLECTOR" apikey list -c "$WORK/a.yaml" | grep -q admin || fail "a key made through B's configuration is not listed through A's"

python3 "$E2E/make_pcap.py" "$WORK/k.pcap" $K
for i in 1 2 3 4; do
  if [ $i -le 2 ]; then url=$URL cfg=a; else url=$URL_B cfg=b; fi
  token=$("$COLLECTOR" token create -c "$WORK/$cfg.yaml" | tail -1)
  "$AGENT" enroll --collector "$url" --token "$token" --ca-file "$DATA/ca.pem" --state-dir "$WORK/agent$i" \
    >/dev/null || fail "enrolment of agent $i at $url"
done

run_agent() {  # run_agent I RUN: ships the capture from agent I's state dir
  "$AGENT" -k none -r "$WORK/k.pcap" -S "$RULES" -l "$WORK/log$1-$2" --state-dir "$WORK/agent$1" \
    --drain-timeout 120 --set uplink.batch-max-events=50 >"$WORK/agent$1-$2.log" 2>&1 &
  APID[$1]=$!
  PIDS+=("${APID[$1]}")
}
declare -a APID
for i in 1 2 3 4; do run_agent $i 1; done

# Kill A once some, but not all, alerts are stored.
n=0
for _ in $(seq 1 400); do
  n=$(sql "SELECT COUNT(*) FROM alerts" 2>/dev/null || echo 0)
  [ "${n:-0}" -gt 200 ] && break
  sleep 0.05
done
kill9_collector
echo "collector A killed with ${n:-0} of $((4 * K)) alerts stored"
[ "${n:-0}" -lt $((4 * K)) ] || echo "warning: all alerts arrived before the kill"

# A's agents move to B: stopped, their state pointed at B, run again over
# the same capture (the spool resumes; the same events get the same uids).
for i in 1 2; do
  kill -9 "${APID[$i]}" 2>/dev/null
  wait "${APID[$i]}" 2>/dev/null
  python3 - "$WORK/agent$i/agent.json" "$URL_B" <<'PY'
import json, sys
p, url = sys.argv[1], sys.argv[2]
j = json.load(open(p))
j["collector_url"] = url
json.dump(j, open(p, "w"))
PY
  run_agent $i 2
done
for i in 1 2 3 4; do
  wait "${APID[$i]}" || fail "agent $i exited with $? ($(tail -5 "$WORK"/agent$i-*.log))"
done
for i in 1 2 3 4; do
  last=$(ls "$WORK"/agent$i-*.log | sort | tail -1)
  grep -q "spool.depth 0" "$last" || fail "agent $i did not drain its spool ($(tail -5 "$last"))"
done

total=$(sql "SELECT COUNT(*) FROM alerts")
distinct=$(sql "SELECT COUNT(DISTINCT (agent_id, (json::json)->>'payload')) FROM alerts")
per_agent=$(sql "SELECT string_agg(n::text, ',') FROM (SELECT COUNT(*) n FROM alerts GROUP BY agent_id ORDER BY agent_id) s")
echo "stored: $total alerts, $distinct distinct, per agent $per_agent"
[ "$distinct" = $((4 * K)) ] || fail "expected $((4 * K)) distinct alerts, found $distinct"
[ "$total" = $((4 * K)) ] || fail "expected $((4 * K)) alerts, found $total (some stored twice)"
[ "$per_agent" = "$K,$K,$K,$K" ] || fail "per agent: $per_agent"
# The survivor answers for all of it.
URL=$URL_B alert_total >"$WORK/total" || true
[ "$(cat "$WORK/total")" = $((4 * K)) ] || fail "collector B's API says $(cat "$WORK/total") alerts"
echo "PASS: $((4 * K)) alerts from 4 agents over 2 collectors, one killed, each stored once"
