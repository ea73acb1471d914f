#!/usr/bin/env bash
# SSH sessions that close right after both banners (no key exchange), in both
# orders (client first, server first): ssh.proto / ssh.software rules, the
# legacy value keywords, and one ssh EVE record per session with both sides.
set -euo pipefail
build=$1
src=$2
agent=$build/agent/vigil-agent
command -v python3 >/dev/null || exit 77
work=$(mktemp -d "$build/ssh_banner_only.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

python3 - "$src/tools" "$work/ssh.pcap" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import mkpcap as m
w = m.Writer(sys.argv[2])
m.tcp_session(w, "10.1.0.1", "10.1.0.2", 40001, 22,
              [(b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n", b"SSH-2.0-OpenSSH_7.4\r\n")])
m.tcp_session(w, "10.1.0.1", "10.1.0.2", 40002, 22,
              [(b"", b"SSH-1.99-libssh_0.9\r\n"), (b"SSH-2.0-PuTTY_Release_0.78\r\n", b"")])
w.close()
PY
cat > "$work/t.rules" <<'R'
alert ssh any any -> any any (msg:"client software"; flow:to_server; ssh.software; content:"OpenSSH_8"; sid:1;)
alert ssh any any -> any any (msg:"server software"; flow:to_client; ssh.software; content:"OpenSSH_7"; sid:2;)
alert ssh any any -> any any (msg:"putty"; ssh.software; content:"PuTTY"; sid:3;)
alert ssh any any -> any any (msg:"proto 1.99"; flow:to_client; ssh.proto; content:"1.99"; sid:4;)
alert ssh any any -> any any (msg:"v2 compatible"; flow:to_client; ssh.protoversion:2_compat; sid:5;)
alert ssh any any -> any any (msg:"exactly 2.0 to the client"; flow:to_client; ssh.protoversion:2.0; sid:6;)
alert ssh any any -> any any (msg:"software prefix"; ssh.softwareversion:libssh; sid:7;)
R
mkdir "$work/out"
timeout 60 "$agent" -r "$work/ssh.pcap" -S "$work/t.rules" -l "$work/out" -q --set outputs.eve.types=alert,ssh
python3 - "$work/out/eve.json" <<'PY' || fail "see above"
import json, sys
alerts, ssh = {}, []
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event_type"] == "alert":
        alerts[e["alert"]["signature_id"]] = alerts.get(e["alert"]["signature_id"], 0) + 1
    elif e["event_type"] == "ssh":
        ssh.append(e["ssh"])
want = {1: 1, 2: 1, 3: 1, 4: 1, 5: 2, 6: 1, 7: 1}
ok = alerts == want
print("alerts", alerts, "expected", want)
sw = sorted((s["client"]["software_version"], s["server"]["software_version"], s["server"]["proto_version"])
            for s in ssh if "client" in s and "server" in s)
print("ssh records", sw)
ok = ok and len(ssh) == 2 and sw == [("OpenSSH_8.9p1", "OpenSSH_7.4", "2.0"), ("PuTTY_Release_0.78", "libssh_0.9", "1.99")]
sys.exit(0 if ok else 1)
PY
echo "ssh banner-only sessions: alerts and records as expected"
