#!/usr/bin/env bash
# GET /metrics on a real collector and on a real enrolled agent, parsed with
# prometheus_client's parser. The agent reads a pcap of N alerting packets (and a few quiet ones)
# through a FIFO held open, so it is still running when its metrics.listen
# port is scraped: its packet and alert counters must match the pcap, its eve.json
# alert count and `vigil-agent status`. The collector's ingest counters must
# equal the N alerts sent, the store histogram must be consistent (+Inf
# bucket == count > 0), one agent online. Then with metrics.api_key_required
# the collector answers 401 without a key and 200 with one.
# Needs python3-prometheus-client (scripts/install-deps.sh): skipped without it.
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
PY=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import prometheus_client.parser' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || { echo "python module prometheus_client missing (apt-get install python3-prometheus-client)"; exit 77; }
scrape() { "$PY" "$E2E/prom_scrape.py" "$@"; }
# metric JSON KEY: a sample's value (as an integer when it is one), or "none".
metric() {
  python3 -c 'import json,sys; v=json.loads(sys.argv[1])["samples"].get(sys.argv[2]); print("none" if v is None else (int(v) if v == int(v) else v))' "$1" "$2"
}
wait_for() {  # wait_for SECONDS COMMAND...: polls every 0.2 s
  local n=$(($1 * 5))
  shift
  for _ in $(seq 1 "$n"); do
    "$@" && return 0
    sleep 0.2
  done
  return 1
}

N=120 QUIET=8  # alerting packets, then packets no rule matches (up to 128: see below)
python3 "$E2E/make_pcap.py" "$WORK/a.pcap" $N VIGILTEST-M 1767225600
python3 "$E2E/make_pcap.py" "$WORK/b.pcap" $QUIET QUIET-M 1767225700
start_collector
ADMIN_KEY=$("$COLLECTOR" apikey create --role admin --data-dir "$DATA" | tail -1)
VIEWER_KEY=$("$COLLECTOR" apikey create --role viewer --data-dir "$DATA" | tail -1)
enroll "$WORK/agent" || fail "enrolment"

# Open by default.
out=$(scrape "$URL/metrics" "$DATA/ca.pem")
[ "$(head -1 <<<"$out")" = 200 ] || fail "GET /metrics without a key answered $(head -1 <<<"$out")"

# The agent reads the pcap from a FIFO; the writer stays open until the scrape is done.
mkfifo "$WORK/pcap.fifo"
APORT=$(free_port)
"$AGENT" -k none -r "$WORK/pcap.fifo" -S "$RULES" -l "$WORK/log" --state-dir "$WORK/agent" \
  --set uplink.heartbeat-interval=1 --set stats.interval=1 --set metrics.listen="127.0.0.1:$APORT" \
  >"$WORK/agent.log" 2>&1 &
AGENT_PID=$!
PIDS+=("$AGENT_PID")
exec 7<>"$WORK/pcap.fifo"  # read-write: opening does not wait for the agent
cat "$WORK/a.pcap" >&7
# The workers publish their counters at most once a second, checked every 64
# packets (or on a live capture's read timeout, which a file never has): the
# quiet packets end at packet 128 and publish, when they come over a second
# after the agent has processed the first 120 (a slow sanitizer build can
# still be at them when a fixed pause has passed: wait for its eve.json).
eve_alerts() { [ "$(grep -c '"event_type":"alert"' "$WORK/log/eve.json" 2>/dev/null)" = $N ]; }
wait_for 120 eve_alerts || fail "the agent did not write the first $N alerts"
sleep 1.5
tail -c +25 "$WORK/b.pcap" >&7  # without its file header

agent_metrics() {
  kill -0 "$AGENT_PID" 2>/dev/null || fail "agent exited: $(tail -5 "$WORK/agent.log")"
  AOUT=$(scrape "http://127.0.0.1:$APORT/metrics" 2>"$WORK/scrape.err") || return 1  # not listening yet
  [ "$(head -1 <<<"$AOUT")" = 200 ] || return 1
  AOUT=$(tail -n +2 <<<"$AOUT")
}
agent_done() {
  agent_metrics || return 1
  [ "$(metric "$AOUT" 'vigil_agent_capture_packets_total{}')" = $((N + QUIET)) ] &&
    [ "$(metric "$AOUT" 'vigil_agent_detect_alert_total{}')" = $N ] &&
    [ "$(grep -c '"event_type":"alert"' "$WORK/log/eve.json" 2>/dev/null)" = $N ]
}
wait_for 30 agent_done || fail "agent metrics never showed $((N + QUIET)) packets and $N alerts (and eve.json $N alerts): packets $(metric "$AOUT" "vigil_agent_capture_packets_total{}") alerts $(metric "$AOUT" "vigil_agent_detect_alert_total{}") eve $(grep -c "\"event_type\":\"alert\"" "$WORK/log/eve.json"); $(tail -3 "$WORK/scrape.err")"
ST=$("$AGENT" status --json --state-dir "$WORK/agent") || fail "vigil-agent status failed"
[ "$(json_get '["capture"]["packets"]' <<<"$ST")" = "$(metric "$AOUT" 'vigil_agent_capture_packets_total{}')" ] ||
  fail "status and /metrics disagree on packets"
[ "$(json_get '["alerts"]' <<<"$ST")" = "$(metric "$AOUT" 'vigil_agent_detect_alert_total{}')" ] ||
  fail "status and /metrics disagree on alerts"
[ "$(metric "$AOUT" 'vigil_agent_rules_loaded{}')" = 1 ] || fail "rules_loaded gauge is not 1"
[ "$(metric "$AOUT" 'vigil_agent_spool_depth{}')" != none ] || fail "no spool depth gauge"  # kernel drops: live capture only
echo "agent: $((N + QUIET)) packets, $N alerts in /metrics, status and eve.json"
# Anything but GET /metrics is 404.
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$APORT/other")
[ "$code" = 404 ] || fail "agent GET /other answered $code"

# The collector, while the agent still heartbeats.
collector_has_all() {
  COUT=$(scrape "$URL/metrics" "$DATA/ca.pem" | tail -n +2)
  [ "$(metric "$COUT" 'vigil_collector_ingest_alerts_accepted_total{}')" = $N ]
}
wait_for 30 collector_has_all || fail "collector ingest_alerts_accepted never reached $N: $(grep -o '"vigil_collector_ingest[^,]*' <<<"$COUT")"
[ "$(alert_total)" = $N ] || fail "alerts API has $(alert_total), expected $N"
COUT=$(scrape "$URL/metrics" "$DATA/ca.pem" | tail -n +2)
python3 - "$COUT" "$N" <<'PY' || fail "collector metrics inconsistent"
import json, sys
d, n = json.loads(sys.argv[1]), int(sys.argv[2])
s = d["samples"]
def need(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)
need(d["content_type"] == "text/plain; version=0.0.4; charset=utf-8", "content type " + d["content_type"])
need(s.get("vigil_collector_ingest_alerts_accepted_total{}") == n, "alerts accepted")
need(s.get("vigil_collector_ingest_events_accepted_total{}") == n, "events accepted")
for k in ("alerts_refused", "alerts_duplicate", "events_refused", "batches_refused"):
    need(s.get("vigil_collector_ingest_%s_total{}" % k) == 0, k + " is not 0")
need(s.get("vigil_collector_ingest_batches_total{}", 0) >= 1, "no batch counted")
need(s.get("vigil_collector_agents_online{}") == 1, "agents online %s" % s.get("vigil_collector_agents_online{}"))
need(s.get("vigil_collector_agents_known{}") == 1, "agents known")
need(s.get("vigil_collector_http_connections_open{}", 0) >= 1, "open connections gauge")
need("vigil_collector_http_refused_per_ip_limit_total{}" in s, "refused connections counter")
need("vigil_collector_auth_login_failed_total{}" in s, "auth counters")
for op in ("ingest", "alert_query"):
    count = s.get("vigil_collector_store_seconds_count{op=%s}" % op)
    inf = s.get("vigil_collector_store_seconds_bucket{le=+Inf,op=%s}" % op)
    need(count is not None and count > 0, op + " histogram count %s" % count)
    need(inf == count, op + " +Inf bucket %s != count %s" % (inf, count))
    need(s.get("vigil_collector_store_seconds_sum{op=%s}" % op, -1) >= 0, op + " sum")
    prev = 0
    for k, v in sorted(((float(k.split("le=")[1].split(",")[0]), v) for k, v in s.items()
                        if k.startswith("vigil_collector_store_seconds_bucket") and "op=%s}" % op in k)):
        need(v >= prev, op + " buckets not cumulative")
        prev = v
print("collector: %d alerts accepted, %d ingest commits timed, 1 agent online" % (n, s["vigil_collector_store_seconds_count{op=ingest}"]))
PY

exec 7>&-  # end of the pcap: the agent drains and exits
wait "$AGENT_PID" || fail "agent exited with $?"

# metrics.api_key_required: a key of any role, as the other API routes.
kill9_collector
printf 'metrics:\n  api_key_required: true\n' >"$WORK/collector.yaml"
start_collector -c "$WORK/collector.yaml"
out=$(scrape "$URL/metrics" "$DATA/ca.pem")
[ "$(head -1 <<<"$out")" = 401 ] || fail "with api_key_required, GET /metrics without a key answered $(head -1 <<<"$out")"
out=$(scrape "$URL/metrics" "$DATA/ca.pem" "$VIEWER_KEY") || fail "scrape with a key failed"
[ "$(head -1 <<<"$out")" = 200 ] || fail "with a viewer key GET /metrics answered $(head -1 <<<"$out")"
echo "PASS: agent and collector /metrics parse and match; api_key_required answers 401 without a key, 200 with one"
