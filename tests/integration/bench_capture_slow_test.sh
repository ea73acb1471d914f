#!/usr/bin/env bash
# On a capture from ../shared/bench/gen_traffic.py (VLAN and IPv6 included):
#  - TCP and UDP flow events equal tshark's conversation counts;
#  - the stats event shows no decode anomalies on this well-formed traffic;
#  - bench.rules alerts per sid equal the generator's truth file;
#  - the same events with 1 and 2 workers.
# Skips (77) when ../shared or tshark is missing.
set -euo pipefail
build=$1
src=$2
shared=$(cd "$src/.." && pwd)/shared
gen=$shared/bench/gen_traffic.py
[ -f "$gen" ] || { echo "no $gen: skipped"; exit 77; }
command -v tshark >/dev/null || { echo "no tshark: skipped"; exit 77; }
agent=$build/agent/vigil-agent
work=$build/bench_capture_test
rm -rf "$work"
mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }
size=${VIGIL_BENCH_TEST_MB:-40}
seed=${VIGIL_BENCH_TEST_SEED:-5}
python3 "$gen" --out "$work/b.pcap" --size-mb "$size" --seed "$seed" --attack-rate 0.02 --quiet
for w in 1 2; do
  "$agent" -r "$work/b.pcap" -S "$shared/bench/bench.rules" -l "$work/w$w" --workers $w -q \
    || fail "agent exit status $? ($w workers)"
done
tcp_conv=$(tshark -r "$work/b.pcap" -q -z conv,tcp 2>/dev/null | grep -c '<->' || true)
udp_conv=$(tshark -r "$work/b.pcap" -q -z conv,udp 2>/dev/null | grep -c '<->' || true)
python3 - "$work" "$tcp_conv" "$udp_conv" "$work/b.truth.json" <<'PY'
import json, sys, collections
work, tcp_conv, udp_conv, truth = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def load(path):
    ev = [json.loads(l) for l in open(path)]
    return ev
ok = True
def check(cond, msg):
    global ok
    print(("ok   " if cond else "FAIL ") + msg)
    ok = ok and cond
ev1 = load(work + "/w1/eve.json")
flows = collections.Counter(e["proto"] for e in ev1 if e["event_type"] == "flow")
check(flows["TCP"] == tcp_conv, "TCP flow events %d == tshark conv,tcp %d" % (flows["TCP"], tcp_conv))
check(flows["UDP"] == udp_conv, "UDP flow events %d == tshark conv,udp %d" % (flows["UDP"], udp_conv))
stats = [e for e in ev1 if e["event_type"] == "stats"][-1]["stats"]
def walk(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from walk(v, prefix + k + ".")
        else:
            yield prefix + k, v
# Decoder events Suricata also counts sit in stats.decoder, Vigil's own in stats.vigil.decoder.
anomalies = {k: v for sec in (stats, stats.get("vigil", {})) for k, v in walk(sec.get("decoder", {}), "decoder.")
             if ".event." in k and v}
check(not anomalies, "no decode anomalies: %s" % (anomalies or "none"))
want = {int(k): v for k, v in json.load(open(truth))["expected_alerts_by_sid"].items()}
got = collections.Counter(e["alert"]["signature_id"] for e in ev1 if e["event_type"] == "alert")
for sid in sorted(set(want) | set(got)):
    check(want.get(sid, 0) == got.get(sid, 0), "sid %d alerts %d == truth %d" % (sid, got.get(sid, 0), want.get(sid, 0)))
def canon(evs):
    return sorted(json.dumps(e, sort_keys=True) for e in evs if e["event_type"] != "stats")
ev2 = load(work + "/w2/eve.json")
check(canon(ev1) == canon(ev2), "same events with 1 and 2 workers (%d events)" % len(canon(ev1)))
sys.exit(0 if ok else 1)
PY
rm -f "$work/b.pcap"
