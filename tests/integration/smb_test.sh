#!/usr/bin/env bash
# SMB sessions from a capture this project writes (tests/tools/smb_capture.py):
# rules on smb.share, smb.named_pipe, smb.ntlmssp_user/domain, the DCERPC
# request on the pipe (dcerpc.iface of the bound srvsvc interface,
# dcerpc.opnum, dcerpc.stub_data both ways; another uuid or opnum fires not)
# and an `alert smb` raw-content rule (ET Open style, offset 4 = after the NetBIOS
# header) fire exactly as expected; one `smb` EVE event per request with
# Suricata 7's fields; with tshark installed, the SMB2 events equal tshark's
# SMB2 requests (compound elements counted one by one) and the SMB1 events its
# SMB1 requests. The events are valid Suricata 7 EVE (the published schema too
# when ../shared has it). Then files (a second run, fileinfo on): the ~100 KB
# WRITE and the two-READ file are fileinfo events (smb object, CLOSED, md5 and
# sha256 equal hashlib's of the bytes), a filename rule, a file.data rule and
# a filemd5 rule (a list the test writes) with filestore fire once each, the
# store holds the read file once, and the events are valid EVE.
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
agent=$build/agent/vigil-agent
command -v python3 >/dev/null || { echo "skip: python3 not installed"; exit 77; }
[ -x "$agent" ] || { echo "skip: $agent not built"; exit 77; }
work=$(mktemp -d "$build/smb_events.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

python3 "$src/tests/tools/smb_capture.py" "$work/smb.pcap"
cat > "$work/t.rules" <<'R'
alert smb any any -> any any (msg:"finance share"; smb.share; content:"finance"; sid:1;)
alert smb any any -> any any (msg:"ntlm user"; smb.ntlmssp_user; content:"vigil-user"; smb.ntlmssp_domain; content:"VIGILCORP"; sid:2;)
alert smb any any -> any any (msg:"srvsvc pipe"; smb.named_pipe; content:"srvsvc"; sid:3;)
alert smb any any -> any any (msg:"IPC$ tree"; smb.named_pipe; content:"IPC$"; sid:4;)
alert smb any any -> any any (msg:"SMB1 negotiate"; flow:to_server,established; content:"|ff|SMB|72 00 00 00 00|"; offset:4; depth:9; sid:5;)
alert smb any any -> any any (msg:"never: the share is no user"; smb.ntlmssp_user; content:"finance"; sid:6;)
alert smb any any -> any any (msg:"SMB2 write payload"; flow:to_server; content:"|fe|SMB"; content:"vigil-smb-payload"; sid:7;)
alert smb any any -> any any (msg:"srvsvc bound"; dcerpc.iface:4B324FC8-1670-01D3-1278-5A47BF6EE188,=3; sid:8;)
alert smb any any -> any any (msg:"NetShareEnumAll"; dcerpc.iface:4b324fc8-1670-01d3-1278-5a47bf6ee188; dcerpc.opnum:10-16; sid:9;)
alert smb any any -> any any (msg:"request stub"; flow:to_server; dcerpc.stub_data; content:"|11 11 11 11|"; sid:10;)
alert smb any any -> any any (msg:"response stub"; flow:to_client; dcerpc.stub_data; content:"|22 22 22 22|"; sid:11;)
alert smb any any -> any any (msg:"never: other interface"; dcerpc.iface:12345778-1234-abcd-ef00-0123456789ab; sid:12;)
alert smb any any -> any any (msg:"never: other opnum"; dcerpc.opnum:16,20-30; sid:13;)
R
mkdir "$work/out"
timeout 60 "$agent" -r "$work/smb.pcap" -S "$work/t.rules" -l "$work/out" -q -k none \
  --set outputs.eve.types=alert,smb,stats >"$work/agent.log" 2>&1 || { cat "$work/agent.log"; fail "agent"; }

tshark_counts=""
if command -v tshark >/dev/null; then
  # One line per frame with SMB2 (or SMB1) requests; a compound frame lists
  # each element's flag, comma-separated: count the elements.
  n2=$(tshark -r "$work/smb.pcap" -Y 'smb2 && smb2.flags.response == 0' -T fields -e smb2.flags.response 2>/dev/null |
    tr ',' '\n' | grep -c -E '^(0|False)$' || true)
  n1=$(tshark -r "$work/smb.pcap" -Y 'smb && smb.flags.response == 0' -T fields -e smb.flags.response 2>/dev/null |
    tr ',' '\n' | grep -c -E '^(0|False)$' || true)
  tshark_counts="$n2 $n1"
else
  echo "note: tshark not installed, the count comparison is skipped"
fi

python3 - "$work/out/eve.json" "$tshark_counts" <<'PY' || fail "see above"
import json, sys
alerts, smb, stats = {}, [], None
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event_type"] == "alert":
        sid = e["alert"]["signature_id"]
        alerts[sid] = alerts.get(sid, 0) + 1
        assert e.get("app_proto") == "smb", e
        # Buffer rules match a transaction and carry its smb object; raw
        # content rules (5, 7) match the stream and carry none.
        assert sid in (5, 7) or "smb" in e, e
    elif e["event_type"] == "smb":
        smb.append(e["smb"])
    elif e["event_type"] == "stats":
        stats = e
want = {1: 1, 2: 1, 3: 1, 4: 2, 5: 1, 7: 1, 8: 1, 9: 1, 10: 1, 11: 1}
print("alerts", alerts, "expected", want)
ok = alerts == want
v2 = [s for s in smb if s["command"].startswith("SMB2_")]
v1 = [s for s in smb if s["command"].startswith("SMB1_")]
print("smb events: SMB2 %d, SMB1 %d" % (len(v2), len(v1)))
if sys.argv[2]:
    n2, n1 = map(int, sys.argv[2].split())
    print("tshark requests: SMB2 %d, SMB1 %d" % (n2, n1))
    ok = ok and n2 == len(v2) and n1 == len(v1) and n2 > 0
by = {}
for s in smb:
    by.setdefault(s["command"], []).append(s)
def one(cmd, **kv):
    for s in by.get(cmd, []):
        if all(s.get(k) == v for k, v in kv.items()):
            return s
    print("missing", cmd, kv)
    return None
checks = [
    one("SMB2_COMMAND_NEGOTIATE_PROTOCOL", dialect="3.11", status="STATUS_SUCCESS", status_code="0x0",
        client_dialects=["2.02", "3.00", "3.11"], max_read_size=8388608),
    one("SMB2_COMMAND_SESSION_SETUP", session_id=0x0000100000000009,
        ntlmssp={"domain": "VIGILCORP", "user": "vigil-user", "host": "WS-TEST"}),
    one("SMB2_COMMAND_TREE_CONNECT", share="\\\\10.3.0.2\\finance", share_type="FILE", tree_id=5),
    one("SMB2_COMMAND_TREE_CONNECT", named_pipe="\\\\10.3.0.2\\IPC$", share_type="PIPE", tree_id=9),
    one("SMB2_COMMAND_CREATE", filename="q3\\payroll.xlsx", disposition="FILE_OPEN_IF", access="normal",
        created=1577836800, size=0, fuid="13121110-1514-1716-1819-1a1b1c1d1e1f"),
    one("SMB2_COMMAND_WRITE", filename="q3\\payroll.xlsx", share="\\\\10.3.0.2\\finance"),
    one("SMB2_COMMAND_READ", filename="q3\\summary.txt", share="\\\\10.3.0.2\\finance"),
    one("SMB2_COMMAND_CHANGE_NOTIFY", status="STATUS_NOTIFY_ENUM_DIR"),
    one("SMB2_COMMAND_IOCTL", function="FSCTL_PIPE_TRANSCEIVE", dcerpc={
        "request": "REQUEST", "response": "RESPONSE", "opnum": 15, "req": {"frag_cnt": 1, "stub_data_size": 40},
        "interfaces": [{"uuid": "4b324fc8-1670-01d3-1278-5a47bf6ee188", "version": "3.0"}],
        "res": {"frag_cnt": 1, "stub_data_size": 60}, "call_id": 3}),
    one("SMB2_COMMAND_WRITE", filename="srvsvc", dcerpc={
        "request": "BIND", "response": "UNREPLIED",
        "interfaces": [{"uuid": "4b324fc8-1670-01d3-1278-5a47bf6ee188", "version": "3.0"}], "call_id": 2}),
    one("SMB2_COMMAND_READ", filename="srvsvc", dcerpc={"request": "REQUEST_LOST", "response": "BINDACK", "call_id": 2}),
    one("SMB1_COMMAND_NEGOTIATE_PROTOCOL", dialect="NT LM 0.12"),
    one("SMB1_COMMAND_TREE_CONNECT_ANDX", named_pipe="\\\\10.3.0.2\\IPC$", service={"request": "?????", "response": "IPC"}),
    one("SMB1_COMMAND_NT_CREATE_ANDX", filename="\\lsarpc", fuid="4000"),
]
ok = ok and all(c is not None for c in checks)
ctr = stats["stats"] if stats else {}
app = ctr.get("app_layer", {})
print("app_layer.flow.smb", app.get("flow", {}).get("smb"), "app_layer.tx.smb", app.get("tx", {}).get("smb"))
ok = ok and app.get("flow", {}).get("smb") == 2 and app.get("tx", {}).get("smb") == len(smb)
sys.exit(0 if ok else 1)
PY
python3 "$src/tests/tools/eve_schema_check.py" "$work/out/eve.json" || fail "structural EVE check"
schema=${VIGIL_SHARED:-$src/../shared}/conformance/eve-schema/suricata-7.0.17.schema.json
if [ -f "$schema" ] && python3 -c 'import jsonschema' 2>/dev/null; then
  python3 "$src/tests/tools/eve_schema_check.py" --schema "$schema" "$work/out/eve.json" || fail "Suricata 7 schema"
fi

# Files: the same capture with fileinfo on and file rules.
PYTHONPATH="$src/tests/tools" python3 -c '
import hashlib, smb_capture as s
print(hashlib.md5(s.READ_FILE).hexdigest())' >"$work/annual.md5"
cat > "$work/f.rules" <<'R'
alert smb any any -> any any (msg:"budget by name"; filename:"budget-2026.bin"; sid:20;)
alert smb any any -> any any (msg:"annual by md5, stored"; filemd5:annual.md5; filestore; sid:21;)
alert smb any any -> any any (msg:"pdf by file.data"; file.data; content:"%PDF-1.4"; depth:8; sid:22;)
R
mkdir "$work/out2" "$work/store"
timeout 60 "$agent" -r "$work/smb.pcap" -S "$work/f.rules" -l "$work/out2" -q -k none \
  --set outputs.eve.types=alert,fileinfo,stats --set "files.store.dir=$work/store" >"$work/agent2.log" 2>&1 ||
  { cat "$work/agent2.log"; fail "agent (files)"; }
PYTHONPATH="$src/tests/tools" python3 - "$work" <<'PY' || fail "files: see above"
import collections, hashlib, json, os, sys
import smb_capture as s
work = sys.argv[1]
events = [json.loads(l) for l in open(f"{work}/out2/eve.json")]
alerts = collections.Counter(e["alert"]["signature_id"] for e in events if e["event_type"] == "alert")
files = {(e["fileinfo"]["filename"], e["smb"]["command"]): e for e in events if e["event_type"] == "fileinfo"}
ok = True
def check(what, good, detail=""):
    global ok
    ok &= bool(good)
    print(("ok   " if good else "FAIL ") + what + ("" if good else "  " + str(detail)))
for name, cmd, data in ((s.WRITE_NAME, "SMB2_COMMAND_WRITE", s.WRITE_FILE), (s.READ_NAME, "SMB2_COMMAND_READ", s.READ_FILE)):
    e = files.get((name, cmd))
    check(f"{name}: one fileinfo ({cmd})", e is not None, sorted(files))
    if e is None:
        continue
    fi = e["fileinfo"]
    check(f"{name}: app_proto smb, smb object with share and fuid",
          e["app_proto"] == "smb" and e["smb"]["share"] == "\\\\10.3.0.2\\finance" and e["smb"]["fuid"], e["smb"])
    check(f"{name}: CLOSED, no gaps, size {len(data)}",
          (fi["state"], fi["gaps"], fi["size"]) == ("CLOSED", False, len(data)), fi)
    check(f"{name}: md5 and sha256 equal hashlib's", fi.get("md5") == hashlib.md5(data).hexdigest() and
          fi.get("sha256") == hashlib.sha256(data).hexdigest(), fi)
check("sid 20 (filename), 21 (filemd5 + filestore), 22 (file.data) fire once each",
      {k: alerts[k] for k in (20, 21, 22)} == {20: 1, 21: 1, 22: 1}, alerts)
sha = hashlib.sha256(s.READ_FILE).hexdigest()
stored = [os.path.join(r, n) for r, _, ns in os.walk(f"{work}/store") for n in ns]
check("the store holds the read file once", stored == [os.path.join(work, "store", sha[:2], sha)], stored)
check("its fileinfo says stored, sid [21]", files.get((s.READ_NAME, "SMB2_COMMAND_READ"), {}).get("fileinfo", {}).get("sid") == [21])
sys.exit(0 if ok else 1)
PY
python3 "$src/tests/tools/eve_schema_check.py" "$work/out2/eve.json" || fail "structural EVE check (files)"
if [ -f "$schema" ] && python3 -c 'import jsonschema' 2>/dev/null; then
  python3 "$src/tests/tools/eve_schema_check.py" --schema "$schema" "$work/out2/eve.json" || fail "Suricata 7 schema (files)"
fi
echo "smb sessions: alerts, smb events, counts, files and schema as expected"
