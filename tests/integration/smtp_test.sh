#!/usr/bin/env bash
# SMTP through the agent from a capture this test writes
# (tests/tools/smtp_capture.py): a file.data rule on a string that exists only
# inside a base64 attachment fires, and a raw-content rule on it does not; an
# smtp.mail_from rule and an email.subject rule fire; the smtp and email EVE
# objects carry Suricata 7's default fields; a STARTTLS session continues as
# TLS (its SNI rule fires, its flow's app_proto is tls and app_proto_orig smtp). Events are checked
# against the EVE structure (and Suricata 7's schema when present).
set -euo pipefail
build=$1
src=$2
agent=$build/agent/vigil-agent
command -v python3 >/dev/null || { echo "skip: python3 not installed"; exit 77; }
[ -x "$agent" ] || { echo "skip: $agent not built"; exit 77; }
work=$(mktemp -d "$build/smtp_test.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

python3 "$src/tests/tools/smtp_capture.py" "$work/smtp.pcap"
cat > "$work/t.rules" <<'R'
alert smtp any any -> any any (msg:"marker in the decoded attachment"; file.data; content:"VIGIL-ATTACHMENT-MARKER"; sid:1;)
alert smtp any any -> any any (msg:"sender"; smtp.mail_from; content:"eve@evil.example"; sid:2;)
alert tcp any any -> any any (msg:"marker in raw bytes (must not fire: base64 on the wire)"; content:"VIGIL-ATTACHMENT-MARKER"; sid:3;)
alert tls any any -> any any (msg:"sni after STARTTLS"; tls.sni; content:"mail.example.org"; sid:4;)
alert smtp any any -> any any (msg:"subject"; email.subject; content:"Invoice"; sid:5;)
alert smtp any any -> any any (msg:"second recipient"; smtp.rcpt_to; content:"carol@"; sid:6;)
alert smtp any any -> any any (msg:"decoded text body"; file.data; content:"pay |e2 82 ac| 42"; sid:7;)
R
mkdir "$work/out"
timeout 60 "$agent" -r "$work/smtp.pcap" -S "$work/t.rules" -l "$work/out" -q \
  --set outputs.eve.types=alert,smtp,tls,flow
python3 - "$work/out/eve.json" <<'PY' || fail "see above"
import json, sys
alerts, smtp, tls, flows = {}, [], [], {}
for line in open(sys.argv[1]):
    e = json.loads(line)
    t = e["event_type"]
    if t == "alert":
        sid = e["alert"]["signature_id"]
        alerts[sid] = alerts.get(sid, 0) + 1
        if sid == 2:
            assert e["smtp"]["mail_from"] == "<eve@evil.example>", e
    elif t == "smtp":
        smtp.append(e)
    elif t == "tls":
        tls.append(e["tls"])
    elif t == "flow":
        flows[e["dest_port"]] = (e["app_proto"], e.get("app_proto_orig"))
ok = True
want = {1: 1, 2: 1, 4: 1, 5: 1, 6: 1, 7: 1}
print("alerts", alerts, "expected", want)
ok &= alerts == want
mail = [e for e in smtp if e["dest_port"] == 25]
pre_tls = [e for e in smtp if e["dest_port"] == 587]
print("smtp events", json.dumps([{k: e[k] for k in ("smtp", "email") if k in e} for e in smtp]))
ok &= len(mail) == 1 and len(pre_tls) == 1
if ok:
    ok &= mail[0]["smtp"] == {"helo": "client.example.com", "mail_from": "<eve@evil.example>",
                              "rcpt_to": ["<bob@example.org>", "<carol@example.net>"]}
    ok &= mail[0]["email"] == {"status": "PARSE_DONE", "from": "\"Eve\" <eve@evil.example>",
                               "to": ["bob@example.org", "carol@example.net"], "cc": ["dave@example.com"],
                               "attachment": ["invoice.pdf"]}
    ok &= pre_tls[0]["smtp"] == {"helo": "laptop"} and "email" not in pre_tls[0]
print("tls", tls, "flows", flows)
ok &= [t.get("sni") for t in tls] == ["mail.example.org"]
ok &= flows == {25: ("smtp", None), 587: ("tls", "smtp")}
sys.exit(0 if ok else 1)
PY
python3 "$src/tests/tools/eve_schema_check.py" "$work/out/eve.json" || fail "EVE structure"
schema="${VIGIL_SHARED:-$src/../shared}/conformance/eve-schema/suricata-7.0.17.schema.json"
if [ -f "$schema" ] && python3 -c 'import jsonschema' 2>/dev/null; then
  python3 "$src/tests/tools/eve_schema_check.py" --schema "$schema" "$work/out/eve.json" || fail "EVE schema"
fi
echo "smtp: alerts, smtp/email objects and the STARTTLS hand-off as expected"
