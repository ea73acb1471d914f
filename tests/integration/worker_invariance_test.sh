#!/usr/bin/env bash
# Worker invariance: the agent's events (flows, alerts, transaction logs;
# every event but stats) and the counters of its final stats event (all but
# uptime and the rule engines' load records) are the same whether it runs 1,
# 2 or 4 workers.
# Over 14 generated captures (tests/tools/invariance_caps.py: TCP/UDP/ICMP
# over IPv4 and IPv6, ICMP errors quoting those flows, GRE/VXLAN/IP-in-IP/
# Teredo tunnels, fragments in and out of order and overlapping, VLANs, idle
# timeouts, checksum "auto" mode on a capture from an offloading host) and,
# when ../shared is there, over the conformance cases and two
# small captures of the bench generator with the ET Open rules.
# First the comparison is shown to fail on two runs that differ, and the
# generated captures to contain what they claim (so this test can fail).
# Usage: worker_invariance_test.sh BUILD_DIR SOURCE_DIR [SHARED_DIR]
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
shared=${3:-$(cd "$src/.." && pwd)/shared}
agent=$build/agent/vigil-agent
tools=$src/tests/tools
work=$build/worker_invariance
fail() {
  echo "FAIL: $*"
  exit 1
}
# same_events ARGS...: worker_invariance.py; prints the summary, or every case
# that differs when one does.
same_events() {
  python3 "$tools/worker_invariance.py" --agent "$agent" --out "$work/runs" -j 2 "$@" >"$work/log" || {
    grep -v ': same' "$work/log"
    return 1
  }
  tail -n 1 "$work/log"
}
rm -rf "$work/caps" "$work/runs"
mkdir -p "$work"
python3 "$tools/invariance_caps.py" "$work/caps" --count 12

# The comparison can fail: one flow event less, one field of an event
# changed, or one counter of the final stats changed, each differs.
one=$work/caps/inv-001.pcap
rm -rf "$work/self"
mkdir -p "$work/self"
"$agent" -r "$one" -S "$work/caps/invariance.rules" -l "$work/self" -k none -q
e=$work/self/eve.json
tail -n 1 "$e" | grep -q '"event_type":"stats"' || fail "the last event is not the final stats"
n=$(grep -m1 -n '"event_type":"flow"' "$e" | cut -d: -f1)
sed "${n}d" "$e" >"$work/self/fewer.json"
sed '0,/"pkts_toserver":\([0-9]*\)/s//"pkts_toserver":9\1/' "$e" >"$work/self/changed.json"
sed '$ s/"pkts":\([0-9]*\)/"pkts":9\1/' "$e" >"$work/self/stats.json"
python3 "$tools/eve_same.py" "$e" "$e" >/dev/null || fail "a run differs from itself"
for f in fewer changed stats; do
  cmp -s "$e" "$work/self/$f.json" && fail "the self-check did not change $f.json"
  if python3 "$tools/eve_same.py" "$e" "$work/self/$f.json" >/dev/null; then
    fail "eve_same.py finds no difference in $f.json"
  fi
done

# The generated captures hold what they claim: the one-worker runs decode
# every tunnel kind, reassemble IPv4 and IPv6 fragments (with overlaps), count
# ICMP errors on the flows they quote and alert on every rule.
same_events --caps "$work/caps" ||
  fail "events differ with the number of workers (generated captures)"
python3 - "$work/runs" "$work/caps/invariance.rules" <<'PY' || fail "the generated captures miss something"
import glob, json, re, sys
runs, rules = sys.argv[1], sys.argv[2]
stats, sids = {}, set()
for path in glob.glob(runs + "/*/w1/eve.json"):
    last = None
    for line in open(path):
        e = json.loads(line)
        if e["event_type"] == "stats":
            last = e
        elif e["event_type"] == "alert":
            sids.add(e["alert"]["signature_id"])

    def walk(d, p=""):
        for k, v in d.items():
            if isinstance(v, dict):
                walk(v, p + k + ".")
            elif isinstance(v, int):
                stats[p + k] = stats.get(p + k, 0) + v
    walk(last["stats"])
need = ["decoder.gre", "decoder.vxlan", "decoder.teredo", "decoder.ipv4_in_ipv4", "decoder.ipv6_in_ipv4",
        "decoder.vlan", "decoder.vlan_qinq", "defrag.ipv4.reassembled", "defrag.ipv6.reassembled",
        "defrag.overlap", "flow.end.timeout", "flow.icmpv4", "flow.icmpv6", "checksum.auto_disabled"]
# By name or as the tail of a longer one (the stats layout may nest names).
missing = [n for n in need if not any(v for k, v in stats.items() if k == n or k.endswith("." + n))]
want = {int(s) for s in re.findall(r"sid:(\d+);", open(rules).read())}
if missing or want - sids:
    print("missing counters:", missing, "rules that never fired:", sorted(want - sids))
    sys.exit(1)
PY
echo "generated captures: same events with 1, 2 and 4 workers"

if [ ! -d "$shared/conformance/suricata-verify" ]; then
  echo "no $shared: conformance and bench captures not checked"
  exit 0
fi
# In the sanitizer build every agent start and packet costs several times as
# much: there a third of the conformance cases and one bench capture, with 1
# and 4 workers (the generated captures above run in full in both builds).
if ldd "$agent" 2>/dev/null | grep -q libasan; then
  sample=(--every 3 --workers 1,4) seeds="11"
else
  sample=() seeds="11 12"
fi
same_events --conformance "$shared/conformance/suricata-verify" "${sample[@]}" ||
  fail "events differ with the number of workers (conformance cases)"
bench_args=()
for s in $seeds; do
  [ -s "$work/bench-$s.pcap" ] || python3 "$shared/bench/gen_traffic.py" --out "$work/bench-$s.pcap" --size-mb 8 \
    --seed $s --ipv6-fraction 0.3 --vlan-fraction 0.3 --quiet
  bench_args+=(--pcap "$work/bench-$s.pcap" "$shared/rulesets/et-open")
done
same_events "${bench_args[@]}" "${sample[@]}" ||
  fail "events differ with the number of workers (bench captures)"
