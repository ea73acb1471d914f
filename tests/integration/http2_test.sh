#!/usr/bin/env bash
# Cleartext HTTP/2 (prior knowledge) from a capture this project writes with
# the h2 package (tests/tools/http2_capture.py): `alert http` rules on
# http.uri, http.host + http.method, file_data (gzip), http.request_body,
# http.user_agent, http2.header and http2.frametype fire once per stream;
# `alert http2` matches, `alert http1` does not; one `http` EVE event per stream with protocol HTTP/2 and the
# http2 object; one fileinfo event per body; the events are valid Suricata 7 EVE (the published schema too
# when ../shared has it). With tshark installed, the number of HTTP/2 http
# events equals tshark's count of request header blocks (":method" fields).
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
agent=$build/agent/vigil-agent
[ -x "$agent" ] || { echo "skip: $agent not built"; exit 77; }
# The capture needs the h2 package (Debian python3-h2), in whichever python3 has it.
py=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import h2' 2>/dev/null; then py=$p; break; fi
done
[ -n "$py" ] || { echo "skip: no python3 with the h2 package (python3-h2)"; exit 77; }
work=$(mktemp -d "$build/http2_test.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$py" "$src/tests/tools/http2_capture.py" "$work/h2.pcap"
cat > "$work/t.rules" <<'R'
alert http any any -> any any (msg:"uri"; http.uri; content:"/malware/payload.exe"; sid:1;)
alert http any any -> any any (msg:"host and method"; http.host; content:"www.example.com"; http.method; content:"POST"; sid:2;)
alert http any any -> any any (msg:"gzip body"; file_data; content:"vigil-h2-marker"; sid:3;)
alert http any any -> any any (msg:"request body"; http.request_body; content:"upload-marker"; sid:4;)
alert http2 any any -> any any (msg:"404 over http2"; http.stat_code; content:"404"; sid:5;)
alert http1 any any -> any any (msg:"never: http1 only"; http.uri; content:"/"; sid:6;)
alert http any any -> any any (msg:"user agent"; http.user_agent; content:"vigil-h2-test"; sid:7;)
alert http any any -> any any (msg:"never: host is lowercased, no port"; http.host; content:"www.example.com:"; sid:8;)
alert http2 any any -> any any (msg:"http2.header"; http2.header; content:"user-agent: vigil-h2-test"; sid:9;)
alert http2 any any -> any any (msg:"client DATA"; flow:to_server; http2.frametype:DATA; sid:10;)
alert http2 any any -> any any (msg:"never: no RST_STREAM"; http2.errorcode:CANCEL; sid:11;)
R
mkdir "$work/out"
timeout 60 "$agent" -r "$work/h2.pcap" -S "$work/t.rules" -l "$work/out" -q -k none \
  --set outputs.eve.types=alert,http,fileinfo,flow,stats >"$work/agent.log" 2>&1 || { cat "$work/agent.log"; fail "agent"; }
python3 - "$work/out/eve.json" >"$work/http_count" <<'PY' || { cat "$work/http_count"; fail "see above"; }
import json, sys
alerts, http, flows, files = {}, [], [], []
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event_type"] == "alert":
        sid = e["alert"]["signature_id"]
        alerts[sid] = alerts.get(sid, 0) + 1
        assert e.get("app_proto") == "http2" and "http" in e, e
    elif e["event_type"] == "http":
        http.append(e["http"])
    elif e["event_type"] == "flow":
        flows.append(e.get("app_proto"))
    elif e["event_type"] == "fileinfo":
        assert e.get("app_proto") == "http2" and e["http"]["protocol"] == "HTTP/2", e
        files.append((e["fileinfo"]["filename"], e["fileinfo"]["size"], e["fileinfo"]["state"]))
want = {1: 2, 2: 1, 3: 2, 4: 1, 5: 1, 7: 9, 9: 9, 10: 1}
ok = alerts == want
print("alerts", alerts, "expected", want, file=sys.stderr)
ok = ok and flows == ["http2"] * 3
print("flow app_proto", flows, file=sys.stderr)
urls = sorted((h["http2"]["stream_id"], h["url"], h.get("status")) for h in http)
ok = ok and all(h["protocol"] == "HTTP/2" and h["hostname"] == "www.example.com" and
                h["http_user_agent"] == "vigil-h2-test/1.0" for h in http)
ok = ok and urls == [(1, "/a", 200), (1, "/big", 200), (1, "/index.html", 200), (3, "/b", 200),
                     (3, "/malware/payload.exe", 200), (3, "/upload", 201), (5, "/c", 200),
                     (5, "/malware/payload.exe", 200), (7, "/missing", 404)]
print("http events", urls, file=sys.stderr)
big = [h for h in http if h["url"] == "/big"]
ok = ok and len(big) == 1 and big[0]["length"] == 70000
post = [h for h in http if h["url"] == "/upload"]
ok = ok and post and post[0]["http_method"] == "POST" and \
    {"name": ":path", "value": "/upload"} in post[0]["request_headers"]
# One file per body: nine responses and the POST's request body; the gzip
# response is counted decoded (20 x 19 bytes).
want_files = sorted([("/index.html", 20, "CLOSED"), ("/upload", 29, "CLOSED"), ("/upload", 6, "CLOSED"),
                     ("/malware/payload.exe", 380, "CLOSED"), ("/missing", 8, "CLOSED"), ("/big", 70000, "CLOSED"),
                     ("/malware/payload.exe", 15, "CLOSED"), ("/a", 1, "CLOSED"), ("/b", 1, "CLOSED"),
                     ("/c", 1, "CLOSED")])
ok = ok and sorted(files) == want_files
print("fileinfo", sorted(files), file=sys.stderr)
print(len([h for h in http if h["protocol"] == "HTTP/2"]))
sys.exit(0 if ok else 1)
PY
python3 "$src/tests/tools/eve_schema_check.py" "$work/out/eve.json" || fail "structural EVE check"
schema=${VIGIL_SHARED:-$src/../shared}/conformance/eve-schema/suricata-7.0.17.schema.json
if [ -f "$schema" ] && python3 -c 'import jsonschema' 2>/dev/null; then
  python3 "$src/tests/tools/eve_schema_check.py" --schema "$schema" "$work/out/eve.json" || fail "Suricata 7 schema"
fi
if command -v tshark >/dev/null; then
  # Every request header block carries exactly one :method; a packet may hold
  # several HEADERS frames, so the fields are counted, not the packets.
  n=$(tshark -r "$work/h2.pcap" -d tcp.port==8080,http2 -d tcp.port==8081,http2 -Y 'http2.type == 1' \
        -T fields -E occurrence=a -E aggregator=';' -e http2.header.name 2>/dev/null | tr ';' '\n' | grep -c '^:method$' || true)
  got=$(cat "$work/http_count")
  [ "$n" = "$got" ] || fail "tshark counts $n request header blocks, the agent logged $got HTTP/2 http events"
  echo "tshark: $n request header blocks = $got http events"
else
  echo "tshark not installed: its cross-check is skipped"
fi
echo "http2 sessions: alerts, http events and schema as expected"
