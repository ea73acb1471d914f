#!/usr/bin/env python3
"""HTTP downloads and an upload as files, for tests/integration/fileinfo_test.sh.

Writes OUTDIR/files.pcap (one TCP connection per case, on 10.3.0.0/16 port 80),
OUTDIR/files.rules, OUTDIR/bad.md5 (the hash list the rules read) and
OUTDIR/expect.json: per case the file name, direction, state, size and the
hashes computed here with hashlib over the body as the client decodes it
(dechunked, gunzipped).

Cases: a Content-Length body (a PDF head, for libmagic), a chunked gzip body
larger than the agent's response-body limit (hashing must not stop there), a
"malware" body behind a name in the md5 list (twice, under two names: the
filestore rule fires on both, the store writes the file once), a body cut
short by the close (TRUNCATED, no hashes), a Content-Disposition file name,
and a POST body (a file to the server).

Also OUTDIR/mailftp.pcap with OUTDIR/mailftp.rules and, in expect.json,
"mail_ftp_files": an SMTP mail (port 25) with a text part, the "malware" as
a base64 attachment and a quoted-printable attachment named by Content-Type
name=; an FTP session (port 21) that RETRs the same "malware" after PASV and
STORs another file after EPSV, then the two data connections (FIN closes).
The filestore rules fire on the attachment and on the RETR: the store keeps
the one file once.

Usage: file_downloads.py OUTDIR.  Python 3 standard library only.
"""
import base64
import gzip
import hashlib
import json
import os
import random
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from pcaplib import csum, pcap_header, pcap_record_us  # noqa: E402
import mkpcap  # noqa: E402

MALWARE = b"MZ\x90\x00" + b"EVIL-DROPPER-PAYLOAD " * 40 + b"\x00" * 64


def tcp_packet(src, dst, sport, dport, seq, ack, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00" + ip + tcp


def chunked(data, size):
    out = b""
    for i in range(0, len(data), size):
        part = data[i:i + size]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    return out + b"0\r\n\r\n"


def response(body, headers=b"", wire=None):
    wire = body if wire is None else wire
    if b"Transfer-Encoding" not in headers:
        headers += b"Content-Length: %d\r\n" % len(wire)
    return b"HTTP/1.1 200 OK\r\nServer: test\r\n" + headers + b"\r\n" + wire


def cases():
    rnd = random.Random(7)
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(
        rnd.getrandbits(8) for _ in range(3000))
    big = "".join(rnd.choice("abcdefghij klmnop\n") for _ in range(300000)).encode()
    out = []

    def dl(path, body, resp, state="CLOSED", name=None, size=None):
        req = b"GET " + path + b" HTTP/1.1\r\nHost: files.test\r\nUser-Agent: t\r\n\r\n"
        out.append({"req": req, "resp": resp, "files": [{
            "filename": (name or path).decode(), "dir": "to_client", "state": state,
            "size": len(body) if size is None else size,
            "md5": hashlib.md5(body).hexdigest() if state == "CLOSED" else None,
            "sha256": hashlib.sha256(body).hexdigest() if state == "CLOSED" else None}]})

    dl(b"/docs/report.pdf", pdf, response(pdf, b"Content-Type: application/pdf\r\n"))
    gz = gzip.compress(big)
    dl(b"/dl/big.txt?v=2", big,
       response(big, b"Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", chunked(gz, 4000)),
       name=b"/dl/big.txt")
    dl(b"/malware/dropper.exe", MALWARE, response(MALWARE))
    dl(b"/mirror/dropper.exe", MALWARE, response(MALWARE))
    cut = bytes(rnd.getrandbits(8) for _ in range(20000))
    wire = b"HTTP/1.1 200 OK\r\nContent-Length: 50000\r\n\r\n" + cut
    dl(b"/partial.bin", cut, wire, state="TRUNCATED")
    named = b"attachment body\n" * 50
    dl(b"/get?id=7", named, response(named, b'Content-Disposition: attachment; filename="invoice.doc"\r\n'),
       name=b"invoice.doc")
    upload = b"field=" + b"u" * 2000
    req = (b"POST /upload/form HTTP/1.1\r\nHost: files.test\r\nContent-Length: %d\r\n\r\n" % len(upload)) + upload
    out.append({"req": req, "resp": response(b"ok"), "files": [
        {"filename": "/upload/form", "dir": "to_server", "state": "CLOSED", "size": len(upload),
         "md5": hashlib.md5(upload).hexdigest(), "sha256": hashlib.sha256(upload).hexdigest()},
        {"filename": "/upload/form", "dir": "to_client", "state": "CLOSED", "size": 2,
         "md5": hashlib.md5(b"ok").hexdigest(), "sha256": hashlib.sha256(b"ok").hexdigest()}]})
    return out


def write_pcap(path, all_cases):
    t = [1767225600 * 1000000]

    def put(f, pkt):
        t[0] += 1000
        f.write(pcap_record_us(t[0], pkt))

    with open(path, "wb") as f:
        f.write(pcap_header())
        for i, c in enumerate(all_cases):
            cli, srv = bytes([10, 3, 1, i + 1]), bytes([10, 3, 0, 1])
            cp, sp = 30000 + i, 80
            cs, ss = 1000, 5000
            put(f, tcp_packet(cli, srv, cp, sp, cs, 0, 0x02, b""))
            put(f, tcp_packet(srv, cli, sp, cp, ss, cs + 1, 0x12, b""))
            cs += 1
            ss += 1
            put(f, tcp_packet(cli, srv, cp, sp, cs, ss, 0x10, b""))
            for k in range(0, len(c["req"]), 1400):
                part = c["req"][k:k + 1400]
                put(f, tcp_packet(cli, srv, cp, sp, cs, ss, 0x18, part))
                cs += len(part)
            put(f, tcp_packet(srv, cli, sp, cp, ss, cs, 0x10, b""))
            for k in range(0, len(c["resp"]), 1400):
                part = c["resp"][k:k + 1400]
                put(f, tcp_packet(srv, cli, sp, cp, ss, cs, 0x18, part))
                ss += len(part)
                if (k // 1400) % 4 == 3:
                    put(f, tcp_packet(cli, srv, cp, sp, cs, ss, 0x10, b""))
            put(f, tcp_packet(cli, srv, cp, sp, cs, ss, 0x10, b""))
            put(f, tcp_packet(srv, cli, sp, cp, ss, cs, 0x11, b""))
            ss += 1
            put(f, tcp_packet(cli, srv, cp, sp, cs, ss, 0x11, b""))
            cs += 1
            put(f, tcp_packet(srv, cli, sp, cp, ss, cs, 0x10, b""))


# As the mail reader decodes it: lines end in CRLF in a mail.
NOTES = "Caf\u00e9 list = coffee, tea\r\nsecond line\r\n".encode()


def qp(data):
    out = b""
    for b in data:
        out += b"=%02X" % b if b >= 0x80 or b == ord("=") else bytes([b])
    return out


def b64_lines(data):
    e = base64.b64encode(data)
    return b"".join(e[i:i + 76] + b"\r\n" for i in range(0, len(e), 76))


def write_mail_ftp(path):
    """An SMTP mail with two attachments and an FTP RETR and STOR; returns the files."""
    w = mkpcap.Writer(path)
    msg = (b"From: eve@evil.example\r\nTo: bob@example.org\r\nSubject: invoice\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=\"=_b\"\r\n\r\n"
           b"--=_b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
           b"--=_b\r\nContent-Type: application/octet-stream\r\n"
           b"Content-Disposition: attachment; filename=\"dropper.exe\"\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + b64_lines(MALWARE) +
           b"--=_b\r\nContent-Type: text/plain; charset=utf-8; name=\"notes.txt\"\r\n"
           b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + qp(NOTES) + b"\r\n--=_b--\r\n")
    cli, mx, ftp = "10.4.0.1", "10.4.0.25", "10.4.0.21"
    mkpcap.tcp_session(w, cli, mx, 40025, 25, [
        (b"", b"220 mx.example.org ESMTP\r\n"),
        (b"EHLO client.example.com\r\n", b"250-mx.example.org\r\n250 PIPELINING\r\n"),
        (b"MAIL FROM:<eve@evil.example>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n",
         b"250 Ok\r\n250 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"),
        (msg + b".\r\n", b"250 Ok: queued\r\n"),
        (b"QUIT\r\n", b"221 Bye\r\n"),
    ])
    upload = b"uploaded report\n" * 300
    mkpcap.tcp_session(w, cli, ftp, 40021, 21, [
        (b"", b"220 (vsFTPd 3.0.3)\r\n"),
        (b"USER anonymous\r\n", b"331 Password.\r\n"),
        (b"PASS guest@\r\n", b"230 Login successful.\r\n"),
        (b"PASV\r\n", b"227 Entering Passive Mode (10,4,0,21,195,80).\r\n"),
        (b"RETR /pub/dropper.exe\r\n", b"150 Opening BINARY mode data connection.\r\n226 Transfer complete.\r\n"),
        (b"EPSV\r\n", b"229 Entering Extended Passive Mode (|||50001|)\r\n"),
        (b"STOR report.txt\r\n", b"150 Ok to send data.\r\n226 Transfer complete.\r\n"),
        (b"QUIT\r\n", b"221 Goodbye.\r\n"),
    ])
    mkpcap.tcp_session(w, cli, ftp, 40030, 50000, [(b"", MALWARE)])
    mkpcap.tcp_session(w, cli, ftp, 40031, 50001, [(upload, b"")])
    w.close()

    def f(name, d, data, proto):
        return {"filename": name, "dir": d, "state": "CLOSED", "size": len(data), "app_proto": proto,
                "md5": hashlib.md5(data).hexdigest(), "sha256": hashlib.sha256(data).hexdigest()}
    return [f("dropper.exe", "to_server", MALWARE, "smtp"), f("notes.txt", "to_server", NOTES, "smtp"),
            f("/pub/dropper.exe", "to_client", MALWARE, "ftp-data"),
            f("report.txt", "to_server", upload, "ftp-data")]


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    all_cases = cases()
    write_pcap(os.path.join(outdir, "files.pcap"), all_cases)
    with open(os.path.join(outdir, "bad.md5"), "w") as f:
        f.write("# known bad\n%s dropper\n" % hashlib.md5(MALWARE).hexdigest().upper())
        f.write("d41d8cd98f00b204e9800998ecf8427e empty\n")
    with open(os.path.join(outdir, "files.rules"), "w") as f:
        f.write('alert http any any -> any any (msg:"known bad download"; flow:to_client; '
                'file.data; content:"EVIL-DROPPER"; filename:"dropper"; fileext:"exe"; '
                'filemd5:bad.md5; filestore; sid:1;)\n')
        f.write('alert http any any -> any any (msg:"pdf by type"; filemagic:"pdf document"; sid:2;)\n')
        f.write('alert http any any -> any any (msg:"big file"; filesize:>100kb; sid:3;)\n')
        f.write('alert http any any -> any any (msg:"not on the list"; fileext:"exe"; filemd5:!bad.md5; '
                'sid:4;)\n')
    mail_ftp = write_mail_ftp(os.path.join(outdir, "mailftp.pcap"))
    with open(os.path.join(outdir, "mailftp.rules"), "w") as f:
        f.write('alert smtp any any -> any any (msg:"known bad attachment"; file.data; content:"EVIL-DROPPER"; '
                'filename:"dropper.exe"; filemd5:bad.md5; filestore; sid:11;)\n')
        f.write('alert ftp-data any any -> any any (msg:"known bad ftp transfer"; file.data; '
                'content:"EVIL-DROPPER"; filename:"dropper.exe"; filemd5:bad.md5; filestore; sid:12;)\n')
        f.write('alert smtp any any -> any any (msg:"notes attached"; filename:"notes.txt"; '
                'file.data; content:"coffee"; sid:13;)\n')
    files = [dict(fi) for c in all_cases for fi in c["files"]]
    with open(os.path.join(outdir, "expect.json"), "w") as f:
        json.dump({"files": files, "malware_sha256": hashlib.sha256(MALWARE).hexdigest(),
                   "mail_ftp_files": mail_ftp}, f, indent=1)


if __name__ == "__main__":
    main()
