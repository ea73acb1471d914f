#!/usr/bin/env python3
"""Sends the frames of a pcap file (Ethernet) out of an interface through a
packet socket, in file order, paced so that the receiving side's backlog
does not overflow. Needs CAP_NET_RAW. Prints the number of frames sent.

Usage: send_frames.py IFACE CAPTURE.pcap [--burst N] [--pause-ms MS]"""
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("iface")
    ap.add_argument("pcap")
    ap.add_argument("--burst", type=int, default=32)
    ap.add_argument("--pause-ms", type=float, default=2.0)
    a = ap.parse_args()
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    n = 0
    for fr in frames(a.pcap):
        s.send(fr)
        n += 1
        if n % a.burst == 0:
            time.sleep(a.pause_ms / 1000)
    print(n)


if __name__ == "__main__":
    main()
