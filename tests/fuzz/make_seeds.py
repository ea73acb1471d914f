#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/
(except config/, written by hand). Deterministic; rerun after changing it and
commit the result. Seeds are small: hand-built frames and streams, rules from
tools/demo.rules and the rules tests, wire bodies, query strings."""
import json
import os
import re
import struct
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from pcaplib import csum  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")
GENERATED = ["decode", "app_http", "app_dns", "app_tls", "app_ssh", "wire", "reassembly", "rules", "ingest",
             "query", "ruleset", "app_smtp", "app_ftp", "app_smb", "app_http2"]


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def ipv4(proto, payload, src="10.0.0.1", dst="10.0.0.2", ident=1, frag=0):
    s = bytes(int(x) for x in src.split(".")) if isinstance(src, str) else src
    d = bytes(int(x) for x in dst.split(".")) if isinstance(dst, str) else dst
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0, s, d)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def tcp(sp, dp, seq, ack, flags, payload=b""):
    return struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload


def udp(sp, dp, payload):
    return struct.pack("!HHHH", sp, dp, 8 + len(payload), 0) + payload


def eth(payload, etype=0x0800, vlan=None):
    h = b"\x00\x11\x22\x33\x44\x55" + b"\x66\x77\x88\x99\xaa\xbb"
    if vlan is not None:
        h += struct.pack("!HH", 0x8100, vlan)
    return h + struct.pack("!H", etype) + payload


def ipv6(nh, payload):
    src = bytes.fromhex("20010db8000000000000000000000001")
    dst = bytes.fromhex("20010db8000000000000000000000002")
    return struct.pack("!IHBB", 6 << 28, len(payload), nh, 64) + src + dst + payload


DNS_Q = (struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + b"\x07example\x03com\x00" + struct.pack("!HH", 1, 1))
DNS_A = (struct.pack("!HHHHHH", 0x1234, 0x8180, 1, 1, 0, 0) + b"\x07example\x03com\x00" + struct.pack("!HH", 1, 1) +
         b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + bytes([93, 184, 216, 34]))
HTTP_REQ = b"GET /index.html?a=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.0\r\nCookie: s=1\r\n\r\n"
HTTP_POST = (b"POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
             b"5\r\nhello\r\n0\r\n\r\n")
HTTP_RESP = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/html\r\nServer: x\r\n\r\nhello"
SSH_C = b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n" + struct.pack("!IBB", 12, 6, 20) + b"\x00" * 10
FTP_GREET = b"220-Welcome\r\n220 (vsFTPd 3.0.3)\r\n"
FTP_C = b"USER anonymous\r\nPASS x@y\r\nPASV\r\nEPSV\r\nRETR /pub/a.txt\r\nQUIT\r\n"
FTP_S = (b"331 Password\r\n230 ok\r\n227 Entering Passive Mode (10,0,0,2,195,80).\r\n"
         b"229 Entering Extended Passive Mode (|||6446|)\r\n150 Opening\r\n226 done\r\n221 bye\r\n")
SSH_S = b"SSH-2.0-OpenSSH_8.4\r\n" + struct.pack("!IBB", 12, 6, 20) + b"\x11" * 10


def client_hello(sni=b"example.com"):
    ext_sni = struct.pack("!HHHBH", 0, len(sni) + 5, len(sni) + 3, 0, len(sni)) + sni
    ext_alpn = struct.pack("!HHHB", 16, 5, 3, 2) + b"h2"
    exts = ext_sni + ext_alpn + struct.pack("!HHH", 10, 4, 2) + b"\x00\x1d"
    body = (b"\x03\x03" + bytes(range(32)) + b"\x00" + struct.pack("!H", 4) + b"\x13\x01\xc0\x2f" + b"\x01\x00" +
            struct.pack("!H", len(exts)) + exts)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def server_hello():
    body = b"\x03\x03" + bytes(range(32, 64)) + b"\x00" + b"\xc0\x2f" + b"\x00" + b"\x00\x00"
    hs = b"\x02" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x03" + struct.pack("!H", len(hs)) + hs


def decode_seeds():
    # First byte: index into decode_fuzz.cpp's link types (0: Ethernet, 1: null, 2: loop, 3: raw ...).
    put("decode", "eth_tcp_syn", b"\x00" + eth(ipv4(6, tcp(40000, 80, 1000, 0, 0x02))))
    put("decode", "eth_tcp_http", b"\x00" + eth(ipv4(6, tcp(40000, 80, 1001, 5001, 0x18, HTTP_REQ))))
    put("decode", "eth_udp_dns", b"\x00" + eth(ipv4(17, udp(5353, 53, DNS_Q))))
    put("decode", "eth_vlan_udp", b"\x00" + eth(ipv4(17, udp(1000, 2000, b"abc")), etype=0x0800, vlan=42))
    put("decode", "eth_icmp_echo", b"\x00" + eth(ipv4(1, struct.pack("!BBHHH", 8, 0, 0, 1, 1) + b"ping")))
    quoted = ipv4(6, tcp(40000, 80, 1, 0, 0x02))
    put("decode", "eth_icmp_unreach", b"\x00" + eth(ipv4(1, struct.pack("!BBHI", 3, 3, 0, 0) + quoted)))
    put("decode", "eth_ipv6_tcp", b"\x00" + eth(ipv6(6, tcp(40000, 443, 1, 0, 0x02)), etype=0x86DD))
    put("decode", "eth_ipv6_udp", b"\x00" + eth(ipv6(17, udp(1000, 53, DNS_Q)), etype=0x86DD))
    inner = ipv4(17, udp(1000, 2000, b"x" * 40), ident=7)
    body = inner[20:]
    put("decode", "eth_frag1", b"\x00" + eth(ipv4(17, body[:24], ident=7, frag=0x2000)))
    put("decode", "eth_frag2", b"\x00" + eth(ipv4(17, body[24:], ident=7, frag=3)))
    gre = struct.pack("!HH", 0, 0x0800) + ipv4(6, tcp(1, 2, 3, 4, 0x10))
    put("decode", "eth_gre", b"\x00" + eth(ipv4(47, gre)))
    vx = struct.pack("!II", 0x08000000, 0x00012300) + eth(ipv4(17, udp(1, 2, b"in")))
    put("decode", "eth_vxlan", b"\x00" + eth(ipv4(17, udp(5000, 4789, vx))))
    put("decode", "eth_arp", b"\x00" + eth(struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + b"\x00" * 20, etype=0x0806))
    put("decode", "raw_ipv4", b"\x03" + ipv4(6, tcp(40000, 22, 1, 0, 0x02)))
    put("decode", "null_ipv4", b"\x01" + struct.pack("<I", 2) + ipv4(17, udp(1, 53, DNS_Q)))
    put("decode", "ipip", b"\x03" + ipv4(4, ipv4(17, udp(1, 2, b"tun"))))


SMTP_GREET = b"220 mx.example.org ESMTP\r\n"
SMTP_CLIENT = (b"EHLO c.example.com\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"
               b"From: a@example.com\r\nTo: b@example.org\r\nSubject: s\r\n"
               b"Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\n"
               b"Content-Transfer-Encoding: quoted-printable\r\n\r\nsoft=\r\n=3D..\r\n..dot\r\n--B\r\n"
               b"Content-Disposition: attachment; filename=\"x.bin\"\r\n"
               b"Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8gd29ybGQ=\r\n--B--\r\n.\r\nQUIT\r\n")
SMTP_REPLIES = b"250-mx\r\n250 PIPELINING\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n221 bye\r\n"


def app_records(chunks):
    """fuzz_harness.h format: [ctl][payload], ctl bit 7 = to client, len = (ctl & 63) + 1."""
    out = b""
    for to_client, data in chunks:
        for i in range(0, len(data), 64):
            piece = data[i:i + 64]
            out += bytes([(0x80 if to_client else 0) | (len(piece) - 1)]) + piece
    return out


def app_seeds():
    put("app_http", "get", app_records([(0, HTTP_REQ), (1, HTTP_RESP)]))
    put("app_http", "post_chunked", app_records([(0, HTTP_POST), (1, HTTP_RESP)]))
    put("app_http", "gap", app_records([(0, HTTP_REQ[:20])]) + b"\x45" + app_records([(1, HTTP_RESP)]))
    put("app_http", "two", app_records([(0, HTTP_REQ + HTTP_REQ), (1, HTTP_RESP + HTTP_RESP)]))
    # app_dns: first byte bit 0 = TCP (length-prefixed), else each chunk a datagram.
    put("app_dns", "udp", b"\x00" + app_records([(0, DNS_Q), (1, DNS_A)]))
    put("app_dns", "tcp", b"\x01" + app_records([(0, struct.pack("!H", len(DNS_Q)) + DNS_Q),
                                                 (1, struct.pack("!H", len(DNS_A)) + DNS_A)]))
    put("app_tls", "hello", app_records([(0, client_hello()), (1, server_hello())]))
    put("app_tls", "hello_nosni", app_records([(0, client_hello(b"")), (1, server_hello())]))
    put("app_ssh", "banners", app_records([(0, SSH_C), (1, SSH_S)]))
    put("app_smtp", "session", app_records([(1, SMTP_GREET), (0, SMTP_CLIENT), (1, SMTP_REPLIES)]))
    put("app_smtp", "bdat", app_records([(1, SMTP_GREET), (0, b"EHLO a\r\nMAIL FROM:<a@b>\r\nBDAT 12\r\n"
                                                             b"Subject: x\r\nBDAT 3 LAST\r\nabcQUIT\r\n"),
                                         (1, b"250 a\r\n250 b\r\n250 c\r\n250 d\r\n")]))
    put("app_smtp", "starttls", app_records([(1, SMTP_GREET), (0, b"EHLO a\r\nSTARTTLS\r\n"),
                                             (1, b"250 a\r\n220 go\r\n"), (0, client_hello())]))
    put("app_ftp", "session", app_records([(1, FTP_GREET), (0, FTP_C), (1, FTP_S)]))
    put("app_ftp", "active", app_records([(1, FTP_GREET), (0, b"PORT 10,0,0,1,4,1\r\nEPRT |2|::1|7000|\r\n"),
                                          (1, b"200 ok\r\n200 ok\r\n")]))
    put("app_ftp", "auth_tls", app_records([(1, FTP_GREET), (0, b"AUTH TLS\r\n\x16\x03\x01\x00\x05hello"),
                                            (1, b"234 go\r\n\x17\x03\x03")]))
    put("app_ftp", "gap", app_records([(1, FTP_GREET), (0, FTP_C[:12])]) + b"\x45" + app_records([(0, FTP_C)]))
    smb_seeds()
    http2_seeds()


def h2_frame(typ, flags, sid, payload):
    return struct.pack("!I", len(payload))[1:] + bytes([typ, flags]) + struct.pack("!I", sid) + payload


def http2_seeds():
    """HPACK by hand: static-table indices (0x82 GET, 0x86 http, 0x84 /, 0x88 200), a literal
    :authority with incremental indexing (0x41), then its dynamic-table entry 62 (0xbe)."""
    pre = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    settings = h2_frame(4, 0, 0, struct.pack("!HI", 1, 4096))
    req1 = b"\x82\x86\x84\x41\x0bexample.com"
    req3 = b"\x82\x86\xbe\x04\x05/page"
    resp = b"\x88"
    c = pre + settings + h2_frame(1, 5, 1, req1) + h2_frame(1, 4, 3, req3) + h2_frame(0, 1, 3, b"body")
    s = settings + h2_frame(4, 1, 0, b"") + h2_frame(1, 4, 1, resp) + h2_frame(0, 1, 1, b"hello") + \
        h2_frame(1, 5, 3, resp) + h2_frame(6, 0, 0, b"\0" * 8) + h2_frame(7, 0, 0, b"\0" * 8)
    put("app_http2", "session", app_records([(0, c), (1, s)]))
    cont = pre + h2_frame(1, 0x28, 1, b"\x02" + b"\0\0\0\0\x10" + req1[:4] + b"\0\0") + \
        h2_frame(9, 4, 1, req1[4:]) + h2_frame(0, 9, 1, b"\x01ab\0") + h2_frame(3, 0, 1, b"\0\0\0\x08")
    put("app_http2", "continuation_padding", app_records([(0, cont), (1, settings)]))
    put("app_http2", "gap", app_records([(0, c[:60])]) + b"\x45" + app_records([(0, c[60:]), (1, s)]))
    put("app_http2", "long_frame", app_records([(0, pre + h2_frame(1, 5, 1, req1)),
                                               (1, h2_frame(1, 4, 1, resp) + h2_frame(0, 1, 1, b"x" * 300))]))


def smb_seeds():
    sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))
    import smb_capture as s  # noqa: E402  (the integration test's message builders)
    neg, setup = s.negotiate(), s.session_setup()
    tree = s.tree(2, "\\\\srv\\share", 5, 1)
    create = (s.create_req(3, 5, "a.txt"), s.create_resp(3, 5, s.FID, 4))
    rw = s.write(4, 5, s.FID, b"data")
    msgs = [neg, setup, tree, create, rw]
    put("app_smb", "session", app_records([(d, s.nb(x)) for pair in msgs for d, x in ((0, pair[0]), (1, pair[1]))]))
    ones = b"\xff" * 16
    comp = s.compound(s.create_req(10, 5, "b.txt"), s.read_req(11, 0xFFFFFFFF, ones, s.RELATED, 2**64 - 1),
                      s.close_req(12, 0xFFFFFFFF, ones, s.RELATED, 2**64 - 1))
    pending = s.hdr(8, 11, s.RESP | s.ASYNC, 0x103) + struct.pack("<HBBI", 9, 0, 0, 0) + b"\0"
    put("app_smb", "compound", app_records([(0, s.nb(comp)), (1, s.nb(pending)), (1, s.nb(s.create_resp(10, 5, s.FID, 1)))]))
    smb1 = s.smb1(0x72, False, 1, data=b"\x02NT LM 0.12\0") + s.smb1(0x75, False, 2, b"\xff\0" + struct.pack("<HHH", 0, 0, 1),
                                                                    b"\0" + s.u16("\\\\srv\\IPC$") + b"\0\0?????\0")
    put("app_smb", "smb1", app_records([(0, smb1), (1, s.smb1(0x72, True, 1, struct.pack("<H", 0) + b"\0" * 32))]))
    pipe = [s.tree(7, "\\\\srv\\IPC$", 9, 2), (s.create_req(8, 9, "srvsvc"), s.create_resp(8, 9, s.PIPE_FID, 0)),
            s.write(20, 9, s.PIPE_FID, s.dce_bind()),
            (s.read_req(21, 9, s.PIPE_FID), s.read_resp(21, 9, s.dce_bind_ack()))]
    put("app_smb", "dcerpc", app_records([(d, s.nb(x)) for pair in pipe for d, x in ((0, pair[0]), (1, pair[1]))]))
    put("app_smb", "gap", app_records([(0, s.nb(neg[0])[:30])]) + b"\x45" + app_records([(0, s.nb(tree[0]))]))
    # Files: WRITEs that overlap and jump, a gap inside WRITE data, READs at two offsets, CLOSE.
    w1, w2 = s.write(4, 5, s.FID, bytes(range(200))), s.write(5, 5, s.FID, bytes(range(100, 250)))
    w2 = (w2[0][:72] + struct.pack("<Q", 150) + w2[0][80:], w2[1])  # Offset 150: overlaps the first
    w3 = s.nb(s.write(6, 5, s.FID, b"x" * 300)[0])
    reads = [(s.read_req(7, 5, s.FID, length=100), s.read_resp(7, 5, b"r" * 100)),
             (s.read_req(8, 5, s.FID, offset=400, length=50), s.read_resp(8, 5, b"s" * 50)),
             (s.close_req(9, 5, s.FID), s.close_resp(9, 5))]
    head = [neg, setup, tree, create, w1, w2]
    put("app_smb", "files", app_records([(d, s.nb(x)) for pair in head for d, x in ((0, pair[0]), (1, pair[1]))] +
                                        [(0, w3[:150])]) + b"\x50" +
        app_records([(0, w3[166:])] + [(d, s.nb(x)) for pair in reads for d, x in ((0, pair[0]), (1, pair[1]))]))


def eve_alert(i):
    return json.dumps({"timestamp": "2026-01-02T03:04:0%d.000000+0000" % (i % 10), "event_type": "alert",
                       "src_ip": "10.0.0.%d" % i, "src_port": 40000 + i, "dest_ip": "10.0.0.2", "dest_port": 80,
                       "proto": "TCP", "app_proto": "http", "community_id": "1:abc=",
                       "alert": {"action": "allowed", "gid": 1, "signature_id": 1000 + i, "rev": 1,
                                 "signature": "VIGIL test %d" % i, "category": "Misc activity", "severity": 3},
                       "http": {"hostname": "example.com", "url": "/x?%d" % i, "http_method": "GET"}},
                      separators=(",", ":"))


def batch(agent, seq, events):
    return json.dumps({"agent_id": agent, "batch_seq": seq,
                       "events": [{"uid": ("%064x" % (0xab00 + seq * 100 + i)), "eve": json.loads(e)}
                                  for i, e in enumerate(events)]}, separators=(",", ":"))


def wire_seeds():
    flow = json.dumps({"timestamp": "2026-01-02T03:04:05.000000+0000", "event_type": "flow", "src_ip": "10.0.0.1",
                       "dest_ip": "10.0.0.2", "proto": "UDP", "flow": {"pkts_toserver": 1}}, separators=(",", ":"))
    for t in ("wire", "ingest"):
        put(t, "batch1", batch("ag-1", 1, [eve_alert(1), eve_alert(2)]))
        put(t, "batch2_mixed", batch("ag-1", 2, [eve_alert(3), flow]))
        put(t, "batch_empty", batch("ag-1", 3, []))
        put(t, "batch_other_agent", batch("ag-2", 1, [eve_alert(4)]))
    put("ingest", "batch1_reused", batch("ag-1", 1, [eve_alert(5)]))
    put("wire", "heartbeat", json.dumps({"hostname": "sensor-1", "agent_version": "0.1.0",
                                         "ruleset_version": "v1", "stats": {"capture": {"kernel_drops": 0}}}))
    put("wire", "enroll", json.dumps({"token": "t" * 32, "hostname": "sensor-1", "agent_version": "0.1.0"}))
    put("wire", "ack", json.dumps({"acked_seq": 3, "stored": 2, "duplicates": 0, "duplicate_batch": False}))
    put("wire", "conflict", json.dumps({"error": "batch_seq reused", "detail": "x", "highest_seq": 9}))


def reassembly_seeds():
    def rec(ctl, off, ln, x=0):
        return struct.pack("!BHBB", ctl, off, ln, x)
    hdr = b"\x00" + struct.pack("!II", 1000, 5000)
    # In order, both directions, FINs.
    put("reassembly", "in_order", hdr + rec(0x20, 0, 100) + rec(0xa0, 0, 200) + rec(0x24, 100, 0) + rec(0xa4, 200, 0))
    # Out of order with overlaps that differ, then an ACK over a hole.
    put("reassembly", "ooo_overlap", hdr + rec(0x00, 50, 50) + rec(0x40, 40, 30) + rec(0x00, 0, 60) +
        rec(0x00, 200, 10) + rec(0x86, 300, 0) + rec(0x04, 400, 0))
    # Wrap around 2^32, RST.
    put("reassembly", "wrap_rst", b"\x00" + struct.pack("!II", 0xFFFFFF00, 0xFFFFFFF0) + rec(0x10, 0, 30) +
        rec(0x90, 0, 10) + rec(0x05, 480, 0))
    # Midstream, small depth and memcap, time passing.
    put("reassembly", "midstream_depth", b"\x07" + struct.pack("!II", 7, 9) + rec(0x10, 100, 80) + rec(0x10, 0, 90) +
        rec(0x90, 10, 4) + rec(0x07, 0, 0, 200))
    put("reassembly", "bad_csum_timeout", b"\x00" + struct.pack("!II", 1, 2) + rec(0x08, 0, 20) + rec(0x00, 0, 20) +
        rec(0x07, 0, 0, 255) + rec(0x07, 0, 0, 255) + rec(0x00, 20, 5))


def rules_seeds():
    texts = []
    with open(os.path.join(ROOT, "tools", "demo.rules")) as f:
        texts.append(f.read())
    one = []
    for fn in sorted(os.listdir(os.path.join(ROOT, "tests", "rules"))):
        if fn.endswith(".cpp"):
            with open(os.path.join(ROOT, "tests", "rules", fn)) as f:
                src = f.read()
            one += re.findall(r'R"\(((?:alert|drop|pass|reject) [^\n]*?\))\)"', src)
            one += [r for r in re.findall(r'"((?:alert|drop|pass|reject) [^"\n\\]*?sid:\s*\d+;[^"\n\\]*\))"', src)]
    one = sorted(set(one))
    extra = [
        'alert tcp $HOME_NET any -> $EXTERNAL_NET [80,443,8000:8080] (msg:"x"; flow:established,to_server; '
        'content:"abc"; offset:2; depth:10; pcre:"/a.c/i"; byte_test:2,>,10,0,relative; sid:1; rev:2;)',
        'alert http any any -> any any (msg:"multi \\\n line"; http.method; content:"POST"; \\\n'
        'http.uri; content:"/login"; bsize:<20; sid:2;)',
        'alert dns any any -> any any (dns.query; content:"evil"; nocase; endswith; sid:3;)',
        'alert tls any any -> any any (tls.sni; content:"bad.example"; threshold:type limit, track by_src, '
        'count 1, seconds 60; sid:4;)',
        'alert tcp any any -> any any (flowbits:set,a; flowbits:noalert; sid:5;)\n'
        'alert tcp any any -> any any (flowbits:isset,a; content:"|00 01 02|"; sid:6;)',
        '# alert ip any any -> any any (sid:7;)\nalert udp any any <> any 53 (dsize:>100; sid:8;)',
        'alert http any any -> any any (msg:"snort3"; http_uri; content:"/x"; service:http; sid:9;)',
        'alert ip [10.0.0.0/8,!10.1.0.0/16] any -> any any (ip.src; dataset:isset,seen,type ip; sid:10;)',
    ]
    for i, t in enumerate(texts + one[::max(1, len(one) // 60)] + extra):
        put("rules", "r%03d" % i, t + "\n")
        if i < 12:
            put("ruleset", "r%03d" % i, ("1" if i % 2 else "0") + t + "\n")
    put("ruleset", "all_allow", "1" + "\n".join(one[:20] + extra) + "\n")
    put("ruleset", "bad", "0alert tcp any any -> any any (nonsense; sid:1;)\n")


def query_seeds():
    qs = ["", "limit=10", "from=2026-01-01&to=2026-01-03T00:00:00Z&severity=1,2",
          "sid=1001&sid=1002&signature=ET+test", "src_ip=10.0.0.0%2F24&dest_ip=2001:db8::/32&port=80",
          "src_port=40000&dest_port=80&proto=TCP&app_proto=http", "status=new,acknowledged&assignee=alice",
          "q=%22test+3%22&limit=1000", "group=1&window=600", "group=true&window=86400&limit=5",
          "cursor=abc&limit=2", "agent=ag-1&category=Misc+activity", "from=1767225600&to=1767312000",
          "severity=9", "limit=0", "unknown=1", "src_ip=300.1.1.1", "%zz=1"]
    for i, q in enumerate(qs):
        put("query", "q%02d" % i, q)


def main():
    # Regenerates its own seeds; the regression inputs saved from findings
    # (regress_*) are kept.
    for t in GENERATED:
        d = os.path.join(OUT, t)
        for name in os.listdir(d) if os.path.isdir(d) else []:
            if not name.startswith("regress_"):
                os.remove(os.path.join(d, name))
    decode_seeds()
    app_seeds()
    wire_seeds()
    reassembly_seeds()
    rules_seeds()
    query_seeds()
    return 0


if __name__ == "__main__":
    sys.exit(main())
