#!/usr/bin/env bash
# Disk full under the collector's store: the data directory is a 24 MiB
# tmpfs, filled to the last 64 KiB while an enrolled agent ships K alerts.
# The collector refuses the batches it cannot store (503, logged, counted in
# http.responses_5xx), acknowledges none of them and keeps serving; the agent
# keeps them spooled and retries. Once space is freed every alert is stored
# exactly once and the collector never stopped.
# Needs root to mount the tmpfs: skipped otherwise.
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root to mount a small tmpfs: skipped"; exit 77; }
mkdir -p "$DATA"
mount -t tmpfs -o size=24m,mode=0700 vigil-disk-full "$DATA" 2>/dev/null || { echo "cannot mount a tmpfs: skipped"; exit 77; }
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; umount -l "$DATA"; cleanup' EXIT
K=3000
python3 "$E2E/make_pcap.py" "$WORK/k.pcap" $K
start_collector
ADMIN_KEY=$("$COLLECTOR" apikey create --role admin --data-dir "$DATA" | tail -1)
enroll "$WORK/agent" || fail "enrolment"
stored() { sqlite3 "file:$DATA/collector.db?mode=ro" "SELECT COUNT(*) FROM alerts" 2>/dev/null || echo 0; }
server_stat() {
  api GET /api/v1/server/stats "$ADMIN_KEY"
  [ "$STATUS" = 200 ] || fail "server stats answered $STATUS: $BODY"
  printf '%s' "$BODY" | python3 -c 'import json, sys
def find(d, k):
    if isinstance(d, dict):
        if k in d: return d[k]
        for v in d.values():
            r = find(v, k)
            if r is not None: return r
print(find(json.load(sys.stdin), sys.argv[1]) or 0)' "$1"
}
sqlite3 "$DATA/collector.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null 2>&1 || true
free=$(df --output=avail -B1 "$DATA" | tail -1)
fallocate -l $((free - 65536)) "$DATA/filler" || fail "cannot fill the tmpfs"
errors0=$(server_stat http.responses_5xx)

"$AGENT" -k none -r "$WORK/k.pcap" -S "$RULES" -l "$WORK/log" --state-dir "$WORK/agent" --drain-timeout 120 \
  --set uplink.batch-max-events=100 >"$WORK/agent.log" 2>&1 &
AGENT_PID=$!
PIDS+=("$AGENT_PID")
# Refusals while the disk is full: at least three failed batches, counted.
for _ in $(seq 1 150); do
  [ "$(server_stat http.responses_5xx)" -ge $((errors0 + 3)) ] && break
  sleep 0.2
done
full_errors=$(server_stat http.responses_5xx)
[ "$full_errors" -ge $((errors0 + 3)) ] || fail "no refused batches while the disk was full ($full_errors 5xx)"
grep -q "ingest from .* failed" "$WORK/collector.log" || fail "the failed ingest was not logged"
kill -0 "$COLLECTOR_PID" 2>/dev/null || fail "collector died on a full disk"
n_full=$(stored)
echo "disk full: $n_full of $K alerts stored, $((full_errors - errors0)) batches refused"
[ "$n_full" -lt $K ] || fail "all alerts stored although the disk was full"

rm -f "$DATA/filler"
wait "$AGENT_PID" || fail "agent exited with $? ($(tail -5 "$WORK/agent.log"))"
grep -q "spool.depth 0" "$WORK/agent.log" || fail "agent did not drain its spool"
kill -0 "$COLLECTOR_PID" 2>/dev/null || fail "collector died"
total=$(alert_total)
[ "$total" = $K ] || fail "collector has $total alerts, expected $K"
[ "$(distinct_stored)" = $K ] || fail "duplicates stored"
echo "PASS: $K alerts stored once each after the disk was freed ($((full_errors - errors0)) refusals while full)"
