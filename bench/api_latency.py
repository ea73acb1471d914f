#!/usr/bin/env python3
"""Times GET requests against a running collector: N requests per path over
one TLS keep-alive connection, prints p50/p95/p99/max in milliseconds.

  bench/api_latency.py --url https://127.0.0.1:PORT --ca DIR/ca.pem --key API_KEY [-n 100] [--pid PID] PATH...

With --pid (the collector's process id, same machine) it also prints the
collector's CPU time per request (user+sys from /proc), which a busy shared
machine inflates much less than the wall-clock times.

A PATH may contain {id}: replaced by the id of one of the newest 100 alerts
(GET /api/v1/alerts?limit=100), a different one per request.
"""
import argparse
import http.client
import json
import os
import ssl
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("-n", type=int, default=100)
    ap.add_argument("--pid", type=int)
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    u = urllib.parse.urlparse(a.url)
    ctx = ssl.create_default_context(cafile=a.ca)
    conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=60)
    hdr = {"Authorization": "Bearer " + a.key}

    def get(path):
        conn.request("GET", path, headers=hdr)
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise SystemExit(f"{path}: HTTP {r.status} {body[:200]!r}")
        return body

    ids = [x["id"] for x in json.loads(get("/api/v1/alerts?limit=100"))["alerts"]] or [1]
    def cpu_s():
        if not a.pid:
            return 0.0
        with open(f"/proc/{a.pid}/stat") as f:
            v = f.read().rsplit(")", 1)[1].split()
        return (int(v[11]) + int(v[12])) / os.sysconf("SC_CLK_TCK")

    print(f"{'path':<70} {'n':>5} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8} {'cpu/req':>8}  (ms)")
    for p in a.paths:
        get(p.replace("{id}", str(ids[0])))  # warm-up
        t = []
        c0 = cpu_s()
        for i in range(a.n):
            path = p.replace("{id}", str(ids[i % len(ids)]))
            t0 = time.perf_counter()
            get(path)
            t.append((time.perf_counter() - t0) * 1000)
        cpu = (cpu_s() - c0) * 1000 / a.n
        t.sort()
        q = lambda f: t[min(len(t) - 1, int(f * len(t)))]
        print(f"{p:<70} {a.n:>5} {q(0.5):8.1f} {q(0.95):8.1f} {q(0.99):8.1f} {t[-1]:8.1f} {cpu:8.1f}")


if __name__ == "__main__":
    main()
