#!/usr/bin/env python3
"""Runs the agent over captures with 1, 2 and 4 workers (or --workers) and
checks that the events are the same (eve_same.py: every event but `stats`, as
a multiset, nothing normalised; and the counters of the last stats event, all
but uptime and the rule engines' load records).

Cases, any mix, each a capture and its rules:
  --caps DIR           every DIR/*.pcap with DIR/invariance.rules
                       (tests/tools/invariance_caps.py writes such a folder)
  --conformance DIR    every DIR/*/expected.json case (pcap, rules, and
                       settings.checksum-checks, read as the scorer does)
  --pcap PCAP RULES    one capture (repeatable)
  --every K            of the conformance cases, only every K-th (the
                       sanitizer build's run, where each agent start costs more)
Generated captures run with the configured checksum mode (auto: sampled),
--pcap with "-k none"; a conformance case with
the engine flags the scorer gives it ("-k none" when its settings say
checksum-checks: none, else the configured default).

Usage: worker_invariance.py --agent BIN --out DIR [cases] [-j N]
Exit 0 when every case gives the same events for every worker count."""
import argparse
import concurrent.futures
import glob
import json
import os
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eve_same  # noqa: E402


def cases_from(a):
    out = []
    for d in a.caps or []:
        rules = os.path.join(d, "invariance.rules")
        for p in sorted(glob.glob(os.path.join(d, "*.pcap"))):
            out.append((os.path.basename(p)[:-5], p, rules, []))
    for d in a.conformance or []:
        for exp_path in sorted(glob.glob(os.path.join(d, "*", "expected.json")))[::a.every]:
            tdir = os.path.dirname(exp_path)
            with open(exp_path, encoding="utf-8") as f:
                exp = json.load(f)
            pcap = os.path.join(tdir, exp.get("pcap", ""))
            rules = os.path.join(tdir, exp.get("rules", "test.rules"))
            if os.path.isfile(pcap) and os.path.isfile(rules):
                none = (exp.get("settings") or {}).get("checksum-checks") == "none"
                out.append(("conformance-" + os.path.basename(tdir), pcap, rules, ["-k", "none"] if none else []))
    for pcap, rules in a.pcap or []:
        out.append((os.path.basename(pcap).rsplit(".", 1)[0], pcap, rules, ["-k", "none"]))
    return out


def run_case(a, case):
    name, pcap, rules, flags = case
    paths = []
    for w in a.workers:
        d = os.path.join(a.out, name, f"w{w}")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        cmd = [a.agent, "-r", pcap, "-S", rules, "-l", d, *flags, "--workers", str(w), "-q"]
        with open(os.path.join(d, "agent.log"), "wb") as log:
            try:
                rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, timeout=a.timeout).returncode
            except subprocess.TimeoutExpired:
                return name, f"FAIL: {w} workers ran past {a.timeout}s"
        if rc != 0:
            return name, f"FAIL: {w} workers: agent exit {rc} (see {d}/agent.log)"
        paths.append(os.path.join(d, "eve.json"))
    ref = eve_same.events(paths[0])
    ref_stats = eve_same.final_stats(paths[0])
    diffs = []
    for w, p in zip(a.workers[1:], paths[1:]):
        sd = eve_same.stats_diff(ref_stats, eve_same.final_stats(p))
        if sd:
            diffs.append(f"{w} workers: final stats differ: " + "; ".join(sd[:10]))
        other = eve_same.events(p)
        if other != ref:
            only_ref, only_other = ref - other, other - ref
            diffs.append(f"{w} workers: {sum(only_ref.values())} events only with {a.workers[0]} "
                         f"{eve_same.by_type(only_ref)}, {sum(only_other.values())} only with {w} "
                         f"{eve_same.by_type(only_other)}")
    if diffs:
        return name, "DIFFER: " + "; ".join(diffs) + f" (compare with tests/tools/eve_same.py {a.out}/{name}/w*)"
    return name, f"same ({sum(ref.values())} events)"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--agent", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--caps", action="append")
    ap.add_argument("--conformance", action="append")
    ap.add_argument("--pcap", nargs=2, action="append", metavar=("PCAP", "RULES"))
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("-j", type=int, default=2)
    a = ap.parse_args()
    a.workers = [int(x) for x in a.workers.split(",")]
    cases = cases_from(a)
    if not cases:
        print("no cases", file=sys.stderr)
        return 2
    bad = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.j) as ex:
        for name, verdict in ex.map(lambda c: run_case(a, c), cases):
            if not verdict.startswith("same"):
                bad += 1
            print(f"{name}: {verdict}", flush=True)
    print(f"{len(cases) - bad} of {len(cases)} cases give the same events with {a.workers} workers")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
