#!/usr/bin/env bash
# Installs, builds and runs Vigil for real on this machine:
#  1. starts the collector (embedded SQLite store, self-made CA) on
#     https://127.0.0.1:8443 (VIGIL_LISTEN to change) with its data in ./vigil-demo/collector;
#  2. creates an admin user "admin" with a random password (printed at the
#     end; kept in ./vigil-demo/admin-password), an admin API key for scripts
#     and an enrolment token, and enrols an agent with it;
#  3. the agent analyses a capture the project generates (HTTP, DNS and TLS
#     with a few embedded attacks) with the bundled demo rules and ships the
#     alerts to the collector, then keeps watching the loopback interface live
#     (alerts to ./vigil-demo/live/eve.json and to the collector) until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
listen=${VIGIL_LISTEN:-127.0.0.1:8443}
bash scripts/install-deps.sh
bash scripts/build.sh build
out=$root/vigil-demo
data=$out/collector
state=$out/agent-state
mkdir -p "$out"
col=build/collector/vigil-collector
agent=build/agent/vigil-agent

echo "== collector: $col serve --data-dir $data --listen $listen"
$col serve --data-dir "$data" --listen "$listen" > "$out/collector.log" 2>&1 &
col_pid=$!
trap 'kill $col_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -f "$data/ca.pem" ] && curl -s --cacert "$data/ca.pem" "https://$listen/api/v1/agents" -o /dev/null && break; sleep 0.1; done
key=$($col apikey create --role admin --data-dir "$data" | tail -n 1)
# The first admin: a random password, made once and kept (mode 0600) for later runs.
if [ ! -s "$out/admin-password" ]; then
  (umask 077; python3 -c 'import secrets; print(secrets.token_urlsafe(18))' > "$out/admin-password")
  $col user add admin --role admin --data-dir "$data" < "$out/admin-password" >/dev/null 2>&1 ||
    $col user passwd admin --data-dir "$data" < "$out/admin-password" >/dev/null  # the file was lost
fi
password=$(cat "$out/admin-password")
if [ ! -f "$state/agent.json" ]; then
  token=$($col token create --data-dir "$data" --ttl 1h --uses 1 | tail -n 1)
  $agent enroll --collector "https://$listen" --token "$token" --ca-file "$data/ca.pem" --state-dir "$state"
fi

python3 tools/mkpcap.py demo "$out/demo.pcap"
rm -f "$out/eve.json"
echo "== agent, offline: $agent -r $out/demo.pcap -S tools/demo.rules -l $out --state-dir $state"
$agent -r "$out/demo.pcap" -S tools/demo.rules -l "$out" --state-dir "$state" --drain-timeout 30 -q \
  --set outputs.eve.types=alert,flow,stats,http,dns,tls
echo "== alerts stored by the collector:"
curl -s --cacert "$data/ca.pem" -H "Authorization: Bearer $key" "https://$listen/api/v1/alerts?limit=20" |
  python3 -c '
import json, sys
d = json.load(sys.stdin)
print("  total: %d" % d["total"])
for a in d["alerts"]:
    e = a.get("event", a)
    al = e.get("alert", {})
    print("  %s  %s -> %s  [%s] %s" % (e.get("timestamp", ""), e.get("src_ip", ""), e.get("dest_ip", ""),
          al.get("signature_id", a.get("sid")), al.get("signature", a.get("signature"))))
'
cat <<TXT

Vigil is running.
  collector:  https://$listen   (CA certificate: $data/ca.pem; log: $out/collector.log)
  web UI:     https://$listen/   (in a browser on this machine; trust $data/ca.pem or accept the certificate)
  login:      user admin, password $password   (POST https://$listen/api/v1/session)
  API key:    (admin, for scripts) $key
              e.g. curl --cacert $data/ca.pem -H "Authorization: Bearer $key" https://$listen/api/v1/alerts
  API docs:   https://$listen/api/v1/openapi.json
  agent:      watching interface lo live; events in $out/live/eve.json and on the collector
  stop:       Ctrl-C
TXT
mkdir -p "$out/live"
$agent -i lo -S tools/demo.rules -l "$out/live" --state-dir "$state" -q
