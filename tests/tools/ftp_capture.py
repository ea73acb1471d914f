#!/usr/bin/env python3
"""Writes a capture of FTP command channels for tests/integration/ftp_events_test.sh.

  ftp_capture.py OUT.pcap

Sessions (client 10.2.0.1, server 10.2.0.2), each a real TCP handshake,
segmented data and FIN close (tools/mkpcap.py on tools/pcaplib.py):
  1. port 21: greeting (multi-line), USER/PASS, PASV (227), RETR with a 150
     preliminary and a 226 final reply, QUIT;
  2. port 2121 (detected by content): pipelined commands sent in one segment,
     PORT naming another host (ftpbounce), EPSV (229), STOR of a file;
  3. port 21: AUTH TLS answered by 234, then TLS-looking bytes both ways;
then the data connections of 1 (RETR) and 2 (STOR), and one nobody announced.
Standard library only; deterministic.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import mkpcap as m  # noqa: E402

CLI, SRV = "10.2.0.1", "10.2.0.2"


def main():
    w = m.Writer(sys.argv[1])
    m.tcp_session(w, CLI, SRV, 40021, 21, [
        (b"", b"220-Welcome to the test FTP service\r\n220 (vsFTPd 3.0.3)\r\n"),
        (b"USER anonymous\r\n", b"331 Please specify the password.\r\n"),
        (b"PASS guest@example.com\r\n", b"230 Login successful.\r\n"),
        (b"PASV\r\n", b"227 Entering Passive Mode (10,2,0,2,195,80).\r\n"),
        (b"RETR /pub/vigil-secret.tar.gz\r\n",
         b"150 Opening BINARY mode data connection for vigil-secret.tar.gz (1024 bytes).\r\n"
         b"226 Transfer complete.\r\n"),
        (b"QUIT\r\n", b"221 Goodbye.\r\n"),
    ], mss=7)  # small segments: every line crosses segment boundaries
    m.tcp_session(w, CLI, SRV, 40022, 2121, [
        (b"", b"220 ProFTPD Server (test) [10.2.0.2]\r\n"),
        (b"USER bob\r\nPASS hunter2\r\nPORT 192,0,2,99,7,208\r\nEPSV\r\nSTOR upload.bin\r\n",
         b"331 Password required for bob\r\n230 User bob logged in\r\n200 PORT command successful\r\n"
         b"229 Entering Extended Passive Mode (|||50001|)\r\n150 Opening\r\n226 Transfer complete\r\n"),
    ])
    # The data connections the two sessions announced (PASV 50000 for RETR,
    # EPSV 50001 for STOR), after them; one not announced (port 50002).
    m.tcp_session(w, CLI, SRV, 40030, 50000, [(b"", b"retrieved: vigil-file-marker\n" * 100)])
    m.tcp_session(w, CLI, SRV, 40031, 50001, [(b"uploaded: vigil-upload-marker\n", b"")])
    m.tcp_session(w, CLI, SRV, 40032, 50002, [(b"", b"vigil-file-marker, but no transfer announced it\n")])
    m.tcp_session(w, CLI, SRV, 40023, 21, [
        (b"", b"220 FTP server ready\r\n"),
        (b"AUTH TLS\r\n", b"234 AUTH TLS successful\r\n"),
        (b"\x16\x03\x01\x00\x30" + b"\x01" * 48, b"\x16\x03\x03\x00\x30" + b"\x02" * 48),
        (b"\x17\x03\x03\x00\x10USER encrypted!!", b"\x17\x03\x03\x00\x10230 encrypted!!!"),
    ])
    w.close()


if __name__ == "__main__":
    main()
