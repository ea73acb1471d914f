#!/usr/bin/env python3
"""Keeps only the frames of a capture whose every address is a loopback one,
so that a capture rewritten with `tcprewrite --pnat` can be replayed onto an
interface without one frame naming an outside host (bench/live_run.sh).

An address is loopback when it is in 127.0.0.0/8 (IPv4) or is ::1 (IPv6).
Checked in every header the agent decodes, at any depth: ARP sender and
target, IPv4 and IPv6 source and destination behind any number of 802.1Q /
802.1ad (QinQ) tags, IPv4 options that carry addresses (record route, source
routes, timestamps with addresses), the ICMP redirect's gateway, the header
quoted by an ICMP or ICMPv6 error (and what it quotes in turn), the target
and destination of IPv6 neighbour discovery and redirects, MLD's multicast
address, router advertisements' prefixes, and the inner packet of IP-in-IP,
IPv6-in-IPv4, GRE (IPv4, IPv6, Ethernet), VXLAN, GENEVE and Teredo. A frame
this script cannot check (another ethertype, an MLDv2 report, a header cut
short inside an address) is dropped too.

Usage: live_prepare.py IN.pcap OUT.pcap   write the frames kept to OUT.pcap
       live_prepare.py --check IN.pcap    only count (exit 1 when a frame would go)
Prints the frames read, kept and dropped, and the count per reason.
Classic pcap, Ethernet link type (what gen_traffic.py writes) only; anything
else is an error (exit 2)."""
import collections
import struct
import sys

ETH_VLAN = (0x8100, 0x88A8, 0x9100)
LOOP6 = b"\x00" * 15 + b"\x01"


class Bad(Exception):
    """The frame carries a non-loopback address, or cannot be checked."""


def v4(b, what):
    if len(b) < 4:
        raise Bad(what + ": cut inside an address")
    if b[0] != 127:
        raise Bad(what + ": outside 127.0.0.0/8")


def v6(b, what):
    if len(b) < 16:
        raise Bad(what + ": cut inside an address")
    if bytes(b[:16]) != LOOP6:
        raise Bad(what + ": not ::1")


def eth(f, depth):
    if len(f) < 14:
        return  # no network header at all: nothing to carry an address
    et, off = struct.unpack_from("!H", f, 12)[0], 14
    while et in ETH_VLAN:
        if len(f) < off + 4:
            return
        et = struct.unpack_from("!H", f, off + 2)[0]
        off += 4
    by_type(et, f[off:], depth)


def by_type(et, p, depth):
    if et == 0x0800:
        ipv4(p, depth, quoted=False)
    elif et == 0x86DD:
        ipv6(p, depth, quoted=False)
    elif et == 0x0806:
        arp(p)
    elif et == 0x6558:
        eth(p, depth + 1)
    else:
        raise Bad("ethertype 0x%04x: not checked" % et)


def arp(p):
    if len(p) < 8:
        return
    ptype, hlen, plen = struct.unpack_from("!HBB", p, 2)
    if ptype != 0x0800 or plen != 4:
        raise Bad("ARP for another protocol: not checked")
    v4(p[8 + hlen:], "ARP sender")
    v4(p[8 + 2 * hlen + 4:], "ARP target")


def ipv4(p, depth, quoted):
    name = "quoted IPv4" if quoted else ("inner IPv4" if depth else "IPv4")
    if len(p) < 20:
        if len(p) >= 12:  # a quote may be cut anywhere: what is there must be loopback
            v4(p[12:], name + " source")
            if len(p) >= 16:
                v4(p[16:], name + " destination")
        return
    v4(p[12:], name + " source")
    v4(p[16:], name + " destination")
    ihl = (p[0] & 15) * 4
    options(p[20:ihl])
    frag_off = struct.unpack_from("!H", p, 6)[0] & 0x1FFF
    if frag_off:
        return  # a later fragment holds data, not headers
    l4(p[9], p[ihl:], depth, quoted)


def options(o):
    i = 0
    while i < len(o):
        t = o[i]
        if t == 0:
            return
        if t == 1:
            i += 1
            continue
        if i + 1 >= len(o) or o[i + 1] < 2:
            return
        ln = o[i + 1]
        body = o[i:i + ln]
        if t in (7, 131, 137):  # record route, loose / strict source route: addresses from byte 3
            for a in range(3, len(body) - 3, 4):
                v4(body[a:], "IPv4 option address")
        elif t == 68 and len(body) >= 4 and body[3] & 15 in (1, 3):  # timestamp with addresses
            for a in range(4, len(body) - 7, 8):
                v4(body[a:], "IPv4 timestamp address")
        i += ln


def ipv6(p, depth, quoted):
    name = "quoted IPv6" if quoted else ("inner IPv6" if depth else "IPv6")
    v6(p[8:], name + " source")
    v6(p[24:], name + " destination")
    nh, off = p[6], 40
    for _ in range(8):
        if nh in (0, 43, 60, 135, 139, 140):  # hop-by-hop, routing, destination options...
            if len(p) < off + 8:
                return
            if nh == 43 and p[off + 2] == 0:  # type 0 routing header lists addresses
                for a in range(off + 8, off + 8 + p[off + 1] * 8, 16):
                    v6(p[a:], name + " routing header address")
            nh, off = p[off], off + (p[off + 1] + 1) * 8
        elif nh == 44:  # fragment
            if len(p) < off + 8:
                return
            if struct.unpack_from("!H", p, off + 2)[0] & 0xFFF8:
                return
            nh, off = p[off], off + 8
        else:
            break
    l4(nh, p[off:], depth, quoted)


def l4(proto, p, depth, quoted):
    if depth > 3:
        raise Bad("tunnels nested more than 3 deep: not checked")
    if proto == 1:
        icmp4(p, depth, quoted)
    elif proto == 58:
        icmp6(p, depth, quoted)
    elif proto == 4:
        ipv4(p, depth + 1, quoted)
    elif proto == 41:
        ipv6(p, depth + 1, quoted)
    elif proto == 47:
        gre(p, depth, quoted)
    elif proto == 17 and len(p) >= 8 and not quoted:
        sport, dport = struct.unpack_from("!HH", p, 0)
        u = p[8:]
        if 4789 in (sport, dport) and len(u) >= 8:  # VXLAN
            eth(u[8:], depth + 1)
        elif 6081 in (sport, dport) and len(u) >= 8:  # GENEVE
            glen = 8 + (u[0] & 63) * 4
            by_type(struct.unpack_from("!H", u, 2)[0], u[glen:], depth + 1)
        elif 3544 in (sport, dport) and u and u[0] >> 4 == 6:  # Teredo
            ipv6(u, depth + 1, False)


def icmp4(p, depth, quoted):
    if len(p) < 8:
        return
    t = p[0]
    if t == 5:
        v4(p[4:], "ICMP redirect gateway")
    if t in (3, 4, 5, 11, 12):
        ipv4(p[8:], depth + 1, True)


def icmp6(p, depth, quoted):
    if len(p) < 8:
        return
    t = p[0]
    if t in (1, 2, 3, 4):
        if len(p) > 8:
            ipv6(p[8:], depth + 1, True)
    elif t in (130, 131, 132, 135, 136):  # MLD, neighbour solicitation / advertisement
        v6(p[8:], "ICMPv6 type %d address" % t)
    elif t == 137:  # redirect
        v6(p[8:], "ICMPv6 redirect target")
        v6(p[24:], "ICMPv6 redirect destination")
    elif t == 134:  # router advertisement: prefix options
        o = 16
        while o + 2 <= len(p) and p[o + 1]:
            if p[o] == 3:
                v6(p[o + 16:], "ICMPv6 router advertisement prefix")
            o += p[o + 1] * 8
    elif t == 143:
        raise Bad("MLDv2 report (lists multicast addresses): not checked")


def gre(p, depth, quoted):
    if len(p) < 4:
        return
    flags, et = struct.unpack_from("!HH", p, 0)
    if flags & 7 != 0:  # version 1 (PPTP) or another
        raise Bad("GRE version %d: not checked" % (flags & 7))
    off = 4 + 4 * bool(flags & 0x8000) + 4 * bool(flags & 0x2000) + 4 * bool(flags & 0x1000)
    if quoted and len(p) <= off:
        return
    by_type(et, p[off:], depth + 1)


def pnat4(a):
    """The mapping bench/live_run.sh gives tcprewrite --pnat: 10.0.0.0/8 to
    127.0.0.0/9 and everything else to 127.128.0.0/9, host bits kept."""
    if a[0] == 127:
        return bytes(a)
    return bytes((127, (a[1] & 0x7F) | (0 if a[0] == 10 else 0x80), a[2], a[3]))


def csum(b):
    if len(b) % 2:
        b = bytes(b) + b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def rewrite_quote(f):
    """tcprewrite leaves the header an ICMP error quotes as it was: map its
    addresses as --pnat mapped the outer ones, then set the quoted header's
    checksum and the ICMP checksum again. Returns the new frame, or None when
    the frame is not a whole, unfragmented ICMP error over IPv4."""
    f = bytearray(f)
    et, off = struct.unpack_from("!H", f, 12)[0], 14
    while et in ETH_VLAN and len(f) >= off + 4:
        et = struct.unpack_from("!H", f, off + 2)[0]
        off += 4
    if et != 0x0800 or len(f) < off + 20 or f[off + 9] != 1:
        return None
    ihl = (f[off] & 15) * 4
    total = struct.unpack_from("!H", f, off + 2)[0]
    if struct.unpack_from("!H", f, off + 6)[0] & 0x3FFF or len(f) < off + total:
        return None  # fragment or cut short: the ICMP checksum cannot be made again
    ic, end = off + ihl, off + total
    q = ic + 8
    if end - ic < 8 or f[ic] not in (3, 4, 5, 11, 12) or end - q < 20 or f[q] >> 4 != 4:
        return None
    f[q + 12:q + 16] = pnat4(f[q + 12:q + 16])
    f[q + 16:q + 20] = pnat4(f[q + 16:q + 20])
    qihl = (f[q] & 15) * 4
    if end - q >= qihl:
        f[q + 10:q + 12] = b"\0\0"
        f[q + 10:q + 12] = struct.pack("!H", csum(f[q:q + qihl]))
    f[ic + 2:ic + 4] = b"\0\0"
    f[ic + 2:ic + 4] = struct.pack("!H", csum(f[ic:end]))
    return bytes(f)


def main(argv):
    check = len(argv) == 3 and argv[1] == "--check"
    if not check and len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    src = argv[2] if check else argv[1]
    with open(src, "rb") as f:
        data = f.read()
    if len(data) < 24:
        print(f"{src}: not a pcap file", file=sys.stderr)
        return 2
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        print(f"{src}: not a classic pcap file (pcapng? convert with editcap -F pcap)", file=sys.stderr)
        return 2
    linktype = struct.unpack_from(end + "I", data, 20)[0]
    if linktype != 1:
        print(f"{src}: link type {linktype}, only Ethernet (1) is handled", file=sys.stderr)
        return 2
    rec = struct.Struct(end + "IIII")
    mv = memoryview(data)
    out = [data[:24]] if not check else None
    off, total, kept, quotes = 24, 0, 0, 0
    why = collections.Counter()
    while off + 16 <= len(data):
        caplen = rec.unpack_from(data, off)[2]
        nxt = off + 16 + caplen
        if nxt > len(data):
            print(f"{src}: frame {total + 1} is cut short by the end of the file", file=sys.stderr)
            return 2
        total += 1
        try:
            eth(mv[off + 16:nxt], 0)
            kept += 1
            if out is not None:
                out.append(mv[off:nxt])
        except Bad as e:
            fixed = rewrite_quote(mv[off + 16:nxt]) if str(e).startswith("quoted IPv4") and not check else None
            try:
                if fixed is None:
                    raise e
                eth(fixed, 0)
                kept += 1
                quotes += 1
                out.append(mv[off:off + 16])
                out.append(fixed)
            except Bad as e2:
                why[str(e2)] += 1
        off = nxt
    if out is not None:
        with open(argv[2], "wb") as f:
            f.writelines(out)
    dropped = total - kept
    print(f"{src}: {total} frames, {kept} kept ({quotes} ICMP errors' quoted header mapped), {dropped} dropped")
    for reason, n in why.most_common():
        print(f"  dropped {n}: {reason}")
    return 1 if check and dropped else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
