#!/usr/bin/env bash
# A damaged collector database. After K alerts are stored, pages of
# collector.db are overwritten with random bytes: the collector runs on, the
# reads that meet the damage fail (5xx), are counted in store.corrupt_errors
# and logged with what to do. The recovery the log gives (sqlite3 .recover
# into a new file) yields a store the collector starts on with the alerts
# SQLite could read. A file that is not a database at all is refused at start
# with the same advice and left byte for byte as it was (it holds the agents'
# credentials and the accounts too: an empty store would lock everyone out).
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 missing: skipped"; exit 77; }
K=2000
python3 "$E2E/make_pcap.py" "$WORK/k.pcap" $K
start_collector
enroll "$WORK/agent" || fail "enrolment"
"$AGENT" -k none -r "$WORK/k.pcap" -S "$RULES" -l "$WORK/log" --state-dir "$WORK/agent" --drain-timeout 60 \
  >"$WORK/agent.log" 2>&1 || fail "agent: $(tail -3 "$WORK/agent.log")"
kill "$COLLECTOR_PID"
wait "$COLLECTOR_PID" 2>/dev/null
DB="$DATA/collector.db"
sqlite3 "$DB" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
[ "$(sqlite3 "$DB" "SELECT COUNT(*) FROM alerts")" = $K ] || fail "expected $K alerts before the damage"
# 64 random bytes into every fourth page after the first (the schema stays readable).
python3 - "$DB" <<'PY'
import random, sys
f = sys.argv[1]
b = bytearray(open(f, "rb").read())
rng = random.Random(7)
page = 4096
for p in range(1, len(b) // page, 4):
    off = p * page + rng.randrange(page - 64)
    b[off:off + 64] = bytes(rng.randrange(256) for _ in range(64))
open(f, "wb").write(b)
PY
start_collector
ADMIN_KEY=$("$COLLECTOR" apikey create --role admin --data-dir "$DATA" | tail -1)
# Reads that cross the damaged pages fail and are counted; the collector runs on.
for path in "/api/v1/alerts?limit=500" "/api/v1/alerts?limit=1&q=VIGILTEST" "/api/v1/stats/alerts?from=0" \
  "/api/v1/alerts/export?format=csv"; do
  api GET "$path" "$ADMIN_KEY"
  echo "GET $path: $STATUS"
done
kill -0 "$COLLECTOR_PID" 2>/dev/null || fail "collector died on the damaged store"
api GET /api/v1/server/stats "$ADMIN_KEY"
corrupt=$(printf '%s' "$BODY" | json_get '["store.corrupt_errors"]')
[ "$corrupt" -gt 0 ] || fail "no damaged read counted (store.corrupt_errors $corrupt)"
grep -q "damaged.*\.recover" "$WORK/collector.log" || fail "the damage was not logged with what to do"
kill "$COLLECTOR_PID"
wait "$COLLECTOR_PID" 2>/dev/null || true

# The recovery the log gives.
mv "$DB" "$DB.corrupt"
[ -f "$DB-wal" ] && mv "$DB-wal" "$DB.corrupt-wal"
rm -f "$DB-shm"
sqlite3 "$DB.corrupt" .recover 2>/dev/null | sqlite3 "$DB"
[ "$(sqlite3 "$DB" "PRAGMA integrity_check")" = ok ] || fail "recovered file does not pass integrity_check"
start_collector
ADMIN_KEY=$("$COLLECTOR" apikey create --role admin --data-dir "$DATA" | tail -1)
total=$(alert_total)
kill -0 "$COLLECTOR_PID" 2>/dev/null || fail "collector died on the recovered store"
# How many alerts come back depends on which pages the damage hit; the store must serve.
[ "$total" -ge 0 ] 2>/dev/null || fail "alerts API on the recovered store: $total"
kill "$COLLECTOR_PID"
wait "$COLLECTOR_PID" 2>/dev/null || true

# A file that is not a database at all: refused at start, left as it was.
sqlite3 "$DB" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
printf 'this is not sqlite' | dd of="$DB" bs=1 conv=notrunc status=none
before=$(sha256sum "$DB" | cut -d' ' -f1)
timeout 30 "$COLLECTOR" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" >"$WORK/refused.log" 2>&1
rc=$?
[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "collector started on a file that is not a database (rc $rc)"
grep -q "damaged" "$WORK/refused.log" && grep -q ".recover" "$WORK/refused.log" ||
  fail "the refusal does not say what to do: $(cat "$WORK/refused.log")"
[ "$(sha256sum "$DB" | cut -d' ' -f1)" = "$before" ] || fail "the damaged file was changed"
echo "PASS: damaged reads counted ($corrupt) and logged; recovered $total of $K alerts; a non-database refused, unchanged"
