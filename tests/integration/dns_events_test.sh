#!/usr/bin/env bash
# DNS events as Suricata 7 writes them, on a capture this project generates
# (tests/tools/eve_traffic.py: UDP and TCP, IPv4 and IPv6, every answer kind,
# a two-question query, an unanswered query, an unsolicited response):
#   `type: query` events  == tshark's DNS questions (names, as a multiset)
#   `type: answer` events == tshark's DNS responses (names, as a multiset)
#   outputs.eve.dns.requests=false / responses=false turn each kind off alone;
#   types=[aaaa,srv] keeps only those questions' events; formats=[grouped]
#   drops the detailed `answers` and keeps `grouped`.
# Needs tshark and python3 (exits 77 without them). $1 = build dir, $2 = source dir.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
AGENT="$BUILD/agent/vigil-agent"
for tool in tshark python3; do
  command -v "$tool" >/dev/null || { echo "skip: $tool not installed"; exit 77; }
done
[ -x "$AGENT" ] || { echo "skip: $AGENT not built"; exit 77; }
WORK=$(mktemp -d /tmp/vigil-dns.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

python3 "$SRC/tests/tools/eve_traffic.py" "$WORK/t.pcap" "$WORK/t.rules"
run() {  # run NAME [--set ...]
  local name=$1
  shift
  mkdir -p "$WORK/$name"
  timeout 60 "$AGENT" -r "$WORK/t.pcap" -l "$WORK/$name" -k none --set outputs.eve.types=dns "$@" \
    >"$WORK/$name.log" 2>&1 || { cat "$WORK/$name.log"; exit 1; }
}
run all
run noreq --set outputs.eve.dns.requests=false
run noresp --set outputs.eve.dns.responses=false
run types --set outputs.eve.dns.types=aaaa,srv --set outputs.eve.dns.formats=grouped
tshark -r "$WORK/t.pcap" -Y "dns.flags.response == 0" -T fields -e dns.qry.name 2>/dev/null >"$WORK/q.txt"
tshark -r "$WORK/t.pcap" -Y "dns.flags.response == 1" -T fields -e dns.qry.name 2>/dev/null >"$WORK/r.txt"

python3 - "$WORK" <<'PY'
import collections, json, sys
work = sys.argv[1]

def events(name):
    with open(f"{work}/{name}/eve.json") as f:
        return [json.loads(l)["dns"] for l in f]

def names(kind, evs):
    return collections.Counter(d.get("rrname", "") for d in evs if d.get("type") == kind)

def tshark(name, split):
    c = collections.Counter()
    with open(f"{work}/{name}") as f:
        for line in f:
            qs = line.rstrip("\n").split(",")
            for q in (qs if split else qs[:1]):
                c[q] += 1
    return c

ok = True
def check(what, ours, theirs):
    global ok
    good = ours == theirs
    ok &= good
    print(f"{'ok  ' if good else 'FAIL'} {what}: vigil {sum(ours.values())}, expected {sum(theirs.values())}")
    if not good:
        print("   only vigil:", list((ours - theirs).elements())[:10])
        print("   only tshark:", list((theirs - ours).elements())[:10])

all_ = events("all")
# One query event per question, one answer event per response (its first question's name).
check("query events = tshark's questions", names("query", all_), tshark("q.txt", True))
check("answer events = tshark's responses", names("answer", all_), tshark("r.txt", False))
check("requests=false: no query events", names("query", events("noreq")), collections.Counter())
check("requests=false: answers unchanged", names("answer", events("noreq")), names("answer", all_))
check("responses=false: no answer events", names("answer", events("noresp")), collections.Counter())
check("responses=false: queries unchanged", names("query", events("noresp")), names("query", all_))
types = events("types")
want = [d for d in all_ if d.get("rrtype") in ("AAAA", "SRV")]
check("types=[aaaa,srv]: those events only", names("query", types) + names("answer", types),
      names("query", want) + names("answer", want))
if not want or any("answers" in d for d in types) or not any("grouped" in d for d in types):
    print("FAIL: formats=[grouped]: answers left in, or no grouped answers at all")
    ok = False
if sum(names("query", all_).values()) < 20 or sum(names("answer", all_).values()) < 20:
    print("FAIL: the generated capture has too few DNS messages")
    ok = False
sys.exit(0 if ok else 1)
PY
