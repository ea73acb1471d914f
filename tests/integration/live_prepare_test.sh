#!/usr/bin/env bash
# bench/live_prepare.py, the filter that keeps bench/live_run.sh from sending
# any frame that names an address outside 127.0.0.0/8 and ::1: over frames
# built here, one per header that can carry an address (VLAN and QinQ tags,
# ICMP and ICMPv6 quotes, GRE, IP-in-IP, 6in4, VXLAN, ARP, IPv4 source-route
# option, neighbour discovery target) and an ethertype it cannot check, it
# keeps only the all-loopback frames; a quoted header is mapped as tcprewrite
# --pnat maps the outer ones, with both checksums made again; a second pass
# over what it wrote finds nothing to drop.
# Usage: live_prepare_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
src=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() {
  echo "FAIL: $*"
  exit 1
}
python3 - "$work/in.pcap" <<'PY'
import struct, sys


def ip4(src, dst, proto, payload, opts=b""):
    return struct.pack("!BBHHHBBH4s4s", 0x40 | (5 + len(opts) // 4), 0, 20 + len(opts) + len(payload), 0, 0, 64,
                       proto, 0, bytes(src), bytes(dst)) + opts + payload


def ip6(src, dst, nh, payload):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, 64, src, dst) + payload


def eth(et, p, tags=()):
    h = b"\xaa" * 6 + b"\xbb" * 6
    for tpid, vid in tags:
        h += struct.pack("!HH", tpid, vid)
    return h + struct.pack("!H", et) + p


L4, L4b, OUT = [127, 0, 0, 1], [127, 128, 0, 9], [8, 8, 8, 8]
L6, OUT6 = b"\0" * 15 + b"\1", bytes.fromhex("fe80000000000000000000000000abcd")
tcp = b"\x00\x50\x01\xbb" + b"\0" * 16
frames = [
    eth(0x0800, ip4(L4, L4b, 6, tcp)),  # kept
    eth(0x0800, ip4(L4, L4b, 1, b"\x03\x01\0\0\0\0\0\0" + ip4(L4b, L4, 17, b"\0" * 8))),  # kept
    eth(0x0800, ip4(L4, L4b, 1, b"\x0b\x00\0\0\0\0\0\0" + ip4(L4b, OUT, 6, tcp)), [(0x88A8, 1), (0x8100, 2)]),
    eth(0x0800, ip4(OUT, L4, 6, tcp), [(0x8100, 5)]),
    eth(0x0800, ip4(L4, L4b, 47, b"\0\0\x08\x00" + ip4(OUT, L4, 6, tcp))),
    eth(0x0806, struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + b"\xaa" * 6 + bytes(L4) + b"\0" * 6 + bytes(OUT)),
    eth(0x86DD, ip6(L6, L6, 58, b"\x01\x00\0\0\0\0\0\0" + ip6(OUT6, L6, 17, b"\0" * 8))),
    eth(0x0800, ip4(L4, L4b, 6, tcp, b"\x83\x07\x04" + bytes(OUT) + b"\x00")),
    eth(0x0800, ip4(L4, L4b, 17, struct.pack("!HHHH", 1234, 4789, 0, 0) + b"\x08\0\0\0\0\0\x01\0" +
                    eth(0x0800, ip4(L4, OUT, 6, tcp)))),
    eth(0x86DD, ip6(L6, L6, 58, b"\x87\x00\0\0\0\0\0\0" + OUT6)),
    eth(0x0800, ip4(L4, L4b, 4, ip4(OUT, L4, 6, tcp))),
    eth(0x0800, ip4(L4, L4b, 41, ip6(OUT6, L6, 6, tcp))),
    eth(0x88CC, b"\0" * 40),
]
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for fr in frames:
        f.write(struct.pack("<IIII", 0, 0, len(fr), len(fr)) + fr)
PY
prep=$src/bench/live_prepare.py

# --check only counts: everything but the two loopback frames would go.
if python3 "$prep" --check "$work/in.pcap" >"$work/check.txt"; then
  fail "--check found nothing to drop: $(cat "$work/check.txt")"
fi
grep -q "13 frames, 2 kept" "$work/check.txt" || fail "--check: $(cat "$work/check.txt")"
for why in "IPv4 source: outside" "quoted IPv4 destination: outside" "ARP target: outside" "quoted IPv6 source: not ::1" \
  "IPv4 option address: outside" "ICMPv6 type 135 address: not ::1" "inner IPv6 source: not ::1" "ethertype 0x88cc"; do
  grep -q "$why" "$work/check.txt" || fail "--check gave no reason '$why': $(cat "$work/check.txt")"
done

# Writing: the QinQ-tagged ICMP error's quote is mapped (8.8.8.8 -> 127.136.8.8) and kept.
python3 "$prep" "$work/in.pcap" "$work/out.pcap" >"$work/write.txt"
grep -q "13 frames, 3 kept (1 ICMP errors' quoted header mapped), 10 dropped" "$work/write.txt" ||
  fail "write: $(cat "$work/write.txt")"
python3 "$prep" --check "$work/out.pcap" >"$work/again.txt" || fail "second pass: $(cat "$work/again.txt")"
python3 - "$work/out.pcap" <<'PY' || fail "the mapped ICMP error is wrong"
import struct, sys


def csum(b):
    b = b + b"\0" * (len(b) % 2)
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


d = open(sys.argv[1], "rb").read()
off, frames = 24, []
while off < len(d):
    n = struct.unpack_from("<I", d, off + 8)[0]
    frames.append(d[off + 16:off + 16 + n])
    off += 16 + n
f = frames[2][22:]  # after two tags
icmp, quote = f[20:], f[28:48]
assert quote[12:16] == bytes([127, 128, 0, 9]) and quote[16:20] == bytes([127, 136, 8, 8]), quote.hex()
assert csum(quote) == 0xFFFF, "quoted header checksum"
assert csum(icmp) == 0xFFFF, "ICMP checksum"
PY
echo "ok: 13 frames, the 2 loopback ones kept by --check, 1 more after mapping its quote, the rest dropped with a reason"
