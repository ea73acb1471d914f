#!/usr/bin/env python3
"""Minimal HTTPS client for the e2e tests (stdlib only).
Usage: api.py METHOD URL CAFILE [BEARER] [BODY_FILE]
Prints the status code on the first line and the body after it."""
import ssl
import sys
import urllib.error
import urllib.request


def main():
    method, url, cafile = sys.argv[1], sys.argv[2], sys.argv[3]
    bearer = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
    data = open(sys.argv[5], "rb").read() if len(sys.argv) > 5 else None
    ctx = ssl.create_default_context(cafile=cafile)
    req = urllib.request.Request(url, data=data, method=method)
    if bearer:
        req.add_header("Authorization", "Bearer " + bearer)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            status, body = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read()
    print(status)
    print(body.decode("utf-8", "replace"))


if __name__ == "__main__":
    main()
