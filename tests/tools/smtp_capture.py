#!/usr/bin/env python3
"""Writes the SMTP capture of tests/integration/smtp_test.sh:

  smtp_capture.py OUT.pcap

Session 1 (port 25): greeting, EHLO, pipelined MAIL/RCPT/RCPT/DATA, a
multipart message (quoted-printable text, a base64 PDF attachment whose
decoded bytes hold MARKER, which never appears on the wire), QUIT.
Session 2 (port 587): EHLO, STARTTLS accepted, then a TLS ClientHello with
the server name SNI.
"""
import base64
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import mkpcap as m  # noqa: E402  (frames and TCP sessions; pcaplib underneath)

MARKER = b"VIGIL-ATTACHMENT-MARKER"
SNI = "mail.example.org"


def message():
    pdf = b"%PDF-1.4\n" + bytes(range(256)) + MARKER + b"\n%%EOF\n"
    b64 = base64.b64encode(pdf)
    lines = b"\r\n".join(b64[i:i + 76] for i in range(0, len(b64), 76))
    return (b"From: \"Eve\" <eve@evil.example>\r\n"
            b"To: bob@example.org, carol@example.net\r\n"
            b"Cc: dave@example.com\r\n"
            b"Subject: Invoice 42\r\n"
            b"Message-ID: <42@evil.example>\r\n"
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"=_b1\"\r\n\r\n"
            b"--=_b1\r\nContent-Type: text/plain; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            b"Please pay =E2=82=AC 42.\r\n..\r\n"
            b"--=_b1\r\nContent-Type: application/pdf; name=\"invoice.pdf\"\r\n"
            b"Content-Disposition: attachment; filename=\"invoice.pdf\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + lines + b"\r\n--=_b1--\r\n")


def main():
    w = m.Writer(sys.argv[1])
    m.tcp_session(w, "10.2.0.1", "10.2.0.25", 40025, 25, [
        (b"", b"220 mx.example.org ESMTP Postfix\r\n"),
        (b"EHLO client.example.com\r\n", b"250-mx.example.org\r\n250-PIPELINING\r\n250 8BITMIME\r\n"),
        (b"MAIL FROM:<eve@evil.example>\r\nRCPT TO:<bob@example.org>\r\nRCPT TO:<carol@example.net>\r\nDATA\r\n",
         b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"),
        (message() + b".\r\n", b"250 2.0.0 Ok: queued as 4242\r\n"),
        (b"QUIT\r\n", b"221 2.0.0 Bye\r\n"),
    ])
    m.tcp_session(w, "10.2.0.1", "10.2.0.25", 40587, 587, [
        (b"", b"220 mx.example.org ESMTP\r\n"),
        (b"EHLO laptop\r\n", b"250-mx.example.org\r\n250 STARTTLS\r\n"),
        (b"STARTTLS\r\n", b"220 2.0.0 Ready to start TLS\r\n"),
        (m.tls_client_hello(SNI), b""),
    ])
    w.close()


if __name__ == "__main__":
    main()
