# The capture and the checks of the alert flood tests (sourced, not run):
# tests/integration/alert_flood_test.sh and
# tests/e2e/alert_flood_collector_test.sh. Expects WORK, E2E and fail.
# Writes $WORK/flood.pcap ($N matches of the noisy rule, 1 ms apart, and $Q of
# the quiet one among them) and $WORK/flood.rules; sets EXPECT, the number of
# noisy alerts one worker writes under RATE/BURST; defines summary.
NOISY=9000001 QUIET=9000002
N=3000 Q=5         # noisy matches, 1 ms apart (3 s of packet time); quiet matches
RATE=100 BURST=50  # the limit under test

python3 - "$WORK/flood.pcap" "$E2E" "$N" "$Q" <<'PY'
import struct, sys
sys.path.insert(0, sys.argv[2])
from make_pcap import packet
out, n, q = sys.argv[1], int(sys.argv[3]), int(sys.argv[4])
start = 1767225600 * 1000000
pkts = [(start + i * 1000, packet(i, "VIGILNOISY")) for i in range(n)]
pkts += [(start + 1234567 + j * 300000, packet(n + j, "VIGILQUIET")) for j in range(q)]
pkts.sort(key=lambda p: p[0])
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for t, p in pkts:
        f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(p), len(p)))
        f.write(p)
PY
[ -s "$WORK/flood.pcap" ] || fail "no capture written"
cat >"$WORK/flood.rules" <<R
alert udp any any -> any any (msg:"noisy"; content:"VIGILNOISY"; sid:$NOISY; rev:1;)
alert udp any any -> any any (msg:"quiet"; content:"VIGILQUIET"; sid:$QUIET; rev:1;)
R

# The token bucket over the noisy rule's packet times, as the agent computes
# it (integer micro-tokens): the exact number written with one worker.
EXPECT=$(python3 - "$N" "$RATE" "$BURST" <<'PY'
import sys
n, rate, burst = map(int, sys.argv[1:])
unit, cap = 1000000, burst * 1000000
units, last, ok = cap, 0, 0
for i in range(n):
    now = i * 1000
    dt = min(now - last, cap // rate + 1)
    units, last = min(cap, units + dt * rate), now
    if units >= unit:
        units -= unit
        ok += 1
print(ok)
PY
)
[ "$EXPECT" -gt "$BURST" ] && [ "$EXPECT" -le $((BURST + RATE * 3)) ] || fail "bad expectation $EXPECT"

# summary EVE -> "alerts_noisy alerts_quiet counter dropped_by_sig matches"
# from the alerts and the last stats event (the counters at exit; the
# per-signature summaries summed over every stats event).
summary() {
  python3 - "$1" "$NOISY" "$QUIET" <<'PY'
import json, sys
noisy = quiet = 0
by_sig = 0
last = None
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event_type"] == "alert":
        sid = e["alert"]["signature_id"]
        noisy += sid == int(sys.argv[2])
        quiet += sid == int(sys.argv[3])
    elif e["event_type"] == "stats":
        last = e["stats"]
        for s in last.get("vigil", {}).get("detect", {}).get("alerts_rate_limited_by_signature", []):
            if s["sid"] != int(sys.argv[2]) or s["gid"] != 1:
                sys.exit("rate limited a signature other than the noisy one: %r" % s)
            by_sig += s["dropped"]
if last is None:
    sys.exit("no stats event")
counter = last.get("vigil", {}).get("detect", {}).get("alerts_rate_limited", 0)
print(noisy, quiet, counter, by_sig, last["detect"]["alert"])
PY
}

