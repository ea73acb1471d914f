# The fleet load test, shared by fleet_load_test.sh (1,000 agents) and
# fleet_load_slow_test.sh (5,000): a real collector on 127.0.0.1 and
# bench's vigil-fleet-load with AGENTS TLS keep-alive agents (one source
# address each in 127.1.0.0/16), heartbeating every ~5 s, 5% of them shipping
# gzip alert batches, HOSTILE connections that send nothing or one byte a
# second, and an admin API request every 100 ms. Sourced after e2e_lib.sh.
#
# fleet_load AGENTS HOSTILE DURATION_S TIME_LIMIT_S
# asserts: every agent's connection held (open, never dropped, last heartbeat
# answered), no heartbeat failed, API p99 under 1 s with no failed request,
# alerts stored (> 0) equal to the alerts acknowledged, in the store too.
fleet_load() {
  local agents=$1 hostile=$2 duration=$3 limit=$4
  LOAD="$BUILD/bench/vigil-fleet-load"
  [ -x "$LOAD" ] || { echo "vigil-fleet-load not built"; exit 77; }
  # Each of the collector and the tool holds a descriptor per connection.
  ulimit -n "$(ulimit -Hn)"
  local need=$((agents + hostile + 200))
  [ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge "$need" ] ||
    { echo "open-file limit $(ulimit -n) below $need"; exit 77; }

  start_collector
  ADMIN_KEY=$("$COLLECTOR" apikey create --role admin --data-dir "$DATA" | tail -1)
  local token
  token=$("$COLLECTOR" token create --data-dir "$DATA" --uses "$agents" --ttl 1h | tail -1)
  timeout -k 5 "$limit" "$LOAD" --url "$URL" --ca-file "$DATA/ca.pem" --token "$token" --api-key "$ADMIN_KEY" \
    --agents "$agents" --hostile "$hostile" --duration "$duration" --ramp-timeout 90 --drain-timeout 20 --request-timeout 30 \
    --ship-fraction 0.05 --batch-events 50 --batch-interval-ms 2000 \
    --collector-pid "$COLLECTOR_PID" >"$WORK/load.out" 2>"$WORK/load.err"
  local rc=$?
  cat "$WORK/load.out"
  [ $rc = 0 ] || fail "vigil-fleet-load exited with $rc: $(tail -5 "$WORK/load.err")"
  kill -0 "$COLLECTOR_PID" 2>/dev/null || fail "the collector died under load"
  local stored_db
  stored_db=$(sqlite3 "$DATA/collector.db" "SELECT COUNT(*) FROM alerts") || fail "cannot read the store"
  tail -1 "$WORK/load.out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
agents, stored_db = int(sys.argv[1]), int(sys.argv[2])
bad = []
def need(ok, what):
    if not ok: bad.append(what)
need(r["held"] == agents, "connections held %d of %d" % (r["held"], agents))
need(r["conn_lost"] == 0, "%d agent connections dropped and reopened" % r["conn_lost"])
need(r["open_min_steady"] == agents, "only %d of %d connections open at one point" % (r["open_min_steady"], agents))
need(r["heartbeats_failed"] == 0, "%d heartbeats failed" % r["heartbeats_failed"])
need(r["heartbeats_ok"] >= agents, "only %d heartbeats answered" % r["heartbeats_ok"])
api = r["api"]
need(api["n"] >= 50, "only %d API requests timed" % api["n"])
need(api.get("p99_ms", 1e9) < 1000, "API p99 %s ms" % api.get("p99_ms"))
need(r["probes_failed"] == 0, "%d API requests failed" % r["probes_failed"])
need(r["alerts_stored"] > 0, "no alerts stored")
need(r["batches_in_flight_left"] == 0, "batches still unanswered at the end")
need(r["alerts_stored"] == r["alerts_acked"], "stored %d != acked %d" % (r["alerts_stored"], r["alerts_acked"]))
need(stored_db == r["alerts_acked"], "store holds %d alerts, %d acknowledged" % (stored_db, r["alerts_acked"]))
if bad:
    print("FAIL: " + "; ".join(bad))
    sys.exit(1)
' "$agents" "$stored_db" || fail "fleet load assertions"
}
