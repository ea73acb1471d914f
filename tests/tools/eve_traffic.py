#!/usr/bin/env python3
"""Writes a small capture that exercises every EVE event type the agent
writes, and the rules that alert on each application protocol, so that a
test can check the events against a schema and against tshark.

  eve_traffic.py OUT.pcap RULES.rules

The capture (IPv4 and IPv6, UDP and TCP, valid checksums):
  DNS over UDP: A (with CNAME), AAAA, MX, TXT, SRV, PTR and NS questions
    answered; NXDOMAIN with an SOA authority; a query with two questions; a
    query never answered; a response without a query.
  DNS over TCP: two queries and their responses on one connection.
  HTTP: a GET and a POST with bodies; TLS: ClientHello (SNI, ALPN) and
  ServerHello (ALPN); SSH: both banners and a key exchange init; ICMP echo;
  a DNS exchange on VLAN 42.
The rules alert once on each of http, dns, tls, ssh and on plain UDP.
Python 3 standard library only.
"""
import struct
import sys
import os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from pcaplib import csum, ip4, pcap_header, pcap_record_us  # noqa: E402

T0 = 1767225600


def ip6(a):
    # "2001:db8::N" forms only
    head, tail = a.split("::")
    hs = [int(x, 16) for x in head.split(":") if x]
    ts = [int(x, 16) for x in tail.split(":") if x]
    words = hs + [0] * (8 - len(hs) - len(ts)) + ts
    return struct.pack("!8H", *words)


def l4_packet(src, dst, proto, l4):
    v6 = ":" in src
    if v6:
        s, d = ip6(src), ip6(dst)
        pseudo = s + d + struct.pack("!IxxxB", len(l4), proto)
    else:
        s, d = ip4(src), ip4(dst)
        pseudo = s + d + struct.pack("!BBH", 0, proto, len(l4))
    off = 6 if proto == 17 else 16
    c = csum(pseudo + l4)
    if proto == 17 and c == 0:
        c = 0xFFFF
    l4 = l4[:off] + struct.pack("!H", c) + l4[off + 2:]
    if v6:
        ip = struct.pack("!IHBB", 0x60000000, len(l4), proto, 64) + s + d
        eth_type = b"\x86\xdd"
    else:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0, s, d)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        eth_type = b"\x08\x00"
    return b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb" + eth_type + ip + l4


def icmp_echo(src, dst, kind, ident, seq):
    """IPv4 ICMP echo request (kind 8) or reply (kind 0)."""
    body = struct.pack("!BBHHH", kind, 0, 0, ident, seq) + b"eve-test-ping"
    body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    s, d = ip4(src), ip4(dst)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 2, 0, 64, 1, 0, s, d)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00" + ip + body


def vlan(frame, vid):
    """The same Ethernet frame with one 802.1Q tag."""
    return frame[:12] + struct.pack("!HH", 0x8100, vid) + frame[12:]


def udp(src, sp, dst, dp, payload):
    return l4_packet(src, dst, 17, struct.pack("!HHHH", sp, dp, 8 + len(payload), 0) + payload)


def tcp(src, sp, dst, dp, seq, ack, flags, payload=b""):
    hdr = struct.pack("!HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
    return l4_packet(src, dst, 6, hdr + payload)


SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01


class Capture:
    def __init__(self):
        self.frames = []
        self.t = T0 * 1000000

    def add(self, frame):
        self.t += 1000
        self.frames.append((self.t, frame))

    def tcp_session(self, cli, cp, srv, sp, exchanges):
        """exchanges: list of (to_server: bool, bytes)."""
        cs, ss = 1000, 5000
        self.add(tcp(cli, cp, srv, sp, cs, 0, SYN))
        self.add(tcp(srv, sp, cli, cp, ss, cs + 1, SYN | ACK))
        cs += 1
        ss += 1
        self.add(tcp(cli, cp, srv, sp, cs, ss, ACK))
        for to_server, data in exchanges:
            if to_server:
                self.add(tcp(cli, cp, srv, sp, cs, ss, PSH | ACK, data))
                cs += len(data)
                self.add(tcp(srv, sp, cli, cp, ss, cs, ACK))
            else:
                self.add(tcp(srv, sp, cli, cp, ss, cs, PSH | ACK, data))
                ss += len(data)
                self.add(tcp(cli, cp, srv, sp, cs, ss, ACK))
        self.add(tcp(cli, cp, srv, sp, cs, ss, FIN | ACK))
        self.add(tcp(srv, sp, cli, cp, ss, cs + 1, FIN | ACK))
        self.add(tcp(cli, cp, srv, sp, cs + 1, ss + 1, ACK))

    def write(self, path):
        with open(path, "wb") as f:
            f.write(pcap_header())
            for t, p in self.frames:
                f.write(pcap_record_us(t, p))


# DNS messages
def name(dotted):
    out = b""
    for label in dotted.split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def rr(rname, rtype, rdata, ttl=300):
    return name(rname) + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata


def dns_msg(qid, flags, questions, answers=(), authorities=()):
    m = struct.pack("!HHHHHH", qid, flags, len(questions), len(answers), len(authorities), 0)
    for qn, qt in questions:
        m += name(qn) + struct.pack("!HH", qt, 1)
    for a in list(answers) + list(authorities):
        m += a
    return m


A, NS, CNAME, SOA, PTR, MX, TXT, AAAA, SRV = 1, 2, 5, 6, 12, 15, 16, 28, 33


def dns_cases():
    """(questions, answers, authorities, rcode); answers None = never answered."""
    soa = name("ns1.example.org") + name("hostmaster.example.org") + struct.pack("!IIIII", 2026120301, 7200,
                                                                                   3600, 1209600, 300)
    return [
        ([("www.example.org", A)], [rr("www.example.org", CNAME, name("cdn.example.org")),
                                    rr("cdn.example.org", A, bytes([192, 0, 2, 10]))], [], 0),
        ([("v6.example.org", AAAA)], [rr("v6.example.org", AAAA, ip6("2001:db8::10"))], [], 0),
        ([("example.org", MX)], [rr("example.org", MX, struct.pack("!H", 10) + name("mail.example.org"))], [], 0),
        ([("example.org", TXT)], [rr("example.org", TXT, b"\x0bv=spf1 -all")], [], 0),
        ([("_sip._tcp.example.org", SRV)],
         [rr("_sip._tcp.example.org", SRV, struct.pack("!HHH", 10, 60, 5060) + name("sip.example.org"))], [], 0),
        ([("10.2.0.192.in-addr.arpa", PTR)], [rr("10.2.0.192.in-addr.arpa", PTR, name("www.example.org"))], [], 0),
        ([("example.org", NS)], [rr("example.org", NS, name("ns1.example.org"))], [], 0),
        ([("missing.example.org", A)], [], [rr("example.org", SOA, soa)], 3),
        ([("one.example.org", A), ("two.example.org", A)], [rr("one.example.org", A, bytes([192, 0, 2, 1]))], [], 0),
        ([("evil-dns.example.org", A)], [rr("evil-dns.example.org", A, bytes([192, 0, 2, 66]))], [], 0),
        ([("unanswered.example.org", A)], None, [], 0),
    ]


def tls_client_hello(sni, alpns):
    exts = b""
    sn = sni.encode()
    exts += struct.pack("!HHHBH", 0, len(sn) + 5, len(sn) + 3, 0, len(sn)) + sn
    al = b"".join(bytes([len(a)]) + a.encode() for a in alpns)
    exts += struct.pack("!HHH", 16, len(al) + 2, len(al)) + al
    body = b"\x03\x03" + bytes(range(32)) + b"\x00" + struct.pack("!HHH", 4, 0x1301, 0xC02F) + b"\x01\x00"
    body += struct.pack("!H", len(exts)) + exts
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def tls_server_hello(alpn):
    al = bytes([len(alpn)]) + alpn.encode()
    exts = struct.pack("!HHH", 16, len(al) + 2, len(al)) + al
    body = b"\x03\x03" + bytes(range(32, 64)) + b"\x00" + struct.pack("!H", 0xC02F) + b"\x00"
    body += struct.pack("!H", len(exts)) + exts
    hs = b"\x02" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x03" + struct.pack("!H", len(hs)) + hs


RULES = """\
alert http any any -> any any (msg:"eve test http"; http.uri; content:"/admin"; sid:9100001; rev:1;)
alert dns any any -> any any (msg:"eve test dns"; dns.query; content:"evil-dns"; sid:9100002; rev:1;)
alert tls any any -> any any (msg:"eve test tls"; tls.sni; content:"evil-tls.example.org"; sid:9100003; rev:1;)
alert ssh any any -> any any (msg:"eve test ssh"; ssh.software; content:"EvilSSH"; sid:9100004; rev:1;)
alert udp any any -> any 9999 (msg:"eve test udp"; content:"PLAINUDP"; sid:9100005; rev:1;)
"""


def main():
    out, rules = sys.argv[1], sys.argv[2]
    c = Capture()
    hosts = [("10.0.0.5", "10.0.0.53"), ("2001:db8::5", "2001:db8::53")]
    qid = 0x100
    for n, (questions, answers, auth, rcode) in enumerate(dns_cases()):
        for cli, srv in hosts:
            qid += 1
            sport = 20000 + qid
            c.add(udp(cli, sport, srv, 53, dns_msg(qid, 0x0100, questions)))
            if answers is not None:
                resp = dns_msg(qid, 0x8180 | rcode, questions, answers, auth)
                c.add(udp(srv, 53, cli, sport, resp))
    # A response nobody asked for.
    c.add(udp("10.0.0.53", 53, "10.0.0.6", 31000,
              dns_msg(0x7777, 0x8180, [("unsolicited.example.org", A)],
                      [rr("unsolicited.example.org", A, bytes([192, 0, 2, 77]))])))
    # DNS over TCP: two queries and their answers on one connection.
    ex = []
    for i, qn in enumerate(["tcp1.example.org", "tcp2.example.org"]):
        q = dns_msg(0x900 + i, 0x0100, [(qn, A)])
        r = dns_msg(0x900 + i, 0x8180, [(qn, A)], [rr(qn, A, bytes([192, 0, 2, 20 + i]))])
        ex += [(True, struct.pack("!H", len(q)) + q), (False, struct.pack("!H", len(r)) + r)]
    c.tcp_session("10.0.0.5", 40053, "10.0.0.53", 53, ex)
    # HTTP
    for i, (cli, srv) in enumerate([("10.0.0.5", "10.0.0.80"), ("2001:db8::5", "2001:db8::80")]):
        body = b"<html>hello</html>"
        c.tcp_session(cli, 41000 + i, srv, 80, [
            (True, b"GET /admin/index.html HTTP/1.1\r\nHost: www.example.org\r\nUser-Agent: eve-test\r\n\r\n"),
            (False, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body) +
             body),
            (True, b"POST /form HTTP/1.1\r\nHost: www.example.org\r\nContent-Length: 7\r\n\r\na=1&b=2"),
            (False, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
        ])
    # TLS
    for i, sni in enumerate(["www.example.org", "evil-tls.example.org"]):
        c.tcp_session("10.0.0.5", 42000 + i, "10.0.0.43", 443, [
            (True, tls_client_hello(sni, ["h2", "http/1.1"])),
            (False, tls_server_hello("h2")),
        ])
    # SSH
    for i, sw in enumerate(["OpenSSH_9.6", "EvilSSH_1.0"]):
        kex = b"\x00\x00\x00\x1c\x0a\x14" + bytes(16) + b"\x00\x00\x00\x00" + bytes(2)
        c.tcp_session("10.0.0.5", 43000 + i, "10.0.0.22", 22, [
            (True, b"SSH-2.0-" + sw.encode() + b"\r\n"),
            (False, b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n"),
            (True, kex),
        ])
    # ICMP echo both ways; a DNS exchange on VLAN 42.
    c.add(icmp_echo("10.0.0.5", "10.0.0.1", 8, 7, 1))
    c.add(icmp_echo("10.0.0.1", "10.0.0.5", 0, 7, 1))
    q = dns_msg(0x4242, 0x0100, [("vlan.example.org", A)])
    r = dns_msg(0x4242, 0x8180, [("vlan.example.org", A)], [rr("vlan.example.org", A, bytes([192, 0, 2, 42]))])
    c.add(vlan(udp("10.0.0.7", 24242, "10.0.0.53", 53, q), 42))
    c.add(vlan(udp("10.0.0.53", 53, "10.0.0.7", 24242, r), 42))
    # Plain UDP that alerts.
    c.add(udp("10.0.0.5", 30999, "10.0.0.99", 9999, b"PLAINUDP payload"))
    c.write(out)
    with open(rules, "w") as f:
        f.write(RULES)


if __name__ == "__main__":
    main()
