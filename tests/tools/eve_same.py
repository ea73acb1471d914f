#!/usr/bin/env python3
"""Compares the events of EVE files written by runs of the same capture with
different numbers of workers: every event except `stats` (whose counters are
sampled by wall clock and summed over workers at different moments), as a
multiset of canonical JSON lines. Nothing else is normalised: flow ids,
timestamps, counts and ordering-free contents must be identical.
Then the last `stats` event (written after every worker finished): every
counter must be equal but `uptime`, what sits in lists (the rule engines'
load records: wall-clock load times) and the flow tables' allocation gauges
(`flow.memuse`, `vigil.flow.hash_buckets`: each worker's table grows with
its own share of the flows, so the sum depends on the number of tables). Packets, drops, decoder, defrag, flow,
TCP, app-layer, detection and output counts are all compared.

With --live (runs of a live capture, where packet times and the order of
arrival are not the same from run to run): the times and the values derived
from them (timestamp, flow_id, pcap_cnt, start, end, age, at any depth) are
left out, and the final stats are not compared.

Usage: eve_same.py [--live] REFERENCE.json OTHER.json [OTHER.json ...]
Exit 0 when every OTHER equals REFERENCE, 1 otherwise (the differing events,
at most 10 per side, and a count per event type are printed)."""
import collections
import json
import sys


LIVE = False
TIME_KEYS = {"timestamp", "flow_id", "pcap_cnt", "start", "end", "age"}


def strip_times(v):
    if isinstance(v, dict):
        return {k: strip_times(x) for k, x in v.items() if k not in TIME_KEYS}
    if isinstance(v, list):
        return [strip_times(x) for x in v]
    return v


def events(path):
    out = collections.Counter()
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            ev = json.loads(line)
            if ev.get("event_type") == "stats":
                continue
            if LIVE:
                ev = strip_times(ev)
            out[json.dumps(ev, sort_keys=True)] += 1
    return out


PER_TABLE_GAUGES = {"flow.memuse", "vigil.flow.hash_buckets"}


def final_stats(path):
    """Counters of the last stats event, flattened to dotted names."""
    last = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if '"stats"' in line:
                ev = json.loads(line)
                if ev.get("event_type") == "stats":
                    last = ev
    out = {}

    def walk(d, prefix):
        for k, v in d.items():
            if isinstance(v, dict):
                walk(v, prefix + k + ".")
            elif not isinstance(v, list) and k != "uptime" and prefix + k not in PER_TABLE_GAUGES:
                out[prefix + k] = v

    walk((last or {}).get("stats", {}), "")
    return out


def stats_diff(a, b):
    """Names whose values differ, as 'name: a != b'."""
    return [f"{k}: {a.get(k)} != {b.get(k)}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def by_type(c):
    t = collections.Counter()
    for k, n in c.items():
        t[json.loads(k).get("event_type")] += n
    return dict(sorted(t.items()))


def main(argv):
    global LIVE
    if len(argv) > 1 and argv[1] == "--live":
        LIVE = True
        argv = argv[:1] + argv[2:]
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    ref = events(argv[1])
    ref_stats = final_stats(argv[1])
    ok = True
    for other_path in argv[2:]:
        other = events(other_path)
        sd = [] if LIVE else stats_diff(ref_stats, final_stats(other_path))
        if sd:
            ok = False
            print(f"DIFFER: {argv[1]} vs {other_path}: final stats: " + "; ".join(sd[:20]))
        if other == ref:
            continue
        ok = False
        only_ref, only_other = ref - other, other - ref
        print(f"DIFFER: {argv[1]} vs {other_path}: {sum(only_ref.values())} events only in the first, "
              f"{sum(only_other.values())} only in the second")
        print(f"  types only in the first:  {by_type(only_ref)}")
        print(f"  types only in the second: {by_type(only_other)}")
        for name, c in (("first", only_ref), ("second", only_other)):
            for k in sorted(c)[:10]:
                print(f"  only in {name}: {k}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
