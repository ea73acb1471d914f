#!/usr/bin/env python3
"""Writes a pcap of N UDP packets whose payloads carry MARKER, one alert each
under the rule `content:"MARKER"`; timestamps advance 1 ms per packet so every
alert is distinct. Usage: make_pcap.py OUT.pcap N [MARKER] [START_SECONDS]"""
import struct
import sys
import os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from pcaplib import csum, pcap_header, pcap_record  # noqa: E402


def packet(i, marker):
    payload = ("%s-%06d" % (marker, i)).encode()
    src, dst = bytes([10, 0, 0, 1]), bytes([10, 0, 1, 1 + i % 200])
    sport, dport = 10000 + i % 5000, 5353
    udp_len = 8 + len(payload)
    pseudo = src + dst + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    udp = struct.pack("!HHHH", sport, dport, udp_len, csum(pseudo + udp) or 0xFFFF) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, i & 0xFFFF, 0, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x00\x11\x22\x33\x44\x55" + b"\x66\x77\x88\x99\xaa\xbb" + b"\x08\x00"
    return eth + ip + udp


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    marker = sys.argv[3] if len(sys.argv) > 3 else "VIGILTEST"
    start = int(sys.argv[4]) if len(sys.argv) > 4 else 1767225600
    with open(out, "wb") as f:
        f.write(pcap_header())
        for i in range(n):
            p = packet(i, marker)
            t = start * 1000 + i
            f.write(pcap_record(t // 1000, (t % 1000) * 1000, p))


if __name__ == "__main__":
    main()
