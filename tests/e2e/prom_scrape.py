#!/usr/bin/env python3
"""Fetches a /metrics page and parses it with prometheus_client's parser (the
one Prometheus users rely on); exits 1 with the reason when it is not valid.
Usage: prom_scrape.py URL [CAFILE] [BEARER]
Prints the status on the first line, then (for 200) one JSON object
{"content_type": ..., "samples": {"name{k=v,...}": value}} (labels sorted)."""
import json
import ssl
import sys
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def main():
    url = sys.argv[1]
    cafile = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
    bearer = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
    req = urllib.request.Request(url)
    if bearer:
        req.add_header("Authorization", "Bearer " + bearer)
    ctx = ssl.create_default_context(cafile=cafile) if cafile else None
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            status, ctype, body = r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        print(e.code)
        return
    print(status)
    samples, names = {}, set()
    for fam in text_string_to_metric_families(body.decode("utf-8")):
        if fam.name in names:
            sys.exit("family %s appears twice" % fam.name)
        names.add(fam.name)
        for s in fam.samples:
            key = s.name + "{" + ",".join("%s=%s" % kv for kv in sorted(s.labels.items())) + "}"
            if key in samples:
                sys.exit("sample %s appears twice" % key)
            samples[key] = s.value
    print(json.dumps({"content_type": ctype, "samples": samples}))


if __name__ == "__main__":
    main()
