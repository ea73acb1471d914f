#!/usr/bin/env bash
# Alert forwarding (collector/forward/) with a real collector, a real enrolled
# agent and real receivers on 127.0.0.1 (forward_receiver.py): syslog over
# UDP (JSON), TCP (octet counting, CEF) and TLS (a certificate made here,
# verified against its CA file), and a webhook (bearer token, extra header,
# min_severity). Every alert arrives exactly once per output with the fields
# configured. A TCP receiver that is down at first: sends are counted as
# retried, and once it listens the queued alerts are delivered. A webhook
# that never comes up, with a queue of 2: overflow is counted and the
# dead-letter file (0600) holds the alerts pushed out.
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
command -v openssl >/dev/null || { echo "openssl missing"; exit 77; }
HI=40 LO=10  # alerts of severity 1 (sid 1000001) and 3 (sid 1000002)
TOTAL=$((HI + LO))
cat >"$WORK/fwd.rules" <<'R'
alert udp any any -> any any (msg:"vigil e2e | high"; content:"VIGILHIGH"; priority:1; sid:1000001; rev:1;)
alert udp any any -> any any (msg:"vigil e2e low"; content:"VIGILLOW"; priority:3; sid:1000002; rev:2;)
R
python3 "$E2E/make_pcap.py" "$WORK/hi.pcap" $HI VIGILHIGH 1767225600
python3 "$E2E/make_pcap.py" "$WORK/lo.pcap" $LO VIGILLOW 1767229200
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/rx.key" -out "$WORK/rx.pem" -days 1 \
  -subj "/CN=syslog.test" -addext "subjectAltName=DNS:syslog.test,IP:127.0.0.1" >/dev/null 2>&1 ||
  fail "openssl could not make a certificate"

P_UDP=$(free_port) P_TCP=$(free_port) P_TLS=$(free_port) P_HOOK=$(free_port) P_LATE=$(free_port)
P_DEAD=$(free_port)
receiver() {  # MODE PORT NAME [CERT KEY]
  python3 "$E2E/forward_receiver.py" "$1" "$2" "$WORK/$3.jsonl" "${@:4}" 2>>"$WORK/receivers.log" &
  PIDS+=($!)
}
receiver udp "$P_UDP" udp
receiver tcp "$P_TCP" tcp
receiver tls "$P_TLS" tls "$WORK/rx.pem" "$WORK/rx.key"
receiver http "$P_HOOK" hook
cat >"$WORK/collector.yaml" <<Y
forward:
  - {name: sys_udp, type: syslog, address: "127.0.0.1:$P_UDP", transport: udp, format: json}
  - {name: sys_tcp, type: syslog, address: "127.0.0.1:$P_TCP", transport: tcp, format: cef, facility: 4}
  - {name: sys_tls, type: syslog, address: "127.0.0.1:$P_TLS", transport: tls, ca_file: "$WORK/rx.pem",
     server_name: syslog.test}
  - {name: hook, type: webhook, url: "http://127.0.0.1:$P_HOOK/in/alerts", bearer_token: s3cret,
     headers: "X-Vigil-Test: yes", min_severity: 2}
  - {name: late, type: syslog, address: "127.0.0.1:$P_LATE", transport: tcp, backoff_min_ms: 100ms,
     backoff_max_ms: 400ms, max_retries: 1000}
  - {name: tiny, type: webhook, url: "http://127.0.0.1:$P_DEAD/", queue_max: 2, backoff_min_ms: 5s,
     backoff_max_ms: 5s, max_retries: 1000}
Y
start_collector --config "$WORK/collector.yaml"
ADMIN_KEY=$("$COLLECTOR" apikey create --role admin --data-dir "$DATA" | tail -1)
enroll "$WORK/agent" || fail "enrolment"
ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["agent_id"])' "$WORK/agent/agent.json")
for p in hi lo; do
  "$AGENT" -k none -r "$WORK/$p.pcap" -S "$WORK/fwd.rules" -l "$WORK/$p.d" --state-dir "$WORK/agent" \
    --set uplink.heartbeat-interval=1 --drain-timeout 60 >"$WORK/agent-$p.log" 2>&1 || fail "agent run $p: $?"
done
[ "$(alert_total)" = $TOTAL ] || fail "collector stored $(alert_total) alerts, expected $TOTAL"

stat_of() {  # NAME -> the counter from GET /api/v1/server/stats
  api GET /api/v1/server/stats "$ADMIN_KEY"
  [ "$STATUS" = 200 ] || fail "stats answered $STATUS"
  printf '%s' "$BODY" | python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], "absent"))' "$1"
}
lines() { [ -f "$WORK/$1.jsonl" ] && wc -l <"$WORK/$1.jsonl" || echo 0; }
wait_lines() {  # NAME N
  for _ in $(seq 1 150); do [ "$(lines "$1")" -ge "$2" ] && return 0; sleep 0.2; done
  fail "$1 received $(lines "$1") messages, expected $2"
}
wait_lines udp $TOTAL
wait_lines tcp $TOTAL
wait_lines tls $TOTAL
wait_lines hook $HI
sleep 1  # nothing more may arrive

python3 - "$WORK" "$ID" "$HI" "$LO" <<'PY' || fail "forwarded messages are wrong (above)"
import json, re, sys
work, agent, hi, lo = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def load(name):
    return [json.loads(l) for l in open(f"{work}/{name}.jsonl")]
SYSLOG = re.compile(r"^<(\d+)>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) (\S+) vigil - alert - (.*)$", re.S)
def check_alerts(name, alerts):
    keys = [(a["alert"]["signature_id"], a["timestamp"]) for a in alerts]
    assert len(keys) == len(set(keys)), f"{name}: an alert arrived twice"
    sids = sorted(k[0] for k in keys)
    assert sids.count(1000001) == hi and sids.count(1000002) == lo, f"{name}: sids {sids}"
    for a in alerts:
        assert a["agent_id"] == agent and a["event_type"] == "alert", f"{name}: {a}"
        assert "agent_hostname" in a, f"{name}: no agent_hostname"
def syslog(name, facility):
    out = []
    for r in load(name):
        assert "msg" in r, f"{name}: {r}"
        m = SYSLOG.match(r["msg"])
        assert m, f"{name}: not RFC 5424: {r['msg'][:120]}"
        out.append((int(m.group(1)), m.group(4)))
    return out
for name in ("udp", "tls"):
    alerts = []
    for pri, msg in syslog(name, 16):
        a = json.loads(msg)
        sev = {1: 2, 3: 4}[a["alert"]["severity"]]
        assert pri == 16 * 8 + sev, f"{name}: PRI {pri} for severity {a['alert']['severity']}"
        alerts.append(a)
    check_alerts(name, alerts)
# CEF over TCP, facility 4: split the header on unescaped |, the extension on " key=".
seen = set()
for pri, msg in syslog("tcp", 4):
    parts = re.split(r"(?<!\\)\|", msg)
    assert len(parts) == 8 and parts[0] == "CEF:0" and parts[1:3] == ["Vigil", "vigil-collector"], msg
    ext = dict(re.findall(r"(\w+)=((?:[^=\\]|\\.)*?)(?= \w+=|$)", parts[7]))
    sid = int(parts[4])
    if sid == 1000001:
        assert parts[5] == "vigil e2e \\| high" and parts[6] == "10" and pri == 4 * 8 + 2, (parts, pri)
    else:
        assert parts[5] == "vigil e2e low" and parts[6] == "5" and pri == 4 * 8 + 4, (parts, pri)
    assert ext["src"] == "10.0.0.1" and ext["dst"].startswith("10.0.1.") and ext["dpt"] == "5353", ext
    assert ext["proto"] == "UDP" and ext["cs3"] == agent and ext["cs3Label"] == "agent", ext
    seen.add((sid, ext["rt"], ext["spt"]))
assert len(seen) == hi + lo, f"tcp: {len(seen)} distinct CEF alerts"
# Webhook: only severity <= 2, with the token and the header.
hook = load("hook")
for r in hook:
    assert r["path"] == "/in/alerts", r["path"]
    assert r["headers"]["authorization"] == "Bearer s3cret", r["headers"]
    assert r["headers"]["x-vigil-test"] == "yes" and r["headers"]["content-type"] == "application/json"
alerts = [json.loads(r["body"]) for r in hook]
assert all(a["alert"]["signature_id"] == 1000001 and a["agent_id"] == agent for a in alerts), "hook: a low alert"
assert len({a["timestamp"] for a in alerts}) == len(alerts) == hi, f"hook: {len(alerts)} alerts"
print("receivers: all", hi + lo, "alerts once per output, fields as configured")
PY
[ "$(stat_of forward.sys_udp.sent)" = $TOTAL ] || fail "sys_udp.sent $(stat_of forward.sys_udp.sent)"
[ "$(stat_of forward.hook.below_min_severity)" = $LO ] || fail "hook.below_min_severity"
[ "$(stat_of forward.hook.sent)" = $HI ] || fail "hook.sent $(stat_of forward.hook.sent)"

# The late receiver was down: retried, nothing delivered yet; it comes up and gets everything.
retried=$(stat_of forward.late.retried)
[ "$retried" -ge 2 ] || fail "late.retried is $retried while its receiver is down"
[ "$(stat_of forward.late.sent)" = 0 ] || fail "late.sent before its receiver is up"
receiver tcp "$P_LATE" late
wait_lines late $TOTAL
sleep 0.5
[ "$(lines late)" = $TOTAL ] || fail "late received $(lines late), expected $TOTAL"
[ "$(stat_of forward.late.sent)" = $TOTAL ] || fail "late.sent $(stat_of forward.late.sent)"
[ "$(stat_of forward.late.dead_lettered)" = 0 ] || fail "late dead-lettered alerts"
echo "late receiver: $retried retries while down, then all $TOTAL delivered"

# The tiny queue: one alert in the sender's hands, 2 queued, the rest pushed out to the dead letter.
DL="$DATA/forward/tiny.deadletter.jsonl"
over=$(stat_of forward.tiny.dropped_overflow)
[ "$over" = $((TOTAL - 3)) ] || fail "tiny.dropped_overflow $over, expected $((TOTAL - 3))"
[ "$(stat_of forward.tiny.dead_lettered)" = "$over" ] || fail "tiny.dead_lettered $(stat_of forward.tiny.dead_lettered)"
[ "$(stat_of forward.tiny.queue_depth)" = 2 ] || fail "tiny.queue_depth $(stat_of forward.tiny.queue_depth)"
[ "$(wc -l <"$DL")" = "$over" ] || fail "dead-letter file has $(wc -l <"$DL") lines, expected $over"
[ "$(stat -c %a "$DL")" = 600 ] || fail "dead-letter file mode $(stat -c %a "$DL")"
python3 - "$DL" "$ID" <<'PY' || fail "dead-letter lines are wrong"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert all(r["output"] == "tiny" and r["reason"] == "overflow" and r["alert"]["agent_id"] == sys.argv[2] for r in rows)
assert len({(r["alert"]["alert"]["signature_id"], r["alert"]["timestamp"]) for r in rows}) == len(rows)
PY
echo "PASS: forwarded $TOTAL alerts to syslog udp/tcp(CEF)/tls and a webhook; late receiver caught up; $over overflowed to the dead letter"
