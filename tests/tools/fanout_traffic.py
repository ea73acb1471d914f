#!/usr/bin/env python3
"""Writes the traffic of the live kernel fan-out test (tests/integration/
live_fanout_test.sh): the mix of invariance_caps.py (TCP sessions, DNS and
other UDP exchanges, ICMP echo, ICMP errors quoting those flows from their
peer or from routers, errors about packets never seen, fragmented UDP and
ICMP datagrams in and out of order, with overlaps and duplicates, 802.1Q and
QinQ tags) over IPv4 with every address in 127.0.0.0/8, since the capture is
replayed onto an interface. Tunnels and IPv6 are left to the offline
invariance test and the program's unit test.

With --quiet LONE.pcap LATER.pcap it writes instead the two parts of the
shared-clock check: 8 one-packet UDP flows, and 30 packets of one more UDP
flow that the test sends after a silence.

Usage: fanout_traffic.py OUT.pcap RULES_OUT [--seed S] [--flows N]
       fanout_traffic.py --quiet LONE.pcap LATER.pcap"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import invariance_caps as inv  # noqa: E402

RULES = r"""
alert http any any -> any any (msg:"fanout http request"; http.method; content:"GET"; sid:9200001; rev:1;)
alert tcp any any -> any any (msg:"fanout response"; flow:established,to_client; content:"HTTP/1."; sid:9200002; rev:1;)
alert dns any any -> any any (msg:"fanout dns query"; dns.query; content:"example"; sid:9200003; rev:1;)
alert udp any any -> any any (msg:"fanout reassembled fragment"; content:"INVFRAG"; sid:9200004; rev:1;)
alert icmp any any -> any any (msg:"fanout ttl exceeded"; itype:11; sid:9200005; rev:1;)
alert icmp any any -> any any (msg:"fanout unreachable"; itype:3; sid:9200006; rev:1;)
alert icmp any any -> any any (msg:"fanout echo"; itype:8; sid:9200007; rev:1;)
alert udp any any -> any any (msg:"fanout udp"; content:"INVUDP"; sid:9200008; rev:1;)
"""


class LoopbackGen(inv.Gen):
    def pair(self, v6):
        self.host += 1
        h = self.host
        return f"127.1.{h // 250}.{h % 250 + 1}", f"127.2.{(h * 7) % 3}.{(h * 13) % 250 + 1}"

    def router(self, v6):
        return f"127.203.0.{self.rng.randrange(1, 5)}"

    def run_live(self, path, flows):
        rng = self.rng
        for _ in range(flows):
            c, s = self.pair(False)
            vl = self.vlans()
            t = self.start()
            kind = rng.choice(["tcp", "tcp", "dns", "udp", "echo", "frag"])
            if kind == "frag":
                self.fragments(t, c, s, vl)
                continue
            if kind == "tcp":
                pk = self.tcp_http(t, c, s, vl, fin=rng.random() < 0.7)
            elif kind == "dns":
                pk = self.udp_dns(t, c, s, vl, answer=rng.random() < 0.8)
            elif kind == "udp":
                pk = self.udp_plain(t, c, s, vl, 33434 + rng.randrange(30), n=rng.randrange(1, 4))
            else:
                pk = self.echo(t, c, s, vl)
            for _ in range(rng.randrange(0, 3)):
                tq, q = rng.choice(pk)
                sender = s if rng.random() < 0.4 else self.router(False)
                self.error_about(tq, q, sender, c, vl,
                                 rng.choice(["unreach", "ttl", "big", "param", "quench", "redirect"]))
        # A router telling one host about conversations never seen.
        c, _ = self.pair(False)
        r, t = self.router(False), self.start()
        for _ in range(6):
            _, s = self.pair(False)
            q = inv.ip(c, s, 17, inv.udp(c, s, self.next_port(), 33434 + rng.randrange(30), b"x" * 8))
            t += self.gap(1000, 900000)
            self.error_about(t, q, r, c, (), "ttl")
        self.cap.write(path)
        return self.cap.n


def quiet(lone_path, later_path):
    def frame(c, s, sp, dp):
        return inv.eth(inv.ip(c, s, 17, inv.udp(c, s, sp, dp, b"x" * 20)))

    lone, later = inv.Cap(None, 0), inv.Cap(None, 0)
    for i in range(1, 9):
        lone.add(i, frame(f"127.0.9.{i}", f"127.0.10.{i}", 40000 + i, 5000 + i))
    for i in range(30):
        later.add(i, frame("127.0.11.1", "127.0.12.1", 41000, 6000))
    lone.write(lone_path)
    later.write(later_path)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--quiet":
        quiet(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("rules")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--flows", type=int, default=150)
    a = ap.parse_args()
    n = LoopbackGen(a.seed).run_live(a.out, a.flows)
    with open(a.rules, "w") as f:
        f.write(RULES.lstrip())
    print(n)


if __name__ == "__main__":
    main()
