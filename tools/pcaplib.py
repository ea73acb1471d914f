"""What every capture writer of the project shares (tools/mkpcap.py and the
test generators under tests/): the Internet checksum (RFC 1071), dotted IPv4
addresses, and the classic pcap file format (microsecond timestamps).

Test scripts outside tools/ import it with
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
"""
import struct

PCAP_MAGIC = 0xA1B2C3D4  # classic pcap, microsecond timestamps
LINKTYPE_ETHERNET = 1


def csum(data):
    """The 16-bit one's complement of the one's complement sum (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(dotted):
    return bytes(int(x) for x in dotted.split("."))


def pcap_header(snaplen=65535, linktype=LINKTYPE_ETHERNET):
    return struct.pack("<IHHiIII", PCAP_MAGIC, 2, 4, 0, 0, snaplen, linktype)


def pcap_record(sec, usec, frame):
    """One record: the frame whole (captured length = original length)."""
    return struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame


def pcap_record_us(t_us, frame):
    """One record at t_us microseconds since the epoch."""
    return pcap_record(t_us // 1000000, t_us % 1000000, frame)
