#!/usr/bin/env python3
"""Writes a capture of SMB sessions for tests/integration/smb_test.sh.

  smb_capture.py OUT.pcap

Client 10.3.0.1, server 10.3.0.2, real TCP handshakes, segments of at most
200 bytes (records cross segment boundaries), FIN close (tools/mkpcap.py):
  1. port 445, SMB2/3: NEGOTIATE (3.11), SESSION_SETUP with an NTLMSSP
     AUTHENTICATE (user vigil-user, domain VIGILCORP, host WS-TEST) inside
     SPNEGO, TREE_CONNECT to a disk share and to IPC$, CREATE / WRITE / READ /
     CLOSE of a file, a CREATE of the srvsvc pipe, a compound CREATE + READ +
     CLOSE (related), a CHANGE_NOTIFY answered STATUS_PENDING first, an IOCTL,
     TREE_DISCONNECT and LOGOFF; files: WRITE_FILE (about 100 KB) written
     by one WRITE record larger than what the parser keeps of a record, and
     READ_FILE read back by two READs (64 KiB, then the rest), each CLOSEd;
  2. port 139, SMB1: NEGOTIATE (server picks "NT LM 0.12"), TREE_CONNECT_ANDX
     to IPC$, NT_CREATE_ANDX of a pipe.
Standard library only; deterministic.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import mkpcap as m  # noqa: E402

CLI, SRV = "10.3.0.1", "10.3.0.2"
RESP, ASYNC, RELATED = 1, 2, 4
SESS = 0x0000100000000009
FID = bytes(range(0x10, 0x20))
PIPE_FID = bytes(range(0x30, 0x40))
FT2020 = (1577836800 + 11644473600) * 10000000


def u16(s):
    return s.encode("utf-16-le")


def nb(msg):
    return struct.pack("!I", len(msg)) + msg


def hdr(cmd, mid, flags=0, status=0, sess=SESS, tree=0, nxt=0):
    h = b"\xfeSMB" + struct.pack("<HHIHHIIQ", 64, 1, status, cmd, 1, flags, nxt, mid)
    h += struct.pack("<Q", 0x55) if flags & ASYNC else struct.pack("<II", 0, tree)
    return h + struct.pack("<Q", sess) + b"\0" * 16


def pad8(b):
    return b + b"\0" * (-len(b) % 8)


def compound(*els):
    """Chains elements: NextCommand of each but the last, padded to 8."""
    out = b""
    for i, e in enumerate(els):
        if i < len(els) - 1:
            e = pad8(e)
            e = e[:20] + struct.pack("<I", len(e)) + e[24:]
        out += e
    return out


def ntlm_auth(domain, user, host):
    d, u, h = u16(domain), u16(user), u16(host)
    off = 72
    fields = b""
    for v in (b"", b"", d, u, h, b""):
        fields += struct.pack("<HHI", len(v), len(v), off)
        off += len(v)
    return b"NTLMSSP\0" + struct.pack("<I", 3) + fields + struct.pack("<I", 0xE2888215) + b"\x0a\x00\x63\x45\0\0\0\x0f" + d + u + h


def spnego(token):
    inner = b"\xa2" + der_len(len(token) + 2 + len(der_len(len(token)))) + b"\x04" + der_len(len(token)) + token
    seq = b"\x30" + der_len(len(inner)) + inner
    return b"\xa1" + der_len(len(seq)) + seq


def der_len(n):
    return bytes([n]) if n < 128 else b"\x82" + struct.pack("!H", n)


def negotiate():
    req = hdr(0, 0, sess=0) + struct.pack("<HHHHI", 36, 3, 1, 0, 0x7f) + b"\x42" * 16 + struct.pack("<Q", 0)
    req += struct.pack("<HHH", 0x0202, 0x0300, 0x0311)
    resp = hdr(0, 0, RESP, sess=0) + struct.pack("<HHHH", 65, 1, 0x0311, 0) + b"\x24" * 16
    resp += struct.pack("<IIIIQQHHI", 0x2f, 8388608, 8388608, 8388608, FT2020, 0, 128, 0, 0)
    return req, resp


def session_setup():
    blob = spnego(ntlm_auth("VIGILCORP", "vigil-user", "WS-TEST"))
    req = hdr(1, 1, sess=0) + struct.pack("<HBBIIHHQ", 25, 0, 1, 1, 0, 88, len(blob), 0) + blob
    resp = hdr(1, 1, RESP) + struct.pack("<HHHH", 9, 0, 72, 0)
    return req, resp


def tree(mid, path, tid, share_type):
    p = u16(path)
    req = hdr(3, mid) + struct.pack("<HHHH", 9, 0, 72, len(p)) + p
    resp = hdr(3, mid, RESP, tree=tid) + struct.pack("<HBBIII", 16, share_type, 0, 0, 0, 0x1f01ff)
    return req, resp


def create_req(mid, tid, name, flags=0, sess=SESS):
    n = u16(name)
    return hdr(5, mid, flags, sess=sess, tree=tid) + struct.pack(
        "<HBBIQQIIIIIHHII", 57, 0, 0, 2, 0, 0, 0x12019f, 0x80, 7, 3, 0x40, 120, len(n), 0, 0) + n


def create_resp(mid, tid, fid, size, flags=RESP):
    return hdr(5, mid, flags, tree=tid) + struct.pack(
        "<HBBIQQQQQQII", 89, 0, 0, 2, FT2020, FT2020, FT2020, FT2020, 4096, size, 0x80, 0) + fid + struct.pack("<II", 0, 0)


def write(mid, tid, fid, data):
    req = hdr(9, mid, tree=tid) + struct.pack("<HHIQ", 49, 112, len(data), 0) + fid + struct.pack("<IIHHI", 0, 0, 0, 0, 0)
    req += data
    resp = hdr(9, mid, RESP, tree=tid) + struct.pack("<HHIIHH", 17, 0, len(data), 0, 0, 0)
    return req, resp


def read_req(mid, tid, fid, flags=0, sess=SESS, offset=0, length=4096):
    return hdr(8, mid, flags, sess=sess, tree=tid) + struct.pack("<HBBIQ", 49, 0, 0, length, offset) + fid + \
        struct.pack("<IIIHHB", 0, 0, 0, 0, 0, 0)


def read_resp(mid, tid, data, flags=RESP):
    return hdr(8, mid, flags, tree=tid) + struct.pack("<HBBIII", 17, 80, 0, len(data), 0, 0) + data


def close_req(mid, tid, fid, flags=0, sess=SESS):
    return hdr(6, mid, flags, sess=sess, tree=tid) + struct.pack("<HHI", 24, 0, 0) + fid


def close_resp(mid, tid, flags=RESP):
    return hdr(6, mid, flags, tree=tid) + struct.pack("<HH", 60, 0) + b"\0" * 56


SRVSVC = bytes.fromhex("c84f324b7016d30112785a47bf6ee188")  # 4b324fc8-1670-01d3-1278-5a47bf6ee188
NDR = bytes.fromhex("045d888aeb1cc9119fe808002b104860") + struct.pack("<I", 2)


def dce(ptype, call_id, body):
    return struct.pack("<BBBB4sHHI", 5, 0, ptype, 3, b"\x10\0\0\0", 16 + len(body), 0, call_id) + body


def dce_bind():
    return dce(11, 2, struct.pack("<HHIB3x", 4280, 4280, 0, 1) + struct.pack("<HBx", 0, 1) + SRVSVC +
               struct.pack("<HH", 3, 0) + NDR)


def dce_bind_ack():
    sec = b"\\PIPE\\srvsvc\0"
    body = struct.pack("<HHIH", 4280, 4280, 0x12345, len(sec)) + sec
    body += b"\0" * (-(16 + len(body)) % 4)
    return dce(12, 2, body + struct.pack("<B3x", 1) + struct.pack("<HH", 0, 0) + NDR)


def pseudo_random(n, seed):
    """n deterministic bytes that do not repeat (a misplaced piece changes the hashes)."""
    out, x = bytearray(n), seed
    for i in range(n):
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF
        out[i] = x >> 24
    return bytes(out)


# The files the session carries (smb_test.sh hashes them with hashlib).
WRITE_NAME, WRITE_FID = "reports\\budget-2026.bin", bytes(range(0x50, 0x60))
WRITE_FILE = pseudo_random(100_000, 7)
READ_NAME, READ_FID = "reports\\annual.pdf", bytes(range(0x60, 0x70))
READ_FILE = b"%PDF-1.4\n" + pseudo_random(90_000, 11)


def file_transfers():
    ex = [(create_req(30, 5, WRITE_NAME), create_resp(30, 5, WRITE_FID, 0))]
    ex.append(write(31, 5, WRITE_FID, WRITE_FILE))
    ex.append((close_req(32, 5, WRITE_FID), close_resp(32, 5)))
    ex.append((create_req(33, 5, READ_NAME), create_resp(33, 5, READ_FID, len(READ_FILE))))
    ex.append((read_req(34, 5, READ_FID, length=65536), read_resp(34, 5, READ_FILE[:65536])))
    ex.append((read_req(35, 5, READ_FID, offset=65536, length=65536), read_resp(35, 5, READ_FILE[65536:])))
    ex.append((close_req(36, 5, READ_FID), close_resp(36, 5)))
    return ex


def smb2_session(w):
    ex = [negotiate(), session_setup()]
    ex.append(tree(2, "\\\\10.3.0.2\\finance", 5, 1))
    ex.append((create_req(3, 5, "q3\\payroll.xlsx"), create_resp(3, 5, FID, 0)))
    ex.append(write(4, 5, FID, b"vigil-smb-payload " * 40))
    ex.append((read_req(5, 5, FID), read_resp(5, 5, b"vigil-smb-payload " * 40)))
    ex.append((close_req(6, 5, FID), close_resp(6, 5)))
    ex += file_transfers()
    ex.append(tree(7, "\\\\10.3.0.2\\IPC$", 9, 2))
    ex.append((create_req(8, 9, "srvsvc"), create_resp(8, 9, PIPE_FID, 0)))
    # DCERPC over the pipe: BIND written, BIND_ACK read.
    ex.append(write(20, 9, PIPE_FID, dce_bind()))
    ex.append((read_req(21, 9, PIPE_FID), read_resp(21, 9, dce_bind_ack())))
    # Compound: CREATE + READ + CLOSE, the last two related to the first.
    ones = b"\xff" * 16
    req = compound(create_req(10, 5, "q3\\summary.txt"), read_req(11, 0xFFFFFFFF, ones, RELATED, 2**64 - 1),
                   close_req(12, 0xFFFFFFFF, ones, RELATED, 2**64 - 1))
    resp = compound(create_resp(10, 5, FID, 11), read_resp(11, 5, b"summary ok\n", RESP | RELATED),
                    close_resp(12, 5, RESP | RELATED))
    ex.append((nb(req), nb(resp)))
    # CHANGE_NOTIFY: an interim STATUS_PENDING, then the final answer.
    cn = hdr(15, 13, tree=5) + struct.pack("<HHI", 32, 0, 4096) + FID + struct.pack("<II", 0x17, 0)
    interim = hdr(15, 13, RESP | ASYNC, 0x103) + struct.pack("<HBBI", 9, 0, 0, 0) + b"\0"
    final = hdr(15, 13, RESP | ASYNC, 0x10C) + struct.pack("<HBBI", 9, 0, 0, 0) + b"\0"
    ex.append((nb(cn), nb(interim) + nb(final)))
    # FSCTL_PIPE_TRANSCEIVE: a DCERPC REQUEST (NetShareEnumAll, opnum 15) and its RESPONSE.
    rq = dce(0, 3, struct.pack("<IHH", 40, 0, 15) + b"\x11" * 40)
    rs = dce(2, 3, struct.pack("<IHBB", 60, 0, 0, 0) + b"\x22" * 60)
    io = hdr(11, 14, tree=9) + struct.pack("<HHI", 57, 0, 0x0011C017) + PIPE_FID + struct.pack(
        "<IIIIIIII", 120, len(rq), 0, 120, 0, 1024, 1, 0) + rq
    ioresp = hdr(11, 14, RESP, tree=9) + struct.pack("<HHI", 49, 0, 0x0011C017) + PIPE_FID + struct.pack(
        "<IIIIII", 112, 0, 112, len(rs), 0, 0) + rs
    ex.append((nb(io), nb(ioresp)))
    ex.append((hdr(4, 15, tree=5) + struct.pack("<HH", 4, 0), hdr(4, 15, RESP, tree=5) + struct.pack("<HH", 4, 0)))
    ex.append((hdr(2, 16) + struct.pack("<HH", 4, 0), hdr(2, 16, RESP) + struct.pack("<HH", 4, 0)))
    pairs = []
    for req, resp in ex:
        pairs.append((req if req[:1] == b"\0" else nb(req), resp if resp[:1] == b"\0" else nb(resp)))
    m.tcp_session(w, CLI, SRV, 49152, 445, pairs, mss=200)


def smb1(cmd, resp, mid, words=b"", data=b"", tid=0, uid=0):
    flags = 0x98 if resp else 0x18
    h = b"\xffSMB" + struct.pack("<BIBHH8sHHHHH", cmd, 0, flags, 0xC807, 0, b"\0" * 8, 0, tid, 0xfeff, uid, mid)
    return nb(h + bytes([len(words) // 2]) + words + struct.pack("<H", len(data)) + data)


def smb1_session(w):
    dialects = b"\x02PC NETWORK PROGRAM 1.0\0\x02LANMAN1.0\0\x02NT LM 0.12\0"
    path = u16("\\\\10.3.0.2\\IPC$") + b"\0\0"
    name = u16("\\lsarpc")
    ex = [
        (smb1(0x72, False, 1, data=dialects), smb1(0x72, True, 1, struct.pack("<H", 2) + b"\0" * 32)),
        (smb1(0x75, False, 2, b"\xff\0" + struct.pack("<HHH", 0, 0, 1), b"\0" + path + b"?????\0", uid=0x800),
         smb1(0x75, True, 2, b"\xff\0" + struct.pack("<HH", 0, 1), b"IPC\0", tid=0x801, uid=0x800)),
        (smb1(0xa2, False, 3, b"\xff\0" + struct.pack("<HBHIIIQIIIIIB", 0, 0, len(name), 0x16, 0, 0x2019f, 0, 0,
                                                      3, 1, 0, 2, 0), b"\0" + name, tid=0x801, uid=0x800),
         smb1(0xa2, True, 3, b"\xff\0" + struct.pack("<HBHIQQQQIQQHHB", 0, 0, 0x4000, 1, 0, 0, 0, 0, 0x80, 4096, 0,
                                                     2, 0x5ff, 0), tid=0x801, uid=0x800)),
    ]
    m.tcp_session(w, CLI, SRV, 49153, 139, ex, mss=200)


def main():
    w = m.Writer(sys.argv[1])
    smb2_session(w)
    smb1_session(w)
    w.close()


if __name__ == "__main__":
    main()
