#!/usr/bin/env python3
"""A receiver for the forwarding test (forward_test.sh), on 127.0.0.1 only.
Writes one JSON line per message received to OUT: {"msg": ...} and, for http,
{"headers": {...}, "path": ..., "body": ...}.
Usage: forward_receiver.py udp|tcp|tls|http PORT OUT [CERT KEY]
tcp and tls read RFC 6587 octet-counted frames ("LEN SP MSG") and exit with
an error on a frame that is not."""
import http.server
import json
import socket
import socketserver
import ssl
import sys
import threading

mode, port, out_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
out = open(out_path, "a", buffering=1)


def record(obj):
    with lock:
        out.write(json.dumps(obj) + "\n")


def read_frames(conn):
    buf = b""
    while True:
        data = conn.recv(65536)
        if not data:
            return
        buf += data
        while True:
            sp = buf.find(b" ")
            if sp < 0:
                break
            if not buf[:sp].isdigit():
                record({"framing_error": buf[:80].decode("utf-8", "replace")})
                return
            n = int(buf[:sp])
            if len(buf) < sp + 1 + n:
                break
            record({"msg": buf[sp + 1:sp + 1 + n].decode("utf-8")})
            buf = buf[sp + 1 + n:]


if mode == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    while True:
        data, _ = s.recvfrom(65536)
        record({"msg": data.decode("utf-8")})
elif mode in ("tcp", "tls"):
    ctx = None
    if mode == "tls":
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(sys.argv[4], sys.argv[5])
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(16)

    def serve(c):
        try:
            if ctx:
                c = ctx.wrap_socket(c, server_side=True)
            read_frames(c)
        except (OSError, ssl.SSLError) as e:
            record({"conn_error": str(e)})
        finally:
            c.close()

    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
elif mode == "http":
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n).decode("utf-8")
            record({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    S(("127.0.0.1", port), H).serve_forever()
else:
    sys.exit("unknown mode " + mode)
