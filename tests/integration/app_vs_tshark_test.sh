#!/usr/bin/env bash
# App-layer transaction logs against tshark on a generated capture:
#   http events        == tshark's HTTP requests
#   dns query events   == tshark's DNS queries (names too)
#   dns answer events  == tshark's DNS responses (names too)
#   tls events' SNIs   == tshark's ClientHello server names (same values)
# Needs tshark, python3 and ../shared/bench/gen_traffic.py; exits 77 (skip)
# when any is missing. $1 = build dir, $2 = source dir.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
GEN="$SRC/../shared/bench/gen_traffic.py"
AGENT="$BUILD/agent/vigil-agent"
for tool in tshark python3; do
  command -v "$tool" >/dev/null || { echo "skip: $tool not installed"; exit 77; }
done
[ -f "$GEN" ] || { echo "skip: $GEN not found"; exit 77; }
[ -x "$AGENT" ] || { echo "skip: $AGENT not built"; exit 77; }

WORK="$BUILD/app_vs_tshark"
rm -rf "$WORK"
mkdir -p "$WORK/out"
python3 "$GEN" --out "$WORK/app.pcap" --size-mb 20 --seed 3 --quiet
"$AGENT" -r "$WORK/app.pcap" -l "$WORK/out" -k none \
  --set outputs.eve.types=alert,flow,stats,http,dns,tls,ssh >"$WORK/agent.log" 2>&1 ||
  { cat "$WORK/agent.log"; exit 1; }

# tshark's view. Decode-as is not needed: the generator uses standard ports
# for everything tshark dissects by port.
tshark -r "$WORK/app.pcap" -Y http.request -T fields -e http.request.method -e http.host \
  2>/dev/null >"$WORK/tshark_http.txt"
tshark -r "$WORK/app.pcap" -Y "dns.flags.response == 0" -T fields -e dns.id -e dns.qry.name \
  2>/dev/null >"$WORK/tshark_dns.txt"
tshark -r "$WORK/app.pcap" -Y "dns.flags.response == 1" -T fields -e dns.id -e dns.qry.name \
  2>/dev/null >"$WORK/tshark_dns_resp.txt"
tshark -r "$WORK/app.pcap" -Y "tls.handshake.type == 1 && tls.handshake.extensions_server_name" -T fields \
  -e tls.handshake.extensions_server_name 2>/dev/null >"$WORK/tshark_sni.txt"

python3 - "$WORK" <<'PY'
import collections, json, sys
work = sys.argv[1]
ev = collections.defaultdict(list)
with open(f"{work}/out/eve.json") as f:
    for line in f:
        e = json.loads(line)
        ev[e["event_type"]].append(e)

def lines(name):
    with open(f"{work}/{name}") as f:
        return [l.rstrip("\n") for l in f if l.strip()]

ok = True
def check(what, ours, theirs):
    global ok
    good = ours == theirs
    ok &= good
    print(f"{'ok  ' if good else 'FAIL'} {what}: vigil {ours if isinstance(ours, int) else len(ours)}"
          f" tshark {theirs if isinstance(theirs, int) else len(theirs)}")
    if not good and not isinstance(ours, int):
        print("   only vigil:", list((ours - theirs).elements())[:10])
        print("   only tshark:", list((theirs - ours).elements())[:10])

http = [e for e in ev["http"] if "http_method" in e["http"]]
check("http requests", len(http), len(lines("tshark_http.txt")))
check("http methods+hosts",
      collections.Counter((e["http"]["http_method"], e["http"].get("hostname", "")) for e in http),
      collections.Counter(tuple((l.split("\t") + ["", ""])[:2]) for l in lines("tshark_http.txt")))
# Suricata 7: a `query` event per question when the request is seen, an
# `answer` event per response (the generator's queries have one question).
def tshark_names(name):
    c = collections.Counter()
    for l in lines(name):
        parts = l.split("\t")
        c[(parts[1] if len(parts) > 1 else "").split(",")[0]] += 1
    return c

def dns_names(kind):
    return collections.Counter(e["dns"].get("rrname", "") for e in ev["dns"] if e["dns"].get("type") == kind)

check("dns queries", dns_names("query"), tshark_names("tshark_dns.txt"))
check("dns answers", dns_names("answer"), tshark_names("tshark_dns_resp.txt"))
sni = collections.Counter(e["tls"]["sni"] for e in ev["tls"] if "sni" in e["tls"])
check("tls sni", sni, collections.Counter(lines("tshark_sni.txt")))
sys.exit(0 if ok else 1)
PY
