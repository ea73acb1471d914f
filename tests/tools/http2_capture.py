#!/usr/bin/env python3
"""Writes a capture of cleartext HTTP/2 (prior knowledge) for tests/integration/http2_test.sh.

  http2_capture.py OUT.pcap

The HTTP/2 bytes are made by the h2 package (Debian python3-h2): a real client
and a real server connection talking to each other, so HPACK uses Huffman
strings and dynamic-table references as deployed peers do. The bytes go into
TCP sessions (client 10.3.0.1, server 10.3.0.2) with a handshake, segments
of at most `mss` bytes and a FIN close (tools/mkpcap.py).

  1. port 8080, mss 90: GET /index.html; POST /upload with a body; GET
     /malware/payload.exe answered with a gzip body holding vigil-h2-marker;
     GET /missing answered 404 (4 streams).
  2. port 80, mss 1400: GET /big answered by 70,000 bytes in DATA frames, then
     GET /malware/payload.exe again (2 streams).
  3. port 8081: 3 requests sent before any answer, answered in reverse order.
"""
import gzip
import os
import sys

import h2.config
import h2.connection

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import mkpcap as m  # noqa: E402

CLI, SRV = "10.3.0.1", "10.3.0.2"


class Pair:
    def __init__(self):
        self.c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.s = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        self.c.initiate_connection()
        self.s.initiate_connection()

    def exchange(self, client_acts, server_acts=()):
        """Runs the client actions, delivers their bytes, runs the server's; returns (c2s, s2c)."""
        for a in client_acts:
            a(self.c)
        c2s = self.c.data_to_send()
        self.s.receive_data(c2s)
        for a in server_acts:
            a(self.s)
        s2c = self.s.data_to_send()
        self.c.receive_data(s2c)
        c2s_more = self.c.data_to_send()  # SETTINGS ACKs and the like
        if c2s_more:
            self.s.receive_data(c2s_more)
        return c2s + c2s_more, s2c


def req(sid, method, path, host="www.example.com", body=None):
    headers = [(":method", method), (":scheme", "http"), (":authority", host), (":path", path),
               ("user-agent", "vigil-h2-test/1.0"), ("accept", "*/*")]

    def act(conn):
        conn.send_headers(sid, headers, end_stream=body is None)
        if body is not None:
            conn.send_data(sid, body, end_stream=True)
    return act


def resp(sid, status, body=b"", ctype="text/html", gz=False):
    headers = [(":status", str(status)), ("content-type", ctype), ("server", "h2-test")]
    if gz:
        body = gzip.compress(body, mtime=0)
        headers.append(("content-encoding", "gzip"))

    def act(conn):
        conn.send_headers(sid, headers, end_stream=not body)
        off = 0
        while off < len(body):
            n = min(len(body) - off, conn.max_outbound_frame_size, conn.local_flow_control_window(sid))
            conn.send_data(sid, body[off:off + n], end_stream=off + n == len(body))
            off += n
    return act


def main():
    w = m.Writer(sys.argv[1])
    p = Pair()
    m.tcp_session(w, CLI, SRV, 41001, 8080, [
        p.exchange([req(1, "GET", "/index.html")], [resp(1, 200, b"<html>welcome</html>")]),
        p.exchange([req(3, "POST", "/upload", body=b"name=vigil&data=upload-marker")],
                   [resp(3, 201, b"stored")]),
        p.exchange([req(5, "GET", "/malware/payload.exe")],
                   [resp(5, 200, b"MZ vigil-h2-marker " * 20, "application/octet-stream", gz=True)]),
        p.exchange([req(7, "GET", "/missing")], [resp(7, 404, b"not here")]),
    ], mss=90)
    p = Pair()
    # The client opens a large window so the 70,000 bytes flow in one go.
    p.c.increment_flow_control_window(1 << 20)
    p.c.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1 << 20})
    m.tcp_session(w, CLI, SRV, 41002, 80, [
        p.exchange([], []),
        p.exchange([req(1, "GET", "/big")], [resp(1, 200, b"x" * 70000, "application/octet-stream")]),
        p.exchange([req(3, "GET", "/malware/payload.exe")], [resp(3, 200, b"vigil-h2-marker")]),
    ])
    p = Pair()
    m.tcp_session(w, CLI, SRV, 41003, 8081, [
        p.exchange([req(1, "GET", "/a"), req(3, "GET", "/b"), req(5, "GET", "/c")],
                   [resp(5, 200, b"c"), resp(3, 200, b"b"), resp(1, 200, b"a")]),
    ])
    w.close()


if __name__ == "__main__":
    main()
