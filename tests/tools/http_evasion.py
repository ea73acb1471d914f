#!/usr/bin/env python3
"""HTTP evasion cases: writes a pcap with one TCP connection per case, a rules
file with one rule per case, and a JSON list of the cases with the number of
alerts each must raise.

Every case hides a unique marker in an HTTP body (a server response for
`file_data`, a request for `http.request_body`) behind one evasion, or a pair of
them, and sends it in one of several segmentations. The expected count does
not come from the IDS under test: the raw response is parsed by Python's
http.client (from a socket-like object) and the content codings are undone with
zlib, as a browser does; a marker found there must alert once. Where Python's
client rejects the message or reads it differently from browsers, the case
carries an explicit expectation and a note saying what the common clients do.

Usage: http_evasion.py OUTDIR   (writes OUTDIR/http_evasion.pcap, .rules, .json)
       http_evasion.py --check OUTDIR EVE_JSON [KNOWN]   (compares the alerts;
       exit 1 on any mismatch, printing each failing case's name; KNOWN lists
       cases known to fail today, one name a line: they must still fail, so
       the list only shrinks)
Python 3 standard library only.
"""
import gzip
import http.client
import io
import itertools
import json
import os
import struct
import sys
import zlib
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from pcaplib import csum, pcap_header, pcap_record_us  # noqa: E402

# --------------------------------------------------------------------------
# Bodies and content codings


def make_body(marker):
    pre = b"<html><body>" + b"padding text " * 8
    post = b" more padding " * 8 + b"</body></html>\n"
    return pre + marker + post


def gzip_member(data, flags=0, name=b"", extra=b"", comment=b""):
    """A gzip member written by hand so every header flag can be set."""
    hdr = b"\x1f\x8b\x08" + bytes([flags]) + struct.pack("<I", 1700000000) + b"\x00\x03"
    if flags & 4:
        hdr += struct.pack("<H", len(extra)) + extra
    if flags & 8:
        hdr += name + b"\x00"
    if flags & 16:
        hdr += comment + b"\x00"
    if flags & 2:
        hdr += struct.pack("<H", zlib.crc32(hdr) & 0xFFFF)
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    raw = c.compress(data) + c.flush()
    return hdr + raw + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


def raw_deflate(data):
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


# Each coding: (Content-Encoding value or None, encode(body) -> bytes, note).
CODINGS = {
    "gzip": ("gzip", lambda b: gzip.compress(b), ""),
    "x-gzip": ("x-gzip", lambda b: gzip.compress(b), ""),
    "gzip-upper": ("GZIP", lambda b: gzip.compress(b), "coding names are case-insensitive"),
    "deflate-zlib": ("deflate", lambda b: zlib.compress(b), "RFC 9110 deflate: zlib wrapper"),
    "deflate-raw": ("deflate", raw_deflate, "browsers also accept raw deflate under 'deflate'"),
    "gzip-fextra": ("gzip", lambda b: gzip_member(b, 4, extra=b"AB\x02\x00xy"), ""),
    "gzip-fname": ("gzip", lambda b: gzip_member(b, 8, name=b"index.html"), ""),
    "gzip-fcomment": ("gzip", lambda b: gzip_member(b, 16, comment=b"a comment"), ""),
    "gzip-fhcrc": ("gzip", lambda b: gzip_member(b, 2), ""),
    "gzip-allflags": ("gzip", lambda b: gzip_member(b, 2 | 4 | 8 | 16, b"n", b"XY\x00\x00", b"c"), ""),
    "gzip-concat": (
        "gzip",
        lambda b: gzip.compress(b[: len(b) // 2 + 3]) + gzip.compress(b[len(b) // 2 + 3 :]),
        "two gzip members; the marker is split across them",
    ),
    "gzip-trailing": ("gzip", lambda b: gzip.compress(b) + b"\x00garbage after the stream", ""),
    "identity": ("identity", lambda b: b, ""),
    "unknown": ("x-vigil-unknown", lambda b: b, "an unknown coding: shown as sent"),
    "gzip-gzip": ("gzip, gzip", lambda b: gzip.compress(gzip.compress(b)), "nested codings"),
    "gzip-deflate": ("deflate, gzip", lambda b: gzip.compress(zlib.compress(b)), "nested codings"),
    "identity-gzip": ("identity, gzip", lambda b: gzip.compress(b), ""),
    "gzip-in-clear": ("gzip", lambda b: b, "declared gzip, sent in clear: inspected as sent"),
    "gzip-clear-bomb-free": ("gzip", lambda b: b"\x1f\x8b" + b, "gzip magic then clear text: shown as sent"),
}


def undo_one(coding, data):
    """Undoes one content coding as browsers do; None when it does not decode."""
    c = coding.strip().lower()
    if c in ("gzip", "x-gzip"):
        out, rest = b"", data
        while rest[:2] == b"\x1f\x8b":  # every gzip member; trailing bytes ignored
            d = zlib.decompressobj(16 + 15)
            try:
                out += d.decompress(rest)
            except zlib.error:
                return out or None
            if not d.eof:
                return out or None
            rest = d.unused_data
        return out if data[:2] == b"\x1f\x8b" else None
    if c == "deflate":
        for wbits in (15, -15):
            try:
                d = zlib.decompressobj(wbits)
                out = d.decompress(data)
                return out
            except zlib.error:
                continue
        return None
    if c == "identity":
        return data
    return None  # unknown: left as sent


def decode_content(ce, data):
    """Undoes the listed codings, last applied first; what cannot be undone is
    shown as sent (the body of a mislabelled response is what the user sees)."""
    if not ce:
        return data
    for coding in reversed([c for c in ce.split(",") if c.strip()]):
        out = undo_one(coding, data)
        if out is None:
            return data
        data = out
    return data


# --------------------------------------------------------------------------
# Framings (how the message body is delimited)


def chunks(data, sizes):
    out, i, k = [], 0, 0
    while i < len(data):
        n = sizes[k % len(sizes)]
        out.append(data[i : i + n])
        i += n
        k += 1
    return out


SPLIT = [7, 40, 3, 100]  # chunk sizes chosen so the marker spans chunks


def chunked(data, size_fmt="%x", ext=b"", eol=b"\r\n", last=b"0\r\n\r\n"):
    out = b""
    for part in chunks(data, SPLIT):
        out += (size_fmt % len(part)).encode() + ext + eol + part + eol
    return out + last


# Each framing: (headers to add, encode(body) -> wire bytes, closes after, note).
FRAMINGS = {
    "content-length": (lambda n: [("Content-Length", str(n))], lambda b: b, False, ""),
    "close": (lambda n: [], lambda b: b, True, "no length: the body runs to the close"),
    "chunked": (lambda n: [("Transfer-Encoding", "chunked")], lambda b: chunked(b), False, ""),
    "chunk-ext": (
        lambda n: [("Transfer-Encoding", "chunked")],
        lambda b: chunked(b, ext=b';name="v";x'),
        False,
        "",
    ),
    "chunk-upper": (lambda n: [("Transfer-Encoding", "chunked")], lambda b: chunked(b, "%X"), False, ""),
    "chunk-zeros": (lambda n: [("Transfer-Encoding", "chunked")], lambda b: chunked(b, "000%x"), False, ""),
    "chunk-space": (lambda n: [("Transfer-Encoding", "chunked")], lambda b: chunked(b, "%x  "), False, ""),
    "chunk-tab": (lambda n: [("Transfer-Encoding", "chunked")], lambda b: chunked(b, "%x\t"), False, ""),
    "chunk-nofinalcrlf": (
        lambda n: [("Transfer-Encoding", "chunked")],
        lambda b: chunked(b, last=b"0\r\n"),
        True,
        "",
    ),
    "chunk-trailers": (
        lambda n: [("Transfer-Encoding", "chunked")],
        lambda b: chunked(b, last=b"0\r\nX-Trailer: 1\r\nX-Other: 2\r\n\r\n"),
        False,
        "",
    ),
    "chunk-lf": (
        lambda n: [("Transfer-Encoding", "chunked")],
        lambda b: chunked(b, eol=b"\n", last=b"0\n\n"),
        False,
        "LF-only chunk lines: Python's client fails on them, Chrome and Firefox accept them",
    ),
    "te-case": (lambda n: [("Transfer-Encoding", "ChUnKeD")], lambda b: chunked(b), False, ""),
    "te-list": (
        lambda n: [("Transfer-Encoding", "identity, chunked")],
        lambda b: chunked(b),
        False,
        "chunked last in the list: dechunked (RFC 9112 6.1); Python only dechunks a bare 'chunked'",
    ),
    "te-two-headers": (
        lambda n: [("Transfer-Encoding", "gzip"), ("Transfer-Encoding", "chunked")],
        lambda b: chunked(b),
        False,
        "two TE fields combine to 'gzip, chunked': dechunked; the gzip transfer coding is not applied "
        "by browsers, the data is not gzipped",
    ),
    "cl-conflict": (
        lambda n: [("Content-Length", str(n)), ("Content-Length", str(n + 40))],
        lambda b: b,
        True,
        "two different lengths: the first covers the body; browsers refuse, Python and curl read it",
    ),
    "cl-and-chunked": (
        lambda n: [("Content-Length", "5"), ("Transfer-Encoding", "chunked")],
        lambda b: chunked(b),
        False,
        "RFC 9112 6.3: Transfer-Encoding overrides Content-Length",
    ),
}

# LF-only chunk lines: Python reads the 2 bytes after chunk data as the CRLF and
# fails; Chrome's and Firefox's chunked decoders accept a bare LF there.
PY_REJECTS_LF_CHUNKS = {"chunk-lf"}

# Framings whose body a client that dechunks a plain 'chunked' decodes though
# Python's http.client does not (it only dechunks when TE is exactly 'chunked').
PY_NOT_DECHUNKED = {"te-list", "te-two-headers"}


# --------------------------------------------------------------------------
# Head oddities: (status line, line end, extra headers placed last, note,
# python-independent expectation or None)

HEADS = {
    "plain": (b"HTTP/1.1 200 OK", b"\r\n", [], "", None),
    "no-reason": (b"HTTP/1.1 200", b"\r\n", [], "", None),
    "extra-spaces": (b"HTTP/1.1   200    OK", b"\r\n", [], "", None),
    "lowercase": (
        b"http/1.1 200 ok",
        b"\r\n",
        [],
        "Python rejects a lowercase version; Chrome reads the version case-insensitively",
        1,
    ),
    "bare-lf": (b"HTTP/1.1 200 OK", b"\n", [], "", None),
    "bare-cr": (
        b"HTTP/1.1 200 OK",
        b"\r",
        [],
        "lone CR line ends: Python sees one long line; the http-evader suite shows browsers that end "
        "lines at a lone CR (RFC 9112 2.2 lets a recipient treat it as SP instead)",
        1,
    ),
    "hdr-tab-value": (b"HTTP/1.1 200 OK", b"\r\n", [b"X-Tab: a\tb"], "", None),
    "hdr-vt-value": (b"HTTP/1.1 200 OK", b"\r\n", [b"X-Vt: a\x0bb"], "", None),
    "hdr-nul-value": (b"HTTP/1.1 200 OK", b"\r\n", [b"X-Nul: a\x00b"], "", None),
    "hdr-tab-name": (b"HTTP/1.1 200 OK", b"\r\n", [b"X-A\tB: v"], "", None),
    "hdr-nul-name": (b"HTTP/1.1 200 OK", b"\r\n", [b"X-\x00N: v"], "", None),
    "hdr-lone-lf": (b"HTTP/1.1 200 OK", b"\r\n", [b"X-Lf: a\nX-After: b"], "", None),
}

# HTTP/1.0 status lines: chunked is HTTP/1.1 framing; they pair only with
# non-chunked framings (clients disagree on chunked below 1.1).
HEADS_10 = {
    "http10": (b"HTTP/1.0 200 OK", b"\r\n", [], "", None),
}


# --------------------------------------------------------------------------
# Python's reading of a response


class FakeSocket:
    def __init__(self, data):
        self.data = data

    def makefile(self, *_a, **_k):
        return io.BytesIO(self.data)


def python_body(raw, method="GET"):
    """The decoded body Python's http.client (+ zlib) gets; None when it rejects."""
    try:
        r = http.client.HTTPResponse(FakeSocket(raw), method=method)
        r.begin()
        body = r.read()
    except (http.client.HTTPException, ValueError):
        return None
    return decode_content(r.getheader("Content-Encoding"), body)


# --------------------------------------------------------------------------
# Cases


class Case:
    def __init__(self, name, direction, request, response, expect, note, seg):
        self.name, self.direction = name, direction
        self.request, self.response = request, response
        self.expect, self.note, self.seg = expect, note, seg


def response_case(idx, coding, framing, head, seg):
    marker = b"VGLEVADE%05dZ" % idx
    body = make_body(marker)
    ce, enc, cnote = CODINGS[coding] if coding else (None, lambda b: b, "")
    entity = enc(body)
    fh, fenc, closes, fnote = FRAMINGS[framing]
    status, eol, extra, hnote, hexpect = (HEADS | HEADS_10)[head]
    headers = [("Server", "t"), ("Content-Type", "text/html")]
    if ce:
        headers.append(("Content-Encoding", ce))
    headers += fh(len(entity))
    lines = [status] + [f"{k}: {v}".encode() for k, v in headers] + extra
    raw = eol.join(lines) + eol + eol + fenc(entity)
    request = b"GET /case/%d HTTP/1.1\r\nHost: example.com\r\nAccept-Encoding: gzip, deflate\r\n\r\n" % idx
    notes = [n for n in (cnote, fnote, hnote) if n]
    got = python_body(raw)
    expect = 1 if got is not None and marker in got else 0
    if hexpect is not None:
        expect = hexpect
    elif framing in PY_NOT_DECHUNKED | PY_REJECTS_LF_CHUNKS:
        expect = 1  # a client dechunks; see the framing's note
    name = "resp/" + "+".join(x for x in (coding, framing if framing != "content-length" else "", head if head != "plain" else "") if x)
    if got is None and hexpect is None:
        notes.append("Python's client rejects it")
    return Case(name + "/" + seg, "resp", request, (raw, closes), expect, "; ".join(notes), seg), marker


def http09_case(idx, seg):
    marker = b"VGLEVADE%05dZ" % idx
    raw = make_body(marker)
    req = b"GET /case/%d HTTP/1.1\r\nHost: example.com\r\n\r\n" % idx
    note = "no status line (HTTP/0.9): Python rejects it; Chrome and Firefox show it as the body on port 80"
    return Case("resp/http09/" + seg, "resp", req, (raw, True), 1, note, seg), marker


# Request bodies: (framing, head line end, extra headers)
def request_case(idx, framing, eol, extra, seg):
    marker = b"VGLEVADE%05dZ" % idx
    body = make_body(marker)
    fh, fenc, _closes, fnote = FRAMINGS[framing]
    headers = [("Host", "example.com"), ("Content-Type", "application/x-www-form-urlencoded")] + fh(len(body))
    head_lines = [f"{k}: {v}".encode() for k, v in headers] + extra
    wire = fenc(body)
    raw = eol.join([b"POST /submit/%d HTTP/1.1" % idx] + head_lines) + eol + eol + wire
    # Framing rules are the same for requests and responses once a request has
    # a length or chunked coding: read it through Python's response parser.
    as_resp = eol.join([b"HTTP/1.1 200 OK"] + head_lines) + eol + eol + wire
    got = python_body(as_resp)
    expect = 1 if got is not None and marker in got else 0
    if framing in PY_NOT_DECHUNKED | PY_REJECTS_LF_CHUNKS:
        expect = 1
    tag = "+".join(x for x in (framing, {b"\n": "bare-lf", b"\r\n": ""}[eol], "ctl-hdr" if extra else "") if x)
    resp = (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", False)
    return Case("req/" + tag + "/" + seg, "req", raw, resp, expect, fnote, seg), marker


def uri_case(idx, version, seg, buffer):
    """A request target with spaces; Suricata 8 takes what lies between the
    method and the last ' HTTP/' as the URI (Python's http.server refuses the
    line, so the expectation is Suricata's)."""
    marker = b"VGLEVADE%05dZ" % idx
    target = b"/dir one/" + marker + b" two?q=a b"
    req = b"GET " + target + b" " + version + b"\r\nHost: example.com\r\n\r\n"
    resp = (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", False)
    note = "URI with spaces: Suricata 8 reads up to the last ' HTTP/'"
    c = Case("uri/spaces-%s-%s/%s" % (version.decode().lower().replace("/", "").replace(".", ""), buffer, seg), "req", req, resp, 1, note, seg)
    c.buffer, c.content = buffer, target
    return c, marker


def all_cases():
    cases = []

    def add(c_and_m):
        cases.append(c_and_m)

    idx = 0
    singles = []
    for c in CODINGS:
        singles.append((c, "content-length", "plain"))
    for f in FRAMINGS:
        if f != "content-length":
            singles.append((None, f, "plain"))
    for h in list(HEADS) + list(HEADS_10):
        if h != "plain":
            singles.append((None, "content-length", h))
    for s in singles:
        for seg in ("whole", "1byte", "vary"):
            add(response_case(idx, *s, seg))
            idx += 1
    for seg in ("whole", "1byte"):
        add(http09_case(idx, seg))
        idx += 1
    # Pairs across the three kinds; segmentation rotates so that every pair is
    # also seen split.
    segs = itertools.cycle(["whole", "vary", "1byte", "split-head"])
    pairs = []
    for c in CODINGS:
        for f in FRAMINGS:
            if f != "content-length":
                pairs.append((c, f, "plain"))
        for h in list(HEADS) + list(HEADS_10):
            if h != "plain":
                pairs.append((c, "content-length", h))
    for f in FRAMINGS:
        if f == "content-length":
            continue
        for h in HEADS:
            if h != "plain":
                pairs.append((None, f, h))
        if f in ("close", "cl-conflict"):
            pairs.append((None, f, "http10"))
    for p in pairs:
        add(response_case(idx, *p, next(segs)))
        idx += 1
    # Requests.
    ctl = [b"X-Vt: a\x0bb", b"X-A\tB: v"]
    for f in FRAMINGS:
        if f in ("close", "chunk-nofinalcrlf", "cl-conflict"):
            continue  # a request has no body without a length; conflicts shown on responses
        for eol, extra in ((b"\r\n", []), (b"\n", []), (b"\r\n", ctl)):
            for seg in ("whole", "1byte") if not extra and eol == b"\r\n" else (next(segs),):
                add(request_case(idx, f, eol, extra, seg))
                idx += 1
    for version in (b"HTTP/1.1", b"HTTP/1.0"):
        for buffer in ("http.uri", "http.uri.raw"):
            for seg in ("whole", "1byte"):
                add(uri_case(idx, version, seg, buffer))
                idx += 1
    return cases


# --------------------------------------------------------------------------
# Pcap


def tcp_packet(src, dst, sport, dport, seq, ack, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00" + ip + tcp


def segment(data, seg, head_len):
    if not data:
        return []
    if seg == "whole":
        return chunks(data, [1400])
    if seg == "1byte":
        return chunks(data, [1])
    if seg == "split-head":
        cut = max(1, min(head_len - 2, len(data) - 1))
        return [data[:cut]] + chunks(data[cut:], [1400])
    return chunks(data, [1, 2, 3, 5, 8, 13, 21, 34])  # "vary"


def head_len(raw):
    for sep in (b"\r\n\r\n", b"\n\n", b"\r\r"):
        i = raw.find(sep)
        if i >= 0:
            return i + len(sep)
    return len(raw)


def write_pcap(path, cases):
    t = [1767225600 * 1000000]

    def put(f, pkt):
        t[0] += 1000
        f.write(pcap_record_us(t[0], pkt))

    with open(path, "wb") as f:
        f.write(pcap_header())
        for i, (case, _m) in enumerate(cases):
            cli = bytes([10, 1, (i >> 8) & 0xFF, i & 0xFF])
            srv = bytes([10, 2, 0, 1])
            cp, sp = 20000 + i, 80
            cs, ss = 1000, 5000
            put(f, tcp_packet(cli, srv, cp, sp, cs, 0, 0x02, b""))
            put(f, tcp_packet(srv, cli, sp, cp, ss, cs + 1, 0x12, b""))
            cs += 1
            ss += 1
            put(f, tcp_packet(cli, srv, cp, sp, cs, ss, 0x10, b""))
            req = case.request
            rseg = case.seg if case.direction == "req" else "whole"
            for part in segment(req, rseg, head_len(req)):
                put(f, tcp_packet(cli, srv, cp, sp, cs, ss, 0x18, part))
                cs += len(part)
                put(f, tcp_packet(srv, cli, sp, cp, ss, cs, 0x10, b""))
            raw, _closes = case.response
            sseg = case.seg if case.direction == "resp" else "whole"
            for part in segment(raw, sseg, head_len(raw)):
                put(f, tcp_packet(srv, cli, sp, cp, ss, cs, 0x18, part))
                ss += len(part)
                put(f, tcp_packet(cli, srv, cp, sp, cs, ss, 0x10, b""))
            # The server closes (which ends a close-delimited body), then the client.
            put(f, tcp_packet(srv, cli, sp, cp, ss, cs, 0x11, b""))
            ss += 1
            put(f, tcp_packet(cli, srv, cp, sp, cs, ss, 0x11, b""))
            cs += 1
            put(f, tcp_packet(srv, cli, sp, cp, ss, cs, 0x10, b""))


def generate(outdir):
    os.makedirs(outdir, exist_ok=True)
    cases = all_cases()
    write_pcap(os.path.join(outdir, "http_evasion.pcap"), cases)
    meta = []
    with open(os.path.join(outdir, "http_evasion.rules"), "w") as r:
        for i, (c, marker) in enumerate(cases):
            sid = 100000 + i
            kw = "file_data" if c.direction == "resp" else "http.request_body"
            flow = "to_client" if c.direction == "resp" else "to_server"
            content = marker.decode()
            if hasattr(c, "buffer"):
                kw, content = c.buffer, c.content.decode()
            r.write(
                f'alert http any any -> any any (msg:"{c.name}"; flow:established,{flow}; {kw}; '
                f'content:"{content}"; sid:{sid}; rev:1;)\n'
            )
            meta.append({"sid": sid, "name": c.name, "expect": c.expect, "note": c.note})
    with open(os.path.join(outdir, "http_evasion.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(f"{len(cases)} cases written to {outdir}")


def check(outdir, eve_path, known_path=None):
    known = set()
    if known_path:
        with open(known_path) as f:
            known = {l.strip() for l in f if l.strip() and not l.startswith("#")}
    with open(os.path.join(outdir, "http_evasion.json")) as f:
        meta = json.load(f)
    got = {}
    with open(eve_path) as f:
        for line in f:
            e = json.loads(line)
            if e.get("event_type") == "alert":
                sid = e["alert"]["signature_id"]
                got[sid] = got.get(sid, 0) + 1
    bad = failing = 0
    for m in meta:
        n = got.get(m["sid"], 0)
        if n != m["expect"]:
            failing += 1
            if m["name"] in known:
                continue
            bad += 1
            print(f"FAIL {m['name']}: {n} alerts, expected {m['expect']}" + (f" ({m['note']})" if m["note"] else ""))
        elif m["name"] in known:
            bad += 1
            print(f"FAIL {m['name']}: passes now; remove it from the known failures")
    print(f"{len(meta) - failing} of {len(meta)} cases pass ({len(known)} known to fail)")
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) in (4, 5) and sys.argv[1] == "--check":
        sys.exit(check(*sys.argv[2:]))
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    generate(sys.argv[1])
