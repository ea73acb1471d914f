#!/usr/bin/env python3
"""Writes small captures for the worker-invariance property test: the events
of a capture must not depend on how many workers the agent spreads it over.

Each seed gives one Ethernet pcap mixing, over about six minutes of packet
time (so that idle flows time out mid-capture):
  - TCP sessions (HTTP requests and responses) and UDP exchanges (DNS queries
    and answers), ICMP echo, over IPv4 and IPv6, some on 802.1Q VLANs;
  - ICMP errors quoting those flows (ICMPv4 unreachable, time exceeded,
    source quench, redirect, parameter problem; ICMPv6 types 1-4), sent by the
    flow's peer or by a router on the way, and errors quoting packets never
    seen (they make ICMP flows of their own), several from one router to one
    host about different conversations;
  - tunnels: GRE, VXLAN, IP-in-IP (IPv4 and IPv6 in IPv4) and Teredo, both
    directions through the tunnel, carrying TCP, UDP and ICMP;
  - fragmented UDP and ICMP datagrams, IPv4 and IPv6: in order, out of order,
    with overlapping and duplicated fragments, some inside a tunnel;
  - flows that go idle past their timeout and come back.
Plus inv-batch-edge.pcap (batch_edge below: a flow's timeout falling where
the reader's batch is full) and inv-checksum.pcap (checksum_offload below:
checksum checks in "auto" mode). Also writes invariance.rules: rules on outer and inner traffic and on ICMP.

Usage: invariance_caps.py OUTDIR [--count N] [--first-seed S]
Deterministic: the same seed always writes the same bytes."""
import argparse
import ipaddress
import os
import random
import struct
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from pcaplib import csum, pcap_header, pcap_record_us  # noqa: E402

RULES = r"""
alert icmp any any -> any any (msg:"inv icmp unreachable"; itype:3; sid:9100001; rev:1;)
alert icmp any any -> any any (msg:"inv icmp time exceeded"; itype:11; sid:9100002; rev:1;)
alert icmp any any -> any any (msg:"inv icmp echo"; itype:8; sid:9100003; rev:1;)
alert ip any any -> any any (msg:"inv icmpv6"; ip_proto:58; sid:9100004; rev:1;)
alert icmp any any -> any any (msg:"inv icmpv6 too big"; itype:2; sid:9100005; rev:1;)
alert ip any any -> any any (msg:"inv gre carrier"; ip_proto:47; sid:9100006; rev:1;)
alert ip any any -> any any (msg:"inv ip-in-ip carrier"; ip_proto:4; sid:9100007; rev:1;)
alert ip any any -> any any (msg:"inv 6in4 carrier"; ip_proto:41; sid:9100008; rev:1;)
alert udp any any -> any 4789 (msg:"inv vxlan carrier"; sid:9100009; rev:1;)
alert tcp any any -> any any (msg:"inv tcp marker"; flow:established; content:"INVMARK"; sid:9100010; rev:1;)
alert udp any any -> any any (msg:"inv udp marker"; content:"INVUDP"; sid:9100011; rev:1;)
alert http any any -> any any (msg:"inv http uri"; flow:to_server; http.uri; content:"/inv/"; sid:9100012; rev:1;)
alert http any any -> any any (msg:"inv http body"; file_data; content:"INVBODY"; sid:9100013; rev:1;)
alert dns any any -> any any (msg:"inv dns query"; dns.query; content:"inv"; sid:9100014; rev:1;)
alert udp any any -> any any (msg:"inv fragment payload"; content:"INVFRAG"; sid:9100015; rev:1;)
alert ip 10.200.0.0/16 any -> any any (msg:"inv inner tunnel net"; sid:9100016; rev:1;)
alert tcp any any -> any any (msg:"inv flow to_client"; flow:to_client; content:"200 OK"; sid:9100017; rev:1;)
alert udp [2001:0::/32] any -> any any (msg:"inv teredo inner"; sid:9100018; rev:1;)
""".lstrip()


def addr(a):
    return ipaddress.ip_address(a).packed


def is6(a):
    return ":" in a


def pseudo(src, dst, proto, length):
    if is6(src):
        return addr(src) + addr(dst) + struct.pack("!IxxxB", length, proto)
    return addr(src) + addr(dst) + struct.pack("!BBH", 0, proto, length)


def tcp(src, dst, sp, dp, seq, ack, flags, payload=b""):
    hdr = struct.pack("!HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
    c = csum(pseudo(src, dst, 6, len(hdr) + len(payload)) + hdr + payload)
    return hdr[:16] + struct.pack("!H", c) + hdr[18:] + payload


def udp(src, dst, sp, dp, payload):
    n = 8 + len(payload)
    c = csum(pseudo(src, dst, 17, n) + struct.pack("!HHHH", sp, dp, n, 0) + payload) or 0xFFFF
    return struct.pack("!HHHH", sp, dp, n, c) + payload


def icmp(src, dst, typ, code, rest, body):
    """ICMPv4 when src is IPv4, else ICMPv6 (checksum over the pseudo-header)."""
    msg = struct.pack("!BBHI", typ, code, 0, rest) + body
    if is6(src):
        c = csum(pseudo(src, dst, 58, len(msg)) + msg)
    else:
        c = csum(msg)
    return msg[:2] + struct.pack("!H", c) + msg[4:]


def ip(src, dst, proto, l4, ident=0, frag=0, ttl=64):
    """An IPv4 or IPv6 header + l4. IPv4: frag is the flags/offset field."""
    if is6(src):
        return struct.pack("!IHBB", 0x60000000, len(l4), proto, ttl) + addr(src) + addr(dst) + l4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ident, frag, ttl, proto, 0, addr(src), addr(dst))
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + l4



def eth(l3, vlans=(), mac_seed=0):
    ethertype = 0x86DD if (l3[0] >> 4) == 6 else 0x0800
    m1 = bytes([0x02, 0, 0, 0, mac_seed & 0xFF, 1])
    m2 = bytes([0x02, 0, 0, 0, mac_seed & 0xFF, 2])
    out = m1 + m2
    for v in vlans:
        out += struct.pack("!HH", 0x8100, v)
    return out + struct.pack("!H", ethertype) + l3


def frag4(datagram, pieces, rng):
    """Splits an IPv4 datagram (20-byte header) into fragments of 8-byte
    multiples: [(offset, data, more)]; ident from the header."""
    payload = datagram[20:]
    cuts = sorted(rng.sample(range(1, max(2, len(payload) // 8)), min(pieces - 1, max(1, len(payload) // 8 - 1))))
    bounds = [0] + [c * 8 for c in cuts] + [len(payload)]
    return [(bounds[i], payload[bounds[i]:bounds[i + 1]], i + 2 < len(bounds)) for i in range(len(bounds) - 1)]


def build4(datagram, off, data, more):
    src, dst = str(ipaddress.ip_address(datagram[12:16])), str(ipaddress.ip_address(datagram[16:20]))
    ident = struct.unpack("!H", datagram[4:6])[0]
    return ip(src, dst, datagram[9], data, ident=ident, frag=(off // 8) | (0x2000 if more else 0))


def build6(src, dst, nh, ident, off, data, more):
    fh = struct.pack("!BBHI", nh, 0, off | (1 if more else 0), ident)
    return ip(src, dst, 44, fh + data)


def dns_query(qid, name):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack("!HH", 1, 1)
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q, q


def dns_answer(qid, q, a):
    return struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + q + struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + addr(a)


class Cap:
    """Collects (time in microseconds, frame) and writes them time-ordered."""

    def __init__(self, rng, t0):
        self.rng = rng
        self.t0 = t0
        self.pkts = []
        self.n = 0

    def add(self, t, frame):
        self.n += 1
        self.pkts.append((int(t), self.n, frame))

    def write(self, path):
        self.pkts.sort()
        with open(path, "wb") as f:
            f.write(pcap_header())
            for t, _, fr in self.pkts:
                f.write(pcap_record_us(t, fr))


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.seed = seed
        self.cap = Cap(self.rng, 1767225600 * 1000000)
        self.span = 360 * 1000000
        self.port = 20000
        self.host = 0

    def start(self):
        return self.cap.t0 + self.rng.randrange(self.span)

    def gap(self, lo=200, hi=40000):
        return self.rng.randrange(lo, hi)

    def next_port(self):
        self.port += 1 + self.rng.randrange(7)
        return self.port

    def pair(self, v6):
        self.host += 1
        h = self.host
        if v6:
            return f"2001:db8:1::{h:x}", f"2001:db8:2::{(h * 7) % 4000 + 1:x}"
        return f"10.1.{h // 250}.{h % 250 + 1}", f"192.0.{2 + (h * 7) % 3}.{(h * 13) % 250 + 1}"

    def router(self, v6):
        return f"2001:db8:ff::{self.rng.randrange(1, 5)}" if v6 else f"203.0.113.{self.rng.randrange(1, 5)}"

    def vlans(self):
        r = self.rng.random()
        return () if r < 0.7 else ((100 + self.rng.randrange(3),) if r < 0.9 else (200, 300 + self.rng.randrange(2)))

    # --- plain flows; each returns what an ICMP error may quote ---
    def tcp_http(self, t, c, s, vl, wrap=None, fin=True):
        """A TCP session: handshake, GET, response, optional close. wrap
        turns an inner IP packet (and its direction) into a frame."""
        out = []
        sp, dp = self.next_port(), 80
        wrap = wrap or (lambda l3, fwd: eth(l3, vl, self.seed))
        cs, ss = self.rng.randrange(1 << 32), self.rng.randrange(1 << 32)
        n = self.rng.randrange(1000)
        req = f"GET /inv/{n} HTTP/1.1\r\nHost: inv.example\r\nUser-Agent: inv\r\n\r\n".encode()
        body = (b"INVBODY INVMARK " * self.rng.randrange(1, 40))
        rsp = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body) + body
        steps = [(True, cs, 0, 0x02, b""), (False, ss, cs + 1, 0x12, b""), (True, cs + 1, ss + 1, 0x10, b""),
                 (True, cs + 1, ss + 1, 0x18, req), (False, ss + 1, cs + 1 + len(req), 0x18, rsp),
                 (True, cs + 1 + len(req), ss + 1 + len(rsp), 0x10, b"")]
        if fin:
            steps += [(True, cs + 1 + len(req), ss + 1 + len(rsp), 0x11, b""),
                      (False, ss + 1 + len(rsp), cs + 2 + len(req), 0x11, b""),
                      (True, cs + 2 + len(req), ss + 2 + len(rsp), 0x10, b"")]
        for fwd, seq, ack, fl, pl in steps:
            a, b, pa, pb = (c, s, sp, dp) if fwd else (s, c, dp, sp)
            l3 = ip(a, b, 6, tcp(a, b, pa, pb, seq, ack, fl, pl), ident=self.rng.randrange(65536))
            t += self.gap()
            self.cap.add(t, wrap(l3, fwd))
            out.append((t, l3))
        return out

    def udp_dns(self, t, c, s, vl, wrap=None, answer=True, later=None):
        wrap = wrap or (lambda l3, fwd: eth(l3, vl, self.seed))
        sp = self.next_port()
        out = []
        for k in range(1 + (later is not None)):
            qid = self.rng.randrange(65536)
            query, q = dns_query(qid, f"inv{self.rng.randrange(1000)}.example.com")
            l3 = ip(c, s, 17, udp(c, s, sp, 53, query), ident=self.rng.randrange(65536))
            t += self.gap() + (later or 0) * k
            self.cap.add(t, wrap(l3, True))
            out.append((t, l3))
            if answer:
                a = "198.18.0.%d" % self.rng.randrange(1, 250)
                l3 = ip(s, c, 17, udp(s, c, 53, sp, dns_answer(qid, q, a)), ident=self.rng.randrange(65536))
                t += self.gap()
                self.cap.add(t, wrap(l3, False))
        return out

    def udp_plain(self, t, c, s, vl, dp, n=3, wrap=None):
        wrap = wrap or (lambda l3, fwd: eth(l3, vl, self.seed))
        sp = self.next_port()
        out = []
        for k in range(n):
            fwd = k % 2 == 0
            a, b, pa, pb = (c, s, sp, dp) if fwd else (s, c, dp, sp)
            l3 = ip(a, b, 17, udp(a, b, pa, pb, b"INVUDP %d" % k), ident=self.rng.randrange(65536))
            t += self.gap()
            self.cap.add(t, wrap(l3, fwd))
            out.append((t, l3))
        return out

    def echo(self, t, c, s, vl, wrap=None):
        wrap = wrap or (lambda l3, fwd: eth(l3, vl, self.seed))
        v6 = is6(c)
        ident = self.rng.randrange(65536)
        out = []
        for seq in range(1, 1 + self.rng.randrange(1, 4)):
            req = ip(c, s, 58 if v6 else 1, icmp(c, s, 128 if v6 else 8, 0, ident << 16 | seq, b"INVPING"))
            rep = ip(s, c, 58 if v6 else 1, icmp(s, c, 129 if v6 else 0, 0, ident << 16 | seq, b"INVPING"))
            t += self.gap()
            self.cap.add(t, wrap(req, True))
            out.append((t, req))
            t += self.gap()
            self.cap.add(t, wrap(rep, False))
        return out

    # --- ICMP errors ---
    def error_about(self, t, quoted_l3, sender, to, vl, kind):
        v6 = is6(sender)
        quote = quoted_l3[: (48 if v6 else 28) + self.rng.choice([0, 0, 8, 64])]
        if v6:
            typ, code = {"unreach": (1, 4), "ttl": (3, 0), "big": (2, 0), "param": (4, 0)}[kind]
            rest = 1280 if typ == 2 else 0
        else:
            typ, code = {"unreach": (3, 3), "ttl": (11, 0), "quench": (4, 0), "redirect": (5, 1),
                         "param": (12, 0), "big": (3, 4)}[kind]
            rest = 0
        l3 = ip(sender, to, 58 if v6 else 1, icmp(sender, to, typ, code, rest, quote))
        self.cap.add(t + self.gap(50, 5000), eth(l3, vl, self.seed))

    # --- tunnels ---
    def tunnel(self, kind, t):
        """Inner flows (TCP, UDP, ICMP) through one tunnel, both directions."""
        a4 = f"172.16.{self.rng.randrange(256)}.{self.rng.randrange(1, 250)}"
        b4 = f"172.17.{self.rng.randrange(256)}.{self.rng.randrange(1, 250)}"
        vl = self.vlans()
        if kind == "gre":
            def wrap(l3, fwd):
                x, y = (a4, b4) if fwd else (b4, a4)
                et = 0x86DD if (l3[0] >> 4) == 6 else 0x0800
                return eth(ip(x, y, 47, struct.pack("!HH", 0, et) + l3), vl, self.seed)
        elif kind == "ipip":
            def wrap(l3, fwd):
                x, y = (a4, b4) if fwd else (b4, a4)
                return eth(ip(x, y, 41 if (l3[0] >> 4) == 6 else 4, l3), vl, self.seed)
        elif kind == "vxlan":
            sp_a, sp_b = self.next_port(), self.next_port()

            def wrap(l3, fwd):
                x, y, sp = (a4, b4, sp_a) if fwd else (b4, a4, sp_b)
                inner = eth(l3, (), 0x40)
                return eth(ip(x, y, 17, udp(x, y, sp, 4789, struct.pack("!II", 0x08000000, 5000 << 8) + inner)),
                           vl, self.seed)
        else:  # teredo: IPv6 over UDP 3544, client port fixed
            cport = self.next_port()

            def wrap(l3, fwd):
                x, y, px, py = (a4, b4, cport, 3544) if fwd else (b4, a4, 3544, cport)
                return eth(ip(x, y, 17, udp(x, y, px, py, l3)), vl, self.seed)
        if kind == "teredo":
            c, s = f"2001:0:4136:e378:8000:63bf:3fff:{self.rng.randrange(1, 65535):x}", "2001:db8:9::1"
            self.udp_plain(t, c, s, (), 7000 + self.rng.randrange(100), wrap=wrap)
            self.tcp_http(t + self.gap(), c, s, (), wrap=wrap)
            self.echo(t + self.gap(), c, s, (), wrap=wrap)
            return
        c = f"10.200.{self.rng.randrange(256)}.{self.rng.randrange(1, 250)}"
        s = f"10.201.{self.rng.randrange(256)}.{self.rng.randrange(1, 250)}"
        self.tcp_http(t, c, s, (), wrap=wrap, fin=self.rng.random() < 0.7)
        q = self.udp_plain(t + self.gap(), c, s, (), 9000 + self.rng.randrange(100), wrap=wrap)
        self.echo(t + self.gap(), c, s, (), wrap=wrap)
        # An ICMP error inside the tunnel, about the inner UDP flow.
        r = f"10.202.0.{self.rng.randrange(1, 250)}"
        err = ip(r, c, 1, icmp(r, c, 11, 0, 0, q[0][1][:28]))
        self.cap.add(q[0][0] + self.gap(), wrap(err, False))
        if kind in ("gre", "ipip") and self.rng.random() < 0.8:
            # Inner IPv6 too, and a fragmented inner datagram.
            c6, s6 = f"2001:db8:200::{self.rng.randrange(1, 999):x}", f"2001:db8:201::{self.rng.randrange(1, 999):x}"
            self.udp_plain(t + self.gap(), c6, s6, (), 9100, wrap=wrap)
            self.fragments(t + self.gap(), c, s, (), wrap=wrap)

    # --- fragments ---
    def fragments(self, t, c, s, vl, wrap=None, mode=None):
        wrap = wrap or (lambda l3, fwd: eth(l3, vl, self.seed))
        mode = mode or self.rng.choice(["order", "reverse", "shuffle", "overlap", "dup"])
        v6 = is6(c)
        sp, dp = self.next_port(), 5000 + self.rng.randrange(100)
        body = b"INVFRAG " + bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(300, 3000)))
        proto = self.rng.choice([17, 17, 1])
        if proto == 17:
            l4 = udp(c, s, sp, dp, body)
        else:
            l4 = icmp(c, s, 128 if v6 else 8, 0, self.rng.randrange(1 << 32), body)
            proto = 58 if v6 else 1
        ident = self.rng.randrange(1, 65536)
        if v6:
            cuts = sorted(self.rng.sample(range(1, len(l4) // 8), self.rng.randrange(1, 5)))
            bounds = [0] + [x * 8 for x in cuts] + [len(l4)]
            frs = [(bounds[i], l4[bounds[i]:bounds[i + 1]], i + 2 < len(bounds)) for i in range(len(bounds) - 1)]
            build = lambda off, data, more: build6(c, s, proto, ident, off, data, more)  # noqa: E731
        else:
            dg = ip(c, s, proto, l4, ident=ident)
            frs = frag4(dg, self.rng.randrange(2, 6), self.rng)
            build = lambda off, data, more: build4(dg, off, data, more)  # noqa: E731
        if mode == "reverse":
            frs.reverse()
        elif mode == "shuffle":
            self.rng.shuffle(frs)
        elif mode == "overlap" and len(frs) > 1:
            # A fragment that overlaps the end of the first and the start of
            # the second, with other bytes: the policy picks, in any order.
            off = (len(frs[0][1]) // 8 - 1) * 8 if len(frs[0][1]) >= 16 else 0
            frs.insert(1, (off, b"X" * 16, True))
            if self.rng.random() < 0.5:
                self.rng.shuffle(frs)
        elif mode == "dup":
            frs.insert(self.rng.randrange(len(frs) + 1), self.rng.choice(frs))
        for off, data, more in frs:
            t += self.gap(50, 3000)
            self.cap.add(t, wrap(build(off, data, more), True))
        # A reply in the other direction, unfragmented.
        if proto == 17:
            l3 = ip(s, c, 17, udp(s, c, dp, sp, b"INVUDP reply"))
            self.cap.add(t + self.gap(), wrap(l3, False))

    def run(self, path):
        rng = self.rng
        for _ in range(rng.randrange(25, 45)):
            v6 = rng.random() < 0.4
            c, s = self.pair(v6)
            vl = self.vlans()
            t = self.start()
            kind = rng.choice(["tcp", "tcp", "dns", "udp", "echo"])
            if kind == "tcp":
                pk = self.tcp_http(t, c, s, vl, fin=rng.random() < 0.7)
            elif kind == "dns":
                # Some come back after their UDP timeout (a new flow, same tuple).
                pk = self.udp_dns(t, c, s, vl, answer=rng.random() < 0.8,
                                  later=(rng.choice([None, 31, 45, 400]) or 0) * 1000000 or None)
            elif kind == "udp":
                pk = self.udp_plain(t, c, s, vl, 33434 + rng.randrange(30), n=rng.randrange(1, 4))
            else:
                pk = self.echo(t, c, s, vl)
            # ICMP errors about this flow: from the peer and from routers.
            for _ in range(rng.randrange(0, 3)):
                tq, q = rng.choice(pk)
                kinds = ["unreach", "ttl", "big", "param"] + ([] if v6 else ["quench", "redirect"])
                sender = s if rng.random() < 0.4 else self.router(v6)
                self.error_about(tq, q, sender, c, vl, rng.choice(kinds))
        # Errors about packets never seen: ICMP flows of their own.
        for _ in range(rng.randrange(2, 6)):
            v6 = rng.random() < 0.4
            c, s = self.pair(v6)
            q = ip(c, s, 17, udp(c, s, self.next_port(), 53, b"x" * 8))
            self.error_about(self.start(), q, s if rng.random() < 0.5 else self.router(v6), c, (), "unreach")
        # One router telling one host about several conversations never seen
        # (a traceroute whose probes were not captured): one sender, one
        # receiver, one type, but a quoted pair each.
        for v6 in (False, True):
            c, _ = self.pair(v6)
            r, t = self.router(v6), self.start()
            for _ in range(rng.randrange(3, 7)):
                _, s = self.pair(v6)
                q = ip(c, s, 17, udp(c, s, self.next_port(), 33434 + rng.randrange(30), b"x" * 8))
                t += self.gap(1000, 900000)
                self.error_about(t, q, r, c, (), "ttl")
        for kind in ["gre", "vxlan", "ipip", "teredo"] + rng.sample(["gre", "vxlan", "ipip", "teredo"], 2):
            self.tunnel(kind, self.start())
        for _ in range(rng.randrange(4, 9)):
            v6 = rng.random() < 0.4
            c, s = self.pair(v6)
            self.fragments(self.start(), c, s, self.vlans())
        self.cap.write(path)


def batch_edge(path):
    """One address pair only, so every worker count puts it all on one worker:
    a UDP flow seen once at 0.5 s, then within second 30 one packet of
    another flow (sent with the reader's tick for second 30) and exactly one
    full batch (512) more, then at 31.0 s the
    first flow again, 30.5 s after its last packet (UDP timeout 30 s). With
    one worker that packet joins its flow before the flow table expires
    anything for second 31; several workers must do the same, although the
    reader hands that packet over in the next batch."""
    c = Cap(None, 1767225600 * 1000000)
    a, b = "10.77.0.1", "10.77.0.2"
    t = c.t0 + 500000
    c.add(t, eth(ip(a, b, 17, udp(a, b, 4000, 4001, b"INVUDP first"))))
    t = c.t0 + 30 * 1000000 + 1000
    for i in range(513):  # the first goes with the tick for second 30, then a full batch
        c.add(t + i * 1000, eth(ip(a, b, 17, udp(a, b, 5000, 5001, b"filler %d" % i))))
    c.add(c.t0 + 31 * 1000000, eth(ip(b, a, 17, udp(b, a, 4001, 4000, b"INVUDP late"))))
    c.write(path)


def checksum_offload(path):
    """Checksum "auto" mode: the agent samples the first 1000 packets and
    turns checks off when more than 1 in 10 is bad (a capture taken where the
    NIC computes checksums). 1000 UDP packets over 40 address pairs, the
    senders of 5 pairs with bad UDP checksums (12.5%), then TCP sessions
    whose client segments have bad checksums (checks off: reassembled and
    alerted on; checks on: dropped). One decision for the whole capture,
    whatever the number of workers."""
    c = Cap(None, 1767225600 * 1000000)
    t = c.t0
    for i in range(1000):
        k = i % 40
        a, b = f"10.88.{k}.1", f"10.89.{k}.1"
        u = bytearray(udp(a, b, 6000 + k, 7000, b"INVUDP %d" % i))
        if k < 5:
            u[6] ^= 0x55
        t += 1000
        c.add(t, eth(ip(a, b, 17, bytes(u))))
    for k in range(8):
        a, b = f"10.90.{k}.1", f"10.91.{k}.1"
        g = Gen(k)
        g.rng = random.Random(k)

        def bad(l3, fwd):
            if fwd and len(l3) > 20 + 20:  # client's segments: checksum off by one
                l3 = bytearray(l3)
                l3[20 + 16] ^= 0x01
                l3 = bytes(l3)
            return eth(l3)
        g.cap = c
        g.tcp_http(t + k * 2000, a, b, (), wrap=bad)
    c.write(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--count", type=int, default=12)
    ap.add_argument("--first-seed", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    for seed in range(a.first_seed, a.first_seed + a.count):
        Gen(seed).run(os.path.join(a.outdir, f"inv-{seed:03d}.pcap"))
    batch_edge(os.path.join(a.outdir, "inv-batch-edge.pcap"))
    checksum_offload(os.path.join(a.outdir, "inv-checksum.pcap"))
    with open(os.path.join(a.outdir, "invariance.rules"), "w") as f:
        f.write(RULES)


if __name__ == "__main__":
    main()
