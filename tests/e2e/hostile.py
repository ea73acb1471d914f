#!/usr/bin/env python3
"""Hostile clients against a running collector (stdlib only), for
hostile_client_test.sh. Each scenario checks the status code the collector
answers and that its memory (VmRSS, and the peak VmHWM) grew by less than
64 MB while it ran; it exits non-zero with a reason otherwise.

Usage: hostile.py SCENARIO PORT CAFILE PID [ARGS...]
  bomb BEARER EXPECT        1 MiB gzip body that inflates to 1 GiB, POST /api/v1/events
  chunked EXPECT            300 MiB chunked body without credentials: answered and
                            closed long before it is sent
  nolength BEARER EXPECT    POST without Content-Length or chunked
  slowhead SECONDS          headers one byte a second: closed by the head timeout
  idle API_KEY              300 idle TCP + 50 idle TLS connections, then an API
                            request that must answer in under 1 s
  perip N LIMIT ADMIN       N plain TCP connections from 127.0.0.1: those past LIMIT
                            are closed, and the collector counted exactly N - LIMIT refusals
  expect BEARER EXPECT      Expect: 100-continue on a heartbeat: "100" then 200 with
                            credentials, the refusal without a 100 otherwise
  request METHOD PATH BEARER EXPECT [BODY_FILE]   one request, status and memory checked
"""
import json
import os
import select
import socket
import ssl
import sys
import time
import zlib

MB = 1 << 20
# The property is asserted on the optimised build. Under AddressSanitizer the
# collector's memory is mostly the instrumentation's (shadow memory, the
# quarantine of freed blocks), so the script that runs this raises the limit
# there (HOSTILE_LIMIT_MB) and keeps every status check.
LIMIT_MB = int(os.environ.get("HOSTILE_LIMIT_MB", "64"))


def mem_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise SystemExit(f"no {field} for pid {pid}")


class Memory:
    def __init__(self, pid):
        self.pid = pid
        self.rss0, self.hwm0 = mem_kb(pid, "VmRSS"), mem_kb(pid, "VmHWM")

    def check(self, what):
        rss = (mem_kb(self.pid, "VmRSS") - self.rss0) / 1024
        hwm = (mem_kb(self.pid, "VmHWM") - self.hwm0) / 1024
        print(f"{what}: RSS grew {rss:.1f} MB, peak RSS grew {hwm:.1f} MB")
        if rss >= LIMIT_MB or hwm >= LIMIT_MB:
            raise SystemExit(f"FAIL {what}: collector memory grew by {max(rss, hwm):.1f} MB (limit {LIMIT_MB})")


def tls_connect(port, cafile, timeout=10, source=None):
    ctx = ssl.create_default_context(cafile=cafile)
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                   source_address=(source, 0) if source else None)
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def head_bytes(method, path, bearer, extra):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if bearer:
        lines.append(f"Authorization: Bearer {bearer}")
    lines += extra
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_response(s, deadline, buf=b""):
    """Status code and body of one response; (None, b'') if the connection ends first."""
    while b"\r\n\r\n" not in buf:
        s.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = s.recv(65536)
        except (socket.timeout, ConnectionError, ssl.SSLError):
            return None, b""
        if not chunk:
            return None, b""
        buf += chunk
    head, body = buf.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ")[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(body) < length and time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except (socket.timeout, ConnectionError, ssl.SSLError):
            break
        if not chunk:
            break
        body += chunk
    return status, body


def closed_within(s, seconds):
    """True when the peer closes (EOF or reset) within `seconds`."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        s.settimeout(max(0.05, end - time.monotonic()))
        try:
            if not s.recv(65536):
                return True
        except socket.timeout:
            continue
        except (ConnectionError, ssl.SSLError, OSError):
            return True
    return False


def expect(what, got, want):
    print(f"{what}: status {got}")
    if str(got) != str(want):
        raise SystemExit(f"FAIL {what}: status {got}, expected {want}")


def answer_waiting(s):
    """Application bytes the peer has sent so far, without blocking (b'' when
    none: a readable socket may hold only TLS records such as session tickets).
    None when the connection has ended."""
    r, _, _ = select.select([s], [], [], 0)
    if not r and not s.pending():
        return b""
    s.setblocking(False)
    try:
        return s.recv(65536) or None
    except (ssl.SSLWantReadError, BlockingIOError):
        return b""
    except (ConnectionError, ssl.SSLError, OSError):
        return None
    finally:
        s.setblocking(True)


def send_body_watching(s, head, chunks, deadline):
    """Sends head then chunks, stopping as soon as an answer arrives.
    Returns (bytes of body sent, status)."""
    s.sendall(head)
    sent = 0
    got = b""
    for c in chunks:
        got = answer_waiting(s)
        if got is None or got:
            break
        try:
            s.sendall(c)
        except (ConnectionError, ssl.SSLError, OSError):
            break
        sent += len(c)
        if time.monotonic() > deadline:
            break
    status, _ = read_response(s, deadline, got or b"")
    return sent, status


def bomb_body(path):
    # 1 GiB of zeros at level 9: about 1 MiB of gzip. Built once, kept in the work dir.
    if not os.path.exists(path):
        z = zlib.compressobj(9, zlib.DEFLATED, 31)
        block = bytes(MB)
        with open(path + ".tmp", "wb") as f:
            for _ in range(1024):
                f.write(z.compress(block))
            f.write(z.flush())
        os.rename(path + ".tmp", path)
    return open(path, "rb").read()


def main():
    scenario, port, cafile, pid = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    args = sys.argv[5:]
    mem = Memory(pid)
    deadline = time.monotonic() + 60

    if scenario == "bomb":
        bearer, want = args[0], args[1]
        body = bomb_body(os.path.join(os.environ.get("WORK", "/tmp"), "bomb.gz"))
        if not (0.5 * MB < len(body) < 2 * MB):
            raise SystemExit(f"bomb is {len(body)} bytes")
        s = tls_connect(port, cafile)
        head = head_bytes("POST", "/api/v1/events", bearer,
                          ["Content-Type: application/json", "Content-Encoding: gzip",
                           f"Content-Length: {len(body)}"])
        chunks = [body[i:i + 65536] for i in range(0, len(body), 65536)]
        _, status = send_body_watching(s, head, chunks, deadline)
        expect("gzip bomb", status, want)
        mem.check("gzip bomb")
    elif scenario == "chunked":
        want = args[0]
        s = tls_connect(port, cafile)
        head = head_bytes("POST", "/api/v1/events", "",
                          ["Content-Type: application/json", "Transfer-Encoding: chunked"])
        piece = b"x" * 65536
        chunk = b"%x\r\n" % len(piece) + piece + b"\r\n"
        total = 300 * MB // len(piece)
        sent, status = send_body_watching(s, head, (chunk for _ in range(total)), deadline)
        expect("300 MiB chunked body", status, want)
        print(f"300 MiB chunked body: {sent / MB:.1f} MiB sent before the answer")
        if sent >= 32 * MB:
            raise SystemExit(f"FAIL: {sent / MB:.1f} MiB were sent before the answer")
        if not closed_within(s, 10):
            raise SystemExit("FAIL: connection still open 10 s after the refusal")
        mem.check("300 MiB chunked body")
    elif scenario == "nolength":
        bearer, want = args[0], args[1]
        s = tls_connect(port, cafile)
        s.sendall(head_bytes("POST", "/api/v1/events", bearer, ["Content-Type: application/json"]))
        status, _ = read_response(s, deadline)
        expect("POST without a length", status, want)
        mem.check("POST without a length")
    elif scenario == "slowhead":
        timeout = float(args[0])
        s = tls_connect(port, cafile)
        head = head_bytes("GET", "/api/v1/agents", "", ["X-Padding: " + "a" * 60])
        start = time.monotonic()
        sent = 0
        for b in head:
            try:
                s.send(bytes([b]))
            except (ConnectionError, ssl.SSLError, OSError):
                break
            sent += 1
            r, _, _ = select.select([s], [], [], 1.0)
            if r and closed_within(s, 0.1):
                break
            if time.monotonic() - start > timeout + 5:
                break
        took = time.monotonic() - start
        print(f"headers one byte a second: closed after {took:.1f} s and {sent} of {len(head)} bytes")
        if sent >= len(head) or took > timeout + 3:
            raise SystemExit(f"FAIL: not closed by the {timeout} s head timeout")
        mem.check("slow headers")
    elif scenario == "idle":
        api_key = args[0]
        socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(300)]
        tls = [tls_connect(port, cafile) for _ in range(50)]
        time.sleep(0.5)
        worst = 0.0
        for _ in range(5):
            t0 = time.monotonic()
            s = tls_connect(port, cafile)
            s.sendall(head_bytes("GET", "/api/v1/agents", api_key, []))
            status, _ = read_response(s, time.monotonic() + 10)
            took = time.monotonic() - t0
            worst = max(worst, took)
            s.close()
            expect("API request beside 350 idle connections", status, 200)
        print(f"API request beside 300 idle TCP + 50 idle TLS connections: slowest {worst * 1000:.0f} ms")
        if worst >= 1.0:
            raise SystemExit(f"FAIL: API request took {worst:.2f} s")
        mem.check("350 idle connections")
        for s in socks + tls:
            s.close()
    elif scenario == "perip":
        # The connections past the limit are closed as the collector accepts
        # them; the others stay open until the head timeout. A slow (sanitizer,
        # loaded) collector may take a while to accept them all, so this polls,
        # and then checks the collector's count of refusals: exactly N - LIMIT.
        # The stats requests come from 127.0.0.2, another address.
        n, limit, admin = int(args[0]), int(args[1]), args[2]

        def refused():
            s = tls_connect(port, cafile, source="127.0.0.2")
            s.sendall(head_bytes("GET", "/api/v1/server/stats", admin, []))
            status, body = read_response(s, time.monotonic() + 30)
            s.close()
            if status != 200:
                raise SystemExit(f"FAIL: server stats: {status}")
            return json.loads(body)["http.refused_per_ip_limit"]

        refused0 = refused()
        socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(n)]
        for s in socks:
            s.setblocking(False)
        closed = set()
        deadline = time.monotonic() + 30
        while True:
            for i, s in enumerate(socks):
                if i in closed:
                    continue
                try:
                    if s.recv(1) == b"":
                        closed.add(i)
                except BlockingIOError:
                    pass
                except OSError:
                    closed.add(i)
            if len(closed) >= n - limit or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        print(f"{n} connections from one address with a limit of {limit}: {len(closed)} closed")
        if len(closed) < n - limit:
            raise SystemExit(f"FAIL: expected {n - limit} closed, got {len(closed)}")
        count = refused() - refused0
        print(f"refusals counted by the collector: {count}")
        if count != n - limit:
            raise SystemExit(f"FAIL: the collector refused {count}, not {n - limit}")
        for s in socks:
            s.close()
        mem.check("connections past the per-address limit")
    elif scenario == "expect":
        bearer, want = args[0], args[1]
        body = b'{"packets": 1}'
        s = tls_connect(port, cafile)
        s.sendall(head_bytes("POST", "/api/v1/heartbeat", bearer,
                             ["Content-Type: application/json", "Expect: 100-continue",
                              f"Content-Length: {len(body)}"]))
        status, _ = read_response(s, deadline)
        if status == 100:
            print("Expect: 100-continue: 100 Continue")
            s.sendall(body)
            status, _ = read_response(s, deadline)
        expect("Expect: 100-continue", status, want)
    elif scenario == "request":
        method, path, bearer, want = args[0], args[1], args[2], args[3]
        body = open(args[4], "rb").read() if len(args) > 4 else b""
        s = tls_connect(port, cafile)
        extra = ["Content-Type: application/json", f"Content-Length: {len(body)}"] if len(args) > 4 else []
        s.sendall(head_bytes(method, path, bearer, extra) + body)
        status, resp = read_response(s, deadline)
        expect(f"{method} {path}", status, want)
        if status and status >= 400:
            j = json.loads(resp)
            if not isinstance(j.get("error"), str):
                raise SystemExit(f"FAIL: error body without an error string: {resp[:200]!r}")
        mem.check(f"{method} {path}")
    else:
        raise SystemExit(f"unknown scenario {scenario}")


if __name__ == "__main__":
    main()
