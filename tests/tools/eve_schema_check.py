#!/usr/bin/env python3
"""Checks EVE files event by event against Suricata 7's EVE JSON schema.

  eve_schema_check.py [--schema FILE] EVE.json...

With --schema (Suricata's etc/schema.json, GPL-2.0, read where it lies and
never copied into this repository) every event is validated with
python3-jsonschema. Without it, a hand-written structural description of the
fields Vigil writes (STRUCTURE below: the same shape rules, names and types
as Suricata 7 documents, for the subset we emit) is checked by a small
validator of our own, so the test command has a check without the schema.

Vigil's deliberate additions (agent/README.md, "EVE and Suricata 7's
schema") are taken out before the schema check: `agent_id` (events shipped
by an enrolled agent) and `stats.vigil` (Vigil's own counters; Suricata's
schema allows no key of ours in `stats`). They are checked here instead:
every leaf of `stats.vigil` is a non-negative integer (the load report under
detect.engines aside), and, with the schema, none of them is a
counter the schema knows at its own place (it belongs there, not under ours).
Prints each error with its file, line, event type and JSON path, then the
count; exits 1 on any error, 2 on bad input.
"""
import json
import sys

# JSON Schema subset: type, properties, additionalProperties, required, items.
S, I, B = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
N = {"type": "number"}


def obj(props, required=(), extra=False):
    return {"type": "object", "properties": props, "additionalProperties": extra, "required": list(required)}


def arr(items):
    return {"type": "array", "items": items}


COUNTERS = {"type": "object", "additionalProperties": True}  # nested integers, checked by leaf type
SRV = obj({"name": S, "port": I, "priority": I, "weight": I})
DNS_QUERY = obj({"id": I, "rrname": S, "rrtype": S, "tx_id": I, "type": S, "z": B, "opcode": I,
                 "rrname_truncated": B})
DNS = obj({
    "aa": B, "flags": S, "id": I, "qr": B, "ra": B, "rcode": S, "rd": B, "rrname": S, "rrname_truncated": B,
    "rrtype": S, "tx_id": I, "type": S, "version": I, "opcode": I, "z": B,
    "answers": arr(obj({"rdata": S, "rrname": S, "rrtype": S, "ttl": I, "srv": SRV})),
    "authorities": arr(obj({"rdata": S, "rrname": S, "rrtype": S, "ttl": I, "soa": obj(
        {"expire": I, "minimum": I, "mname": S, "refresh": I, "retry": I, "rname": S, "serial": I})})),
    "query": arr(DNS_QUERY),
    "answer": obj({"flags": S, "id": I, "qr": B, "ra": B, "rcode": S, "rd": B, "rrname": S, "rrtype": S,
                   "type": S, "version": I, "opcode": I}),
    "grouped": obj({k: arr(S) for k in ("A", "AAAA", "CNAME", "MX", "NULL", "PTR", "TXT")} | {"SRV": arr(SRV)}),
}, required=["version"])
HTTP = {"type": "object"}  # the HTTP object's fields belong to the HTTP parser; the schema run checks them
TLS = obj({
    "sni": S, "version": S, "subject": S, "issuerdn": S, "serial": S, "fingerprint": S, "notbefore": S,
    "notafter": S, "session_resumed": B, "from_proto": S, "certificate": S, "chain": arr(S),
    "ja4": S, "ja3": obj({"hash": S, "string": S}), "ja3s": obj({"hash": S, "string": S}),
    "client": obj({"subject": S, "issuerdn": S, "serial": S, "fingerprint": S, "notbefore": S, "notafter": S}),
})
SSH_SIDE = obj({"proto_version": S, "software_version": S, "hassh": obj({"hash": S, "string": S})})
SSH = obj({"client": SSH_SIDE, "server": SSH_SIDE})
SMTP = obj({"helo": S, "mail_from": S, "rcpt_to": arr(S)})
EMAIL = obj({"status": S, "from": S, "to": arr(S), "cc": arr(S), "attachment": arr(S), "url": arr(S),
             "subject": S, "date": S, "message_id": S, "x_mailer": S})
FTP = obj({"command": S, "command_data": S, "command_truncated": B, "completion_code": arr(S), "reply": arr(S),
           "dynamic_port": I, "mode": S, "reply_received": S, "reply_truncated": B})
SMB_HOST = obj({"native_os": S, "native_lm": S})
SMB = obj({
    "id": I, "dialect": S, "command": S, "status": S, "status_code": S, "session_id": I, "tree_id": I,
    "filename": S, "directory": S, "disposition": S, "access": S, "created": I, "accessed": I, "modified": I,
    "changed": I, "size": I, "fuid": S, "share": S, "named_pipe": S, "share_type": S, "function": S,
    "client_dialects": arr(S), "client_guid": S, "server_guid": S, "max_read_size": I, "max_write_size": I,
    "ntlmssp": obj({"domain": S, "user": S, "host": S, "version": S}), "request": SMB_HOST, "response": SMB_HOST,
    "service": obj({"request": S, "response": S}), "dcerpc": {"type": "object"},
})
FLOW = obj({
    "pkts_toserver": I, "pkts_toclient": I, "bytes_toserver": I, "bytes_toclient": I, "start": S, "end": S,
    "age": I, "state": S, "reason": S, "alerted": B, "src_ip": S, "dest_ip": S, "src_port": I, "dest_port": I,
    "bypass": S, "bypassed": {"type": "object"}, "emergency": B, "action": S, "wrong_thread": B,
    "exception_policy": arr({"type": "object"}), "tx_cnt": I,
})
TCP = obj({"tcp_flags": S, "tcp_flags_ts": S, "tcp_flags_tc": S, "syn": B, "fin": B, "rst": B, "psh": B,
           "ack": B, "urg": B, "ecn": B, "cwr": B, "state": S})
ALERT = obj({"action": S, "gid": I, "signature_id": I, "rev": I, "signature": S, "category": S, "severity": I,
             "metadata": {"type": "object"}, "rule": S, "source": {"type": "object"},
             "target": {"type": "object"}, "references": arr(S)})
# Stats: the sections Suricata 7 has, each an object of counters; Vigil's own under "vigil".
STATS = obj({k: COUNTERS for k in (
    "uptime", "capture", "decoder", "flow", "defrag", "tcp", "app_layer", "detect", "flow_bypassed", "ips",
    "file_store", "http", "ftp", "memcap", "exception_policy")} | {"uptime": I}, required=["uptime"])
STRUCTURE = obj({
    "timestamp": S, "flow_id": I, "pcap_cnt": I, "event_type": S, "src_ip": S, "src_port": I, "dest_ip": S,
    "dest_port": I, "proto": S, "icmp_type": I, "icmp_code": I, "vlan": arr(I), "host": S, "direction": S,
    "tx_id": I, "app_proto": S, "app_proto_ts": S, "app_proto_tc": S, "app_proto_orig": S,
    "app_proto_expected": S, "community_id": S, "payload": S, "payload_printable": S, "packet": S,
    "stream": I, "alert": ALERT, "flow": FLOW, "tcp": TCP, "dns": DNS, "http": HTTP, "tls": TLS, "ssh": SSH,
    "smtp": SMTP, "email": EMAIL, "smb": SMB,
    "fileinfo": obj({"filename": S, "sid": arr(I), "magic": S, "gaps": B, "state": S, "md5": S, "sha1": S,
                     "sha256": S, "stored": B, "file_id": I, "size": I, "tx_id": I, "start": I, "end": I}),
    "ftp": FTP, "ftp_data": obj({"command": S, "filename": S}), "stats": STATS, "packet_info": obj({"linktype": I}), "metadata": {"type": "object"},
    # Suricata's anomaly object; Vigil also puts it beside an http transaction's
    # object (alert and http events) to name the oddities seen.
    "anomaly": obj({"app_proto": S, "type": S, "layer": S, "event": S, "code": I}),
}, required=["event_type", "timestamp"])

TYPES = {"string": str, "boolean": bool, "object": dict, "array": list}


def type_ok(value, t):
    if t == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if t == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, TYPES[t])


def structural_errors(value, schema, path=()):
    t = schema.get("type")
    if t and not type_ok(value, t):
        yield path, f"{json.dumps(value)[:60]} is not of type '{t}'"
        return
    if t == "object":
        props = schema.get("properties")
        for r in schema.get("required", []):
            if r not in value:
                yield path, f"'{r}' is a required property"
        if props is None:
            return
        for k, v in value.items():
            if k in props:
                yield from structural_errors(v, props[k], path + (k,))
            elif schema.get("additionalProperties") is False:
                yield path, f"additional property '{k}' is not allowed"
            elif props is COUNTERS.get("properties"):
                pass
    elif t == "array" and "items" in schema:
        for i, v in enumerate(value):
            yield from structural_errors(v, schema["items"], path + (i,))


def counters_errors(value, path):
    """Every leaf of a stats section is a non-negative integer."""
    if path[-2:] == ("detect", "engines"):  # the rule set's load report, not counters
        if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
            yield path, "engines is not a list of objects"
        return
    if isinstance(value, dict):
        for k, v in value.items():
            yield from counters_errors(v, path + (k,))
    elif not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        yield path, f"counter {json.dumps(value)[:40]} is not a non-negative integer"


def suricata_counters():
    """The counters agent/output/stats_layout.cpp declares Suricata's: the
    only ones allowed outside stats.vigil (capture.* aside, open in Suricata)."""
    import os
    import re
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../agent/output/stats_layout.cpp")
    with open(path) as f:
        text = f.read()
    table = text.split("kSuricataCounters[] = {", 1)[1].split("};", 1)[0]
    return set(re.findall(r'"([^"]+)"', table))


def misplaced_counters(stats, known):
    for sec, value in stats.items():
        if sec in ("uptime", "capture"):
            continue
        stack = [((sec,), value)]
        while stack:
            p, v = stack.pop()
            if p == ("detect", "engines"):
                continue
            if isinstance(v, dict):
                stack.extend((p + (k,), x) for k, x in v.items())
            elif ".".join(p) not in known:
                yield ("stats",) + p, "not a Suricata 7 counter: belongs under stats/vigil"


def main(argv):
    schema_path = None
    files = []
    it = iter(argv)
    for a in it:
        if a == "--schema":
            schema_path = next(it)
        else:
            files.append(a)
    if not files:
        print(__doc__)
        return 2
    if schema_path:
        import jsonschema
        with open(schema_path) as f:
            schema = json.load(f)
        v = jsonschema.validators.validator_for(schema)(schema)

        def known_leaf(path):
            node = schema["properties"]["stats"]
            for k in path:
                props = node.get("properties") if isinstance(node, dict) else None
                if not props or k not in props:
                    return False
                node = props[k]
            return node.get("type") in ("integer", "number")

        def check(e):
            for err in v.iter_errors(e):
                yield tuple(err.absolute_path), err.message[:200]
            for p, _ in leaves(own, ()):
                if p[:2] != ("detect", "engines") and known_leaf(p):
                    yield ("stats", "vigil") + p, "a counter Suricata 7 has: belongs at stats/" + "/".join(p)
    else:
        known = suricata_counters()

        def check(e):
            yield from structural_errors(e, STRUCTURE)
            if isinstance(e.get("stats"), dict):
                for k, sec in e["stats"].items():
                    if k != "uptime":
                        yield from counters_errors(sec, ("stats", k))
                yield from misplaced_counters(e["stats"], known)
    own = {}

    def leaves(value, path):
        if isinstance(value, dict):
            for k, x in value.items():
                yield from leaves(x, path + (k,))
        else:
            yield path, value

    bad = events = 0
    by_type = {}
    for path in files:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                try:
                    e = json.loads(line)
                except ValueError as x:
                    print(f"{path}:{n}: not JSON: {x}")
                    return 2
                e.pop("agent_id", None)
                own = {}
                if isinstance(e.get("stats"), dict):
                    own = e["stats"].pop("vigil", {})
                    for p, msg in counters_errors(own, ("stats", "vigil")):
                        bad += 1
                        print(f"{path}:{n}: stats: /{'/'.join(map(str, p))}: {msg}")
                events += 1
                by_type[e.get("event_type")] = by_type.get(e.get("event_type"), 0) + 1
                for p, msg in check(e):
                    bad += 1
                    print(f"{path}:{n}: {e.get('event_type')}: /{'/'.join(map(str, p))}: {msg}")
                    print(f"    event: {line.strip()[:400]}")
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(by_type.items(), key=lambda kv: str(kv[0])))
    print(f"{events} events ({kinds}), {bad} schema errors"
          f" ({'Suricata 7 schema' if schema_path else 'structural check'})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
