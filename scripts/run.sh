#!/usr/bin/env bash
# Installs, builds and runs Vigil for real on this machine: the agent analyses
# a capture the project generates (HTTP, DNS and TLS with a few embedded
# attacks) with the bundled demo rules, writes its events to
# ./vigil-demo/eve.json, prints the alerts, then keeps watching the loopback
# interface live until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bash scripts/install-deps.sh
bash scripts/build.sh build
out=$root/vigil-demo
mkdir -p "$out"
python3 tools/mkpcap.py demo "$out/demo.pcap"
rm -f "$out/eve.json"
echo "== offline: build/agent/vigil-agent -r $out/demo.pcap -S tools/demo.rules -l $out"
build/agent/vigil-agent -r "$out/demo.pcap" -S tools/demo.rules -l "$out" \
  --set outputs.eve.types=alert,flow,stats,http,dns,tls
echo "== alerts:"
python3 - "$out/eve.json" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event_type") == "alert":
        a = e["alert"]
        print("  %s  %s:%s -> %s:%s  [%d] %s" % (e["timestamp"], e["src_ip"], e.get("src_port", ""),
              e["dest_ip"], e.get("dest_port", ""), a["signature_id"], a["signature"]))
PY
echo "== live on interface lo (Ctrl-C to stop); events in $out/live/eve.json"
mkdir -p "$out/live"
exec build/agent/vigil-agent -i lo -S tools/demo.rules -l "$out/live"
