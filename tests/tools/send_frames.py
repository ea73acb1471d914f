#!/usr/bin/env python3
"""Sends the frames of a pcap file (Ethernet) out of an interface through a
packet socket, in file order, paced so that the receiving side's backlog
does not overflow. Needs CAP_NET_RAW. Prints the number of frames sent.

With --schedule A.pcap@F,B.pcap@G,... it sends each capture in turn, each
when the clock's next second is F (then G, ...) of the way through (0 <= F <
1), from one process: tests place frames on either side of a packet-time
second boundary (starting a process for each part took up to half a second).

Usage: send_frames.py IFACE CAPTURE.pcap [--burst N] [--pause-ms MS]
       send_frames.py IFACE --schedule A.pcap@F,B.pcap@G,... [--burst N] [--pause-ms MS]"""
import argparse
import socket
import struct
import time


def frames(path):
    with open(path, "rb") as f:
        head = f.read(24)
        magic = struct.unpack("<I", head[:4])[0]
        end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            _, _, incl, _ = struct.unpack(end + "IIII", rec)
            yield f.read(incl)


def wait_for_fraction(f):
    now = time.time()
    at = int(now) + f
    if at <= now:
        at += 1
    time.sleep(at - now)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("iface")
    ap.add_argument("pcap", nargs="?")
    ap.add_argument("--burst", type=int, default=32)
    ap.add_argument("--pause-ms", type=float, default=2.0)
    ap.add_argument("--schedule")
    a = ap.parse_args()
    if (a.pcap is None) == (a.schedule is None):
        ap.error("give one capture or --schedule")
    parts = [(a.pcap, None)]
    if a.schedule:
        parts = [(p.rsplit("@", 1)[0], float(p.rsplit("@", 1)[1])) for p in a.schedule.split(",")]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    n = 0
    for path, at in parts:
        if at is not None:
            wait_for_fraction(at)
        for fr in frames(path):
            s.send(fr)
            n += 1
            if n % a.burst == 0:
                time.sleep(a.pause_ms / 1000)
    print(n)


if __name__ == "__main__":
    main()
