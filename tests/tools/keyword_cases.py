#!/usr/bin/env python3
"""Keyword edge cases: payload keywords at the edges of the buffer.

Generates one UDP packet per case (each on its own destination port, so each
is its own flow) and one rule per case (sid = case number) restricted to that
port, covering content with offset/depth/distance/within, isdataat,
byte_test, byte_jump, byte_extract, byte_math and dsize: every operator,
relative and absolute positions, values at the buffer's edges (0, the last
byte, one past it, the length exactly, negative relative offsets). A TCP
session then checks that dsize applies to each segment, never to the
reassembled stream (one alert per satisfying segment).

The expected alert count of each case (0 or 1) comes from a small reference
model below, written from Suricata's keyword documentation (and, where the
documentation is silent, from Suricata's engine behaviour noted beside the
rule), independent of Vigil's code.

  keyword_cases.py gen DIR          writes DIR/cases.pcap, DIR/cases.rules, DIR/cases.json
  keyword_cases.py check DIR EVE    compares EVE's alerts with the expectations;
                                    prints each failing case, exits 1 on any

Python 3 standard library only.
"""
import json
import struct
import sys
import os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from pcaplib import csum, pcap_header, pcap_record  # noqa: E402

# ---------------------------------------------------------------- reference model
#
# A rule's payload options are a list of ops evaluated left to right on one
# buffer with a cursor (the end of the previous match, or where byte_jump /
# byte_extract left it). A content match that makes the rest fail is retried
# at its next occurrence when the next op is relative (Suricata's recursive
# content inspection); otherwise the rule fails.


def _read_int(buf, pos, op, var):
    """Reads op's number at pos: (value, bytes consumed) or None."""
    n = op["nbytes"]
    if pos < 0 or pos + n > len(buf):
        return None
    raw = buf[pos:pos + n]
    if op.get("string"):
        base = op["string"]
        digits = 0
        val = 0
        for ch in raw:
            d = int(chr(ch), 16) if chr(ch) in "0123456789abcdefABCDEF" else -1
            if d < 0 or d >= base:
                break
            val = val * base + d
            digits += 1
        if digits == 0:
            return None
        # Suricata converts with strtoull over the nbytes bytes: the cursor
        # moves past the digits it consumed, not past all nbytes.
        return val, digits
    order = "little" if op.get("little") else "big"
    return int.from_bytes(raw, order), n


def _arg(v, var):
    return var[v] if isinstance(v, str) else v


def _cmp(op, v, x):
    return {
        "<": v < x, ">": v > x, "=": v == x, "<=": v <= x, ">=": v >= x,
        "&": (v & x) != 0, "^": (v ^ x) != 0,
    }[op]


def _relative(op):
    """Depends on the previous match's end: a relative option, or a content with distance/within."""
    return op.get("relative", False) or (op["k"] == "content" and ("distance" in op or "within" in op))


def _run(ops, i, buf, cursor, var):
    if i == len(ops):
        return True
    op = ops[i]
    k = op["k"]
    rel = op.get("relative", False)
    if k == "content":
        pat = op["pat"]
        if "distance" in op or "within" in op:
            start = cursor + _arg(op.get("distance", 0), var)
            start = max(start, 0)
            stop = len(buf)
            if "within" in op:
                stop = min(stop, cursor + _arg(op.get("distance", 0), var) + _arg(op["within"], var))
        else:
            start = _arg(op.get("offset", 0), var)
            stop = len(buf)
            if "depth" in op:
                stop = min(stop, start + _arg(op["depth"], var))
        nxt_rel = i + 1 < len(ops) and _relative(ops[i + 1])
        if op.get("negated"):
            found = any(buf[s:s + len(pat)] == pat for s in range(start, stop - len(pat) + 1))
            return not found and _run(ops, i + 1, buf, cursor, var)
        for s in range(start, stop - len(pat) + 1):
            if buf[s:s + len(pat)] == pat:
                if _run(ops, i + 1, buf, s + len(pat), dict(var)):
                    return True
                if not nxt_rel:
                    return False
        return False
    if k == "isdataat":
        n = _arg(op["n"], var)
        # Relative: n more bytes after the cursor; absolute: a byte at offset n.
        has = (cursor + n <= len(buf)) if rel else (0 <= n < len(buf))
        if has == op.get("negated", False):
            return False
        return _run(ops, i + 1, buf, cursor, var)
    base = cursor if rel else 0
    if k == "byte_test":
        r = _read_int(buf, base + _arg(op["offset"], var), op, var)
        if r is None:
            return False
        ok = _cmp(op["op"], r[0], _arg(op["value"], var))
        if ok == op.get("negated", False):
            return False
        return _run(ops, i + 1, buf, cursor, var)
    if k == "byte_extract":
        pos = base + _arg(op["offset"], var)
        r = _read_int(buf, pos, op, var)
        if r is None:
            return False
        val = r[0] * op.get("multiplier", 1)
        a = op.get("align", 0)
        if a and val % a:
            val += a - val % a
        var = dict(var)
        var[op["name"]] = val
        return _run(ops, i + 1, buf, pos + r[1], var)
    if k == "byte_math":
        r = _read_int(buf, base + _arg(op["offset"], var), op, var)
        if r is None:
            return False
        v, rv = r[0], _arg(op["rvalue"], var)
        o = op["oper"]
        if o == "/" and rv == 0:
            return False
        res = {"+": v + rv, "-": v - rv, "*": v * rv, "/": v // rv if rv else 0, "<<": v << rv,
               ">>": v >> rv}[o]
        var = dict(var)
        var[op["result"]] = res
        return _run(ops, i + 1, buf, cursor, var)
    if k == "byte_jump":
        pos = base + _arg(op["offset"], var)
        r = _read_int(buf, pos, op, var)
        if r is None:
            return False
        val = r[0] * op.get("multiplier", 1)
        if op.get("align") and val % 4:
            val += 4 - val % 4
        val += op.get("post_offset", 0)
        if op.get("from_beginning"):
            dest = val
        elif op.get("from_end"):
            dest = len(buf) + val
        else:
            dest = pos + r[1] + val
        # Before the start clamps to the start; past the end fails; the end
        # itself is a valid landing.
        dest = max(dest, 0)
        if dest > len(buf):
            return False
        return _run(ops, i + 1, buf, dest, var)
    raise ValueError(k)


def dsize_ok(spec, n):
    """Suricata's integer modes; ranges are exclusive, "!a-b" is their complement."""
    if spec is None:
        return True
    neg = spec.startswith("!") and not spec.startswith("!=")
    s = spec[1:] if neg else spec
    for sep in ("<>", "-"):
        if sep in s[1:]:
            a, b = (int(x) for x in s.split(sep, 1))
            inside = a < n < b
            return not inside if neg else inside
    for o in ("<=", ">=", "!=", "<", ">", "!", "="):
        if spec.startswith(o):
            x = int(spec[len(o):])
            return {"<=": n <= x, ">=": n >= x, "!=": n != x, "<": n < x, ">": n > x, "!": n != x,
                    "=": n == x}[o]
    return n == int(spec)


def model(case):
    if not dsize_ok(case.get("dsize"), len(case["payload"])):
        return 0
    return 1 if _run(case["ops"], 0, case["payload"], 0, {}) else 0


# ---------------------------------------------------------------- rule text


def _hex(b):
    return "|" + " ".join("%02x" % c for c in b) + "|"


def _num_opts(op):
    out = []
    if op.get("relative"):
        out.append("relative")
    if op.get("little"):
        out.append("little")
    if op.get("string"):
        out += ["string", {16: "hex", 10: "dec", 8: "oct"}[op["string"]]]
    return out


def op_text(op):
    k = op["k"]
    if k == "content":
        t = 'content:%s"%s";' % ("!" if op.get("negated") else "", _hex(op["pat"]))
        for m in ("offset", "depth", "distance", "within"):
            if m in op:
                t += " %s:%s;" % (m, op[m])
        return t
    if k == "isdataat":
        return "isdataat:%s%s%s;" % ("!" if op.get("negated") else "", op["n"],
                                     ",relative" if op.get("relative") else "")
    if k == "byte_test":
        parts = [str(op["nbytes"]), ("!" if op.get("negated") else "") + op["op"], str(op["value"]),
                 str(op["offset"])] + _num_opts(op)
        return "byte_test:%s;" % ",".join(parts)
    if k == "byte_extract":
        parts = [str(op["nbytes"]), str(op["offset"]), op["name"]] + _num_opts(op)
        if "multiplier" in op:
            parts.append("multiplier %d" % op["multiplier"])
        if op.get("align"):
            parts.append("align %d" % op["align"])
        return "byte_extract:%s;" % ",".join(parts)
    if k == "byte_math":
        parts = ["bytes %d" % op["nbytes"], "offset %d" % op["offset"], "oper %s" % op["oper"],
                 "rvalue %s" % op["rvalue"], "result %s" % op["result"]] + _num_opts(op)
        return "byte_math:%s;" % ",".join(parts)
    if k == "byte_jump":
        parts = [str(op["nbytes"]), str(op["offset"])] + _num_opts(op)
        for f in ("align", "from_beginning", "from_end"):
            if op.get(f):
                parts.append(f)
        if "multiplier" in op:
            parts.append("multiplier %d" % op["multiplier"])
        if "post_offset" in op:
            parts.append("post_offset %d" % op["post_offset"])
        return "byte_jump:%s;" % ",".join(parts)
    raise ValueError(k)


# ---------------------------------------------------------------- the cases


def C(**kw):
    kw["k"] = "content"
    return kw


def cases():
    out = []

    def add(name, payload, ops, dsize=None):
        name = name.replace(";", ",").replace('"', "'")  # a msg cannot hold them unescaped
        out.append({"name": name, "payload": bytes(payload), "ops": ops, "dsize": dsize})

    buf = b"ABCDEFGHIJ"  # 10 bytes
    L = len(buf)
    # content: offset/depth at the edges.
    for pat in (b"A", b"J", b"EF", b"ABCDEFGHIJ"):
        for off in (None, 0, 1, L - len(pat), L - len(pat) + 1, L):
            for depth in (None, len(pat) - 1, len(pat), len(pat) + 1, L):
                if depth is not None and depth < len(pat):
                    continue  # a load error in Suricata (depth smaller than the content)
                op = C(pat=pat)
                if off is not None:
                    op["offset"] = off
                if depth is not None:
                    op["depth"] = depth
                add("content %s offset %s depth %s" % (pat.decode(), off, depth), buf, [op])
    # content: distance/within (negative distance included), relative to a first match.
    for first in (b"A", b"E", b"J"):
        for pat in (b"A", b"F", b"GH", b"J"):
            for dist in (None, -3, -1, 0, 1, 2, 5):
                for within in (None, 1, 2, 3, 6):
                    if dist is None and within is None:
                        continue
                    if within is not None and within < len(pat):
                        continue
                    op = C(pat=pat)
                    if dist is not None:
                        op["distance"] = dist
                    if within is not None:
                        op["within"] = within
                    add("content %s then %s distance %s within %s" % (first.decode(), pat.decode(), dist, within),
                        buf, [C(pat=first), op])
    # backtracking: the first occurrence of X fails the relative check, a later one succeeds.
    bt = b"XaaXbbXcc"
    for pat in (b"b", b"c", b"d"):
        add("backtrack X then %s within 3" % pat.decode(), bt, [C(pat=b"X"), C(pat=pat, distance=0, within=3)])
    add("backtrack X then !a within 1", bt, [C(pat=b"X"), C(pat=b"a", negated=True, distance=0, within=1)])

    # isdataat: absolute and relative, negated, at the edges.
    for n in (0, 1, L - 1, L, L + 1):
        for neg in (False, True):
            add("isdataat %s%d" % ("!" if neg else "", n), buf, [{"k": "isdataat", "n": n, "negated": neg}])
    for first in (b"A", b"I", b"J"):
        for n in (0, 1, 2, 8, 9, 10):
            for neg in (False, True):
                add("isdataat after %s %s%d relative" % (first.decode(), "!" if neg else "", n), buf,
                    [C(pat=first), {"k": "isdataat", "n": n, "relative": True, "negated": neg}])

    # byte_test: every operator, 1/2/4 bytes, big/little, absolute offsets at the edges.
    num = bytes([0x00, 0x7F, 0x80, 0xFF, 0x01, 0x02, 0x03, 0x04])
    NL = len(num)
    for nbytes in (1, 2, 4):
        for little in (False, True):
            for off in (0, 3, NL - nbytes, NL - nbytes + 1):
                for opn in ("<", ">", "=", "<=", ">=", "&", "^"):
                    for neg in (False, True):
                        raw = num[off:off + nbytes]
                        v = int.from_bytes(raw, "little" if little else "big") if len(raw) == nbytes else 0x80
                        for value in (v, v + 1) if opn not in ("&", "^") else (v, 0x1):
                            op = {"k": "byte_test", "nbytes": nbytes, "op": opn, "value": value, "offset": off,
                                  "little": little, "negated": neg}
                            add("byte_test %d %s%s %d @%d %s" % (nbytes, "!" if neg else "", opn, value, off,
                                                                  "little" if little else "big"), num, [op])
    # byte_test relative, negative relative offsets reading inside the match.
    for off in (-2, -1, 0, 1, 3, 4):
        for value in (0x80, 0x7F, 0x04):
            add("byte_test relative after 7f80 @%d = %d" % (off, value), num,
                [C(pat=b"\x7f\x80"), {"k": "byte_test", "nbytes": 1, "op": "=", "value": value, "offset": off,
                                      "relative": True}])
    # byte_test on ASCII numbers.
    asc = b"len=0042;x=ff;"
    for base, off, n, value in ((10, 4, 4, 42), (10, 4, 4, 43), (16, 11, 2, 255), (8, 4, 4, 34), (10, 4, 2, 0)):
        add("byte_test string base %d @%d n%d = %d" % (base, off, n, value), asc,
            [{"k": "byte_test", "nbytes": n, "op": "=", "value": value, "offset": off, "string": base}])

    # byte_jump: relative/absolute, from_beginning, from_end, post_offset, multiplier, align; the landing
    # position is checked with a content within 1 (or isdataat:!1,relative at the very end).
    jb = bytes([0x03, ord("a"), ord("b"), ord("c"), ord("T"), ord("x"), ord("y"), ord("Z")])  # len 8
    JL = len(jb)
    for post in (None, -5, -1, 0, 1, 3):
        for mult in (None, 2):
            for align in (False, True):
                for mode in ("rel", "begin", "end"):
                    op = {"k": "byte_jump", "nbytes": 1, "offset": 0}
                    if post is not None:
                        op["post_offset"] = post
                    if mult is not None:
                        op["multiplier"] = mult
                    if align:
                        op["align"] = True
                    if mode == "begin":
                        op["from_beginning"] = True
                    if mode == "end":
                        op["from_end"] = True
                    for tail in (b"T", b"Z", b"x", None):
                        check = (C(pat=tail, distance=0, within=1) if tail else
                                 {"k": "isdataat", "n": 1, "relative": True, "negated": True})
                        add("byte_jump %s post %s mult %s align %s then %s" % (mode, post, mult, align,
                                                                               tail and tail.decode()),
                            jb, [op, check])
    # byte_jump relative to a content, with the value landing exactly at the end and one past it.
    for v in (0, 1, 2, 3, 4):
        b = b"HDR" + bytes([v]) + b"abc"
        add("byte_jump relative v=%d to end" % v, b,
            [C(pat=b"HDR"), {"k": "byte_jump", "nbytes": 1, "offset": 0, "relative": True},
             {"k": "isdataat", "n": 1, "relative": True, "negated": True}])
    # byte_extract: variables as content distance/within, isdataat, byte_test value/offset, byte_jump offset.
    for v in (0, 1, 2, 5, 6, 7, 9):
        b = b"L" + bytes([v]) + b"xxxxxEND"  # len 10
        add("byte_extract v=%d as distance to END" % v, b,
            [C(pat=b"L"), {"k": "byte_extract", "nbytes": 1, "offset": 0, "name": "n", "relative": True},
             C(pat=b"END", distance="n", within=3)])
        add("byte_extract v=%d as isdataat" % v, b,
            [{"k": "byte_extract", "nbytes": 1, "offset": 1, "name": "n"}, {"k": "isdataat", "n": "n"}])
        add("byte_extract v=%d as isdataat relative" % v, b,
            [{"k": "byte_extract", "nbytes": 1, "offset": 1, "name": "n"},
             {"k": "isdataat", "n": "n", "relative": True}])
        add("byte_extract v=%d as !isdataat" % v, b,
            [{"k": "byte_extract", "nbytes": 1, "offset": 1, "name": "n"},
             {"k": "isdataat", "n": "n", "negated": True}])
        add("byte_extract v=%d as byte_test offset" % v, b,
            [{"k": "byte_extract", "nbytes": 1, "offset": 1, "name": "n"},
             {"k": "byte_test", "nbytes": 1, "op": "=", "value": ord("x"), "offset": "n"}])
        add("byte_extract v=%d as byte_test value" % v, b,
            [{"k": "byte_extract", "nbytes": 1, "offset": 1, "name": "n"},
             {"k": "byte_test", "nbytes": 1, "op": ">", "value": "n", "offset": 0}])
        add("byte_extract v=%d mult 2 align 4 as distance" % v, b,
            [{"k": "byte_extract", "nbytes": 1, "offset": 1, "name": "n", "multiplier": 2, "align": 4},
             C(pat=b"x", distance="n", within=1)])
        add("byte_extract v=%d as byte_jump offset" % v, bytes([v]) + b"\x01Q\x01R\x01S\x01T\x00",
            [{"k": "byte_extract", "nbytes": 1, "offset": 0, "name": "n"},
             {"k": "byte_jump", "nbytes": 1, "offset": "n", "from_beginning": True},
             {"k": "isdataat", "n": 0, "relative": True}])

    # byte_math: every operator; the result used as an absolute isdataat and as a byte_test value.
    bm = bytes([6, 2, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60])  # len 8
    for oper in ("+", "-", "*", "/", "<<", ">>"):
        for rv in (0, 1, 2, 3):
            if oper == "/" and rv == 0:
                continue  # refused at load by Suricata
            m = {"k": "byte_math", "nbytes": 1, "offset": 0, "oper": oper, "rvalue": rv, "result": "r"}
            add("byte_math 6 %s %d then isdataat r" % (oper, rv), bm, [m, {"k": "isdataat", "n": "r"}])
            add("byte_math 6 %s %d then byte_test @2 > r" % (oper, rv), bm,
                [m, {"k": "byte_test", "nbytes": 1, "op": ">", "value": "r", "offset": 2}])
    add("byte_math rvalue from byte_extract", bm,
        [{"k": "byte_extract", "nbytes": 1, "offset": 1, "name": "x"},
         {"k": "byte_math", "nbytes": 1, "offset": 0, "oper": "+", "rvalue": "x", "result": "r"},
         {"k": "isdataat", "n": "r"}])

    # ASCII numbers shorter than nbytes: byte_jump / byte_extract move past the digits only.
    for txt in (b"0004;abcdXY", b"4;abcdXYZZ", b"04abcdXYZZ"):
        for nb in (2, 4):
            add("byte_jump string dec %d on %s then XY" % (nb, txt.decode()), txt,
                [{"k": "byte_jump", "nbytes": nb, "offset": 0, "string": 10}, C(pat=b"XY", distance=0, within=2)])
            add("byte_extract string dec %d on %s then ;" % (nb, txt.decode()), txt,
                [{"k": "byte_extract", "nbytes": nb, "offset": 0, "name": "n", "string": 10},
                 C(pat=b";", distance=0, within=1)])

    # dsize: every operator and range form around the payload length.
    for n in (0, 1, 9, 10, 11):
        payload = b"D" * n
        for spec in ("10", "=10", "!10", "!=10", "<10", ">10", "<=10", ">=10", "9<>11", "10<>12", "8-10",
                     "9-11", "!9-11", "!10-12", "0<>1", "!0-2"):
            add("dsize %s len %d" % (spec, n), payload, [], dsize=spec)
    return out


# ---------------------------------------------------------------- pcap


def _udp_frame(sport, dport, payload):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, bytes([10, 0, 0, 1]),
                     bytes([10, 0, 0, 2]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
    return eth + ip + udp


def _tcp_frame(sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, bytes([10, 0, 0, 1]),
                     bytes([10, 0, 0, 2]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ip + tcp


# dsize on TCP: one session whose client segments have these sizes, each
# holding "SEG"; dsize is about each packet, never the reassembled stream, so
# a rule alerts once per segment that satisfies it.
TCP_PORT = 19000
TCP_SEGMENTS = [10, 40, 41, 100, 3]
TCP_DSIZE = ["40", "<41", ">40", "40<>101", "!40", "!10-100", ">100", ">=3", "<3"]


def tcp_session():
    frames = []
    cs, ss = 1000, 9000
    frames.append(_tcp_frame(40000, TCP_PORT, cs, 0, 0x02))
    frames.append(_tcp_frame(TCP_PORT, 40000, ss, cs + 1, 0x12))
    cs += 1
    ss += 1
    frames.append(_tcp_frame(40000, TCP_PORT, cs, ss, 0x10))
    for n in TCP_SEGMENTS:
        seg = (b"SEG" + b"s" * n)[:n]
        frames.append(_tcp_frame(40000, TCP_PORT, cs, ss, 0x18, seg))
        cs += n
        frames.append(_tcp_frame(TCP_PORT, 40000, ss, cs, 0x10))
    frames.append(_tcp_frame(40000, TCP_PORT, cs, ss, 0x11))
    frames.append(_tcp_frame(TCP_PORT, 40000, ss, cs + 1, 0x11))
    frames.append(_tcp_frame(40000, TCP_PORT, cs + 1, ss + 1, 0x10))
    return frames


def tcp_expected(spec):
    return sum(1 for n in TCP_SEGMENTS if dsize_ok(spec, n) and b"SEG" in (b"SEG" + b"s" * n)[:n])


BASE_PORT = 20000


def gen(d):
    cs = cases()
    rules, exp = [], []
    with open(d + "/cases.pcap", "wb") as f:
        f.write(pcap_header())
        for i, c in enumerate(cs):
            sid = i + 1
            port = BASE_PORT + i
            fr = _udp_frame(40000, port, c["payload"])
            f.write(pcap_record(1700000000 + i, 0, fr))
            opts = " ".join(op_text(o) for o in c["ops"])
            if c["dsize"] is not None:
                opts = "dsize:%s; %s" % (c["dsize"], opts)
            rules.append('alert udp any any -> any %d (msg:"%s"; %s sid:%d;)' % (port, c["name"], opts, sid))
            exp.append({"sid": sid, "name": c["name"], "expected": model(c), "payload": c["payload"].hex(),
                        "rule": rules[-1]})
        t = 1700000000 + len(cs)
        for fr in tcp_session():
            f.write(pcap_record(t, 0, fr))
            t += 1
        for spec in TCP_DSIZE:
            sid = len(exp) + 1
            name = "tcp segments %s dsize %s content SEG" % (TCP_SEGMENTS, spec)
            rules.append('alert tcp any any -> any %d (msg:"%s"; flow:to_server; dsize:%s; content:"SEG"; sid:%d;)'
                         % (TCP_PORT, name, spec, sid))
            exp.append({"sid": sid, "name": name, "expected": tcp_expected(spec), "payload": "", "rule": rules[-1]})
    with open(d + "/cases.rules", "w") as f:
        f.write("\n".join(rules) + "\n")
    with open(d + "/cases.json", "w") as f:
        json.dump(exp, f, indent=0)
    print("%d cases, %d expected to alert" % (len(exp), sum(1 for e in exp if e["expected"])))


def check(d, eve):
    exp = json.load(open(d + "/cases.json"))
    got = {}
    for line in open(eve):
        e = json.loads(line)
        if e.get("event_type") == "alert":
            sid = e["alert"]["signature_id"]
            got[sid] = got.get(sid, 0) + 1
    bad = 0
    for e in exp:
        g = got.get(e["sid"], 0)
        if g != e["expected"]:
            bad += 1
            print("FAIL %s: expected %d alert(s), got %d; payload %s; %s" % (e["name"], e["expected"], g,
                                                                            e["payload"], e["rule"]))
    print("%d of %d keyword cases agree with the reference model" % (len(exp) - bad, len(exp)))
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "gen":
        gen(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
    else:
        print(__doc__)
        sys.exit(2)
