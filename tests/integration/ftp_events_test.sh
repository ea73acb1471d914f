#!/usr/bin/env bash
# FTP command channels and their data connections from a capture this project writes
# (tests/tools/ftp_capture.py): rules on ftp.command, ftp.command_data, the
# `alert ftp` header and ftpbounce fire exactly as expected; one `ftp` EVE
# event per command (and one for each greeting) with Suricata 7's fields;
# nothing after AUTH TLS + 234 is parsed as a command; the data connections
# announced by RETR/STOR (and only they) are ftp-data with file.data; the events are valid
# Suricata 7 EVE (the published schema too when ../shared has it).
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
agent=$build/agent/vigil-agent
command -v python3 >/dev/null || { echo "skip: python3 not installed"; exit 77; }
[ -x "$agent" ] || { echo "skip: $agent not built"; exit 77; }
work=$(mktemp -d "$build/ftp_events.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

python3 "$src/tests/tools/ftp_capture.py" "$work/ftp.pcap"
cat > "$work/t.rules" <<'R'
alert ftp any any -> any any (msg:"retr of the secret"; ftp.command; content:"RETR"; ftp.command_data; content:"vigil-secret"; sid:1;)
alert ftp any any -> any any (msg:"bob logs in"; ftp.command; content:"USER"; ftp.command_data; content:"bob"; sid:2;)
alert ftp any any -> any any (msg:"ftp bounce"; ftpbounce; sid:3;)
alert ftp any any -> any any (msg:"password seen"; flow:to_server; ftp.command; content:"PASS"; sid:4;)
alert ftp any any -> any any (msg:"never: encrypted bytes are no command"; ftp.command_data; content:"encrypted"; sid:5;)
alert ftp any any -> any 21 (msg:"never: ftp.command is the verb only"; ftp.command; content:"anonymous"; sid:6;)
alert ftp-data any any -> any any (msg:"retrieved file"; file.data; content:"vigil-file-marker"; sid:7;)
alert ftp-data any any -> any any (msg:"uploaded file"; file.data; content:"vigil-upload-marker"; sid:8;)
alert ftp-data any any -> any any (msg:"a STOR transfer"; ftpdata_command:stor; sid:9;)
R
mkdir "$work/out"
timeout 60 "$agent" -r "$work/ftp.pcap" -S "$work/t.rules" -l "$work/out" -q -k none \
  --set outputs.eve.types=alert,ftp,stats >"$work/agent.log" 2>&1 || { cat "$work/agent.log"; fail "agent"; }
python3 - "$work/out/eve.json" <<'PY' || fail "see above"
import json, sys
alerts, ftp, stats, data = {}, [], None, []
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event_type"] == "alert":
        sid = e["alert"]["signature_id"]
        alerts[sid] = alerts.get(sid, 0) + 1
        if sid in (7, 8, 9):
            assert e.get("app_proto") == "ftp-data" and "ftp_data" in e, e
            data.append(e["ftp_data"])
        else:
            assert e.get("app_proto") == "ftp" and "ftp" in e, e
    elif e["event_type"] == "ftp":
        ftp.append((e["src_port"] if e["dest_port"] in (21, 2121) else e["dest_port"], e["ftp"]))
    elif e["event_type"] == "stats":
        stats = e
want = {1: 1, 2: 1, 3: 1, 4: 2, 7: 1, 8: 1, 9: 1}
print("alerts", alerts, "expected", want)
ok = alerts == want
by = {}
for port, f in ftp:
    by.setdefault(port, []).append(f)
cmds = {p: [f.get("command") for f in v] for p, v in by.items()}
print("commands per session", cmds)
ok = ok and cmds == {40021: [None, "USER", "PASS", "PASV", "RETR", "QUIT"],
                     40022: [None, "USER", "PASS", "PORT", "EPSV", "STOR"],
                     40023: [None, "AUTH"]}
s1 = by.get(40021, [])
if ok:
    greet, pasv, retr = s1[0], s1[3], s1[4]
    ok = (greet["completion_code"] == ["220", "220"] and greet["reply"][1] == "(vsFTPd 3.0.3)" and
          pasv["dynamic_port"] == 195 * 256 + 80 and pasv["mode"] == "passive" and
          retr["command_data"] == "/pub/vigil-secret.tar.gz" and retr["completion_code"] == ["150", "226"] and
          retr["reply_received"] == "yes" and retr["reply_truncated"] is False)
    port, epsv = by[40022][3], by[40022][4]
    ok = ok and port["mode"] == "active" and port["dynamic_port"] == 2000 and epsv["dynamic_port"] == 50001
    ok = ok and by[40023][1]["completion_code"] == ["234"]
    ok = ok and sorted(data, key=lambda x: x["command"]) == [
        {"filename": "/pub/vigil-secret.tar.gz", "command": "RETR"}, {"filename": "upload.bin", "command": "STOR"},
        {"filename": "upload.bin", "command": "STOR"}]
    print("ftp fields", "as expected" if ok else "differ: %s" % json.dumps(by))
sys.exit(0 if ok else 1)
PY
python3 "$src/tests/tools/eve_schema_check.py" "$work/out/eve.json" || fail "structural EVE check"
schema=${VIGIL_SHARED:-$src/../shared}/conformance/eve-schema/suricata-7.0.17.schema.json
if [ -f "$schema" ] && python3 -c 'import jsonschema' 2>/dev/null; then
  python3 "$src/tests/tools/eve_schema_check.py" --schema "$schema" "$work/out/eve.json" || fail "Suricata 7 schema"
fi
echo "ftp sessions: alerts, ftp events and schema as expected"
