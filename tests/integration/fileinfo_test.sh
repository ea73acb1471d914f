#!/usr/bin/env bash
# Files end to end: tests/tools/file_downloads.py writes HTTP downloads
# (Content-Length, chunked+gzip past the body limit, a body cut short, a
# Content-Disposition name, a POST body) with the hashes computed by hashlib;
# the agent runs over them with the file rules. Checks:
#   - one fileinfo event per body: name, direction, state, size, md5 and
#     sha256 equal the generator's; the truncated one has no hashes
#   - the rule on file.data + filename + fileext + filemd5 (a list next to the
#     rule file) fires on both copies of the listed file, filemagic and
#     filesize rules fire where they should, the negated list does not
#   - filestore wrote the listed file exactly once, under <sha256[0:2]>/<sha256>,
#     and the fileinfo events say stored:true
#   - fileinfo events are valid under Suricata 7's EVE schema (when
#     ../shared/conformance has it; VIGIL_SHARED overrides where ../shared is)
#   - when tshark is installed: the sha256 of every object
#     `tshark --export-objects http` writes equals a closed fileinfo's
# Then SMTP and FTP (mailftp.pcap, a second run with its own store): the
# attachments and the FTP RETR/STOR are fileinfo events (smtp+email or
# ftp_data context, hashes equal hashlib's), the rules on file.data +
# filename + filemd5 fire on the attachment and on the RETR, the store holds
# that file once, and the ftp_data events name the command and file. Last, a
# reassembly depth below a transfer's size makes that file TRUNCATED.
# $1 = build dir, $2 = source dir; exit 77 (skip) without python3 or the agent.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
AGENT="$BUILD/agent/vigil-agent"
command -v python3 >/dev/null || { echo "skip: python3 not installed"; exit 77; }
[ -x "$AGENT" ] || { echo "skip: $AGENT not built"; exit 77; }

WORK="$BUILD/fileinfo_test"
rm -rf "$WORK"
mkdir -p "$WORK/out" "$WORK/store"
python3 "$SRC/tests/tools/file_downloads.py" "$WORK"
"$AGENT" -r "$WORK/files.pcap" -S "$WORK/files.rules" -l "$WORK/out" -k none \
  --set outputs.eve.types=alert,http,fileinfo,stats \
  --set "files.store.dir=$WORK/store" >"$WORK/agent.log" 2>&1 || { cat "$WORK/agent.log"; exit 1; }
if grep -qE "^[^ ]+ (error|warning|critical) " "$WORK/agent.log"; then cat "$WORK/agent.log"; exit 1; fi

TSHARK_DIR=""
if command -v tshark >/dev/null; then
  TSHARK_DIR="$WORK/tshark"
  mkdir -p "$TSHARK_DIR"
  tshark -r "$WORK/files.pcap" -q --export-objects "http,$TSHARK_DIR" >/dev/null 2>&1
else
  echo "note: tshark not installed; the comparison with --export-objects is skipped"
fi

SHARED="${VIGIL_SHARED:-$SRC/../shared}" SRC="$SRC" python3 - "$WORK" "$TSHARK_DIR" <<'PY'
import collections, hashlib, json, os, sys
work, tshark_dir = sys.argv[1], sys.argv[2]
expect = json.load(open(f"{work}/expect.json"))
events = [json.loads(l) for l in open(f"{work}/out/eve.json")]
files = [e for e in events if e["event_type"] == "fileinfo"]
alerts = collections.Counter(e["alert"]["signature_id"] for e in events if e["event_type"] == "alert")
ok = True

def check(what, good, detail=""):
    global ok
    ok &= bool(good)
    print(("ok   " if good else "FAIL ") + what + ("" if good else "  " + str(detail)))

def key(f):
    return (f["filename"], f["dir"])

ours = {}
for e in files:
    fi = e["fileinfo"]
    # Suricata writes a file's addresses in its direction: the server sends to_client files.
    d = "to_client" if e["src_port"] == 80 else "to_server"
    ours.setdefault((fi["filename"], d), []).append(fi)
    check(f"{fi['filename']} {d}: app_proto http, http object, tx_id",
          e.get("app_proto") == "http" and "http" in e and "tx_id" in fi, e)
check("one fileinfo per body", len(files) == len(expect["files"]), (len(files), len(expect["files"])))
for f in expect["files"]:
    got = ours.get(key(f), [])
    if not got:
        check(f"{key(f)} logged", False, sorted(ours))
        continue
    fi = got[0]
    check(f"{key(f)} state {f['state']}", fi["state"] == f["state"], fi)
    check(f"{key(f)} size {f['size']}", fi["size"] == f["size"], fi)
    check(f"{key(f)} md5/sha256 equal hashlib's", fi.get("md5") == f["md5"] and fi.get("sha256") == f["sha256"], fi)
    check(f"{key(f)} gaps false", fi["gaps"] is False, fi)
pdf = ours.get(("/docs/report.pdf", "to_client"), [{}])[0]
check("libmagic names the PDF", "PDF" in pdf.get("magic", ""), pdf)

check("sid 1 (file.data + filename + fileext + filemd5 list) fires on both copies", alerts[1] == 2, alerts)
check("sid 2 (filemagic) fires once", alerts[2] == 1, alerts)
check("sid 3 (filesize > 100kb) fires on the 300 kB body only", alerts[3] == 1, alerts)
check("sid 4 (fileext exe, md5 not listed) does not fire", alerts[4] == 0, alerts)

sha = expect["malware_sha256"]
stored = []
for root, _, names in os.walk(f"{work}/store"):
    stored += [os.path.join(root, n) for n in names]
check("filestore wrote one file", len(stored) == 1, stored)
if stored:
    check("stored under <sha256[0:2]>/<sha256>", stored[0] == os.path.join(work, "store", sha[:2], sha), stored)
    check("stored content has that sha256", hashlib.sha256(open(stored[0], "rb").read()).hexdigest() == sha)
marked = [fi for fi in ours.get(("/malware/dropper.exe", "to_client"), []) +
          ours.get(("/mirror/dropper.exe", "to_client"), [])]
check("both copies say stored:true, sid [1]", len(marked) == 2 and all(fi["stored"] and fi.get("sid") == [1] for fi in marked), marked)
check("fileinfo without a filestore match has no sid", not any("sid" in e["fileinfo"] for e in files
      if e["fileinfo"].get("sha256") != expect["malware_sha256"]))
others = [fi for e in files for fi in [e["fileinfo"]] if fi.get("sha256") != sha]
check("no other file says stored", not any(fi["stored"] for fi in others))

stats = [e for e in events if e["event_type"] == "stats"][-1]["stats"]
fst = stats["vigil"]["app_layer"]["file"]  # counters Suricata's schema does not know sit under "vigil"
check("counters: opened 8, closed 7, truncated 1",
      (fst["opened"], fst["closed"], fst["truncated"]) == (8, 7, 1), fst)
check("counters: one written, one already present",
      (fst["store"]["written"], fst["store"]["already_present"]) == (1, 1), fst)

schema = os.path.join(os.environ.get("SHARED", ""), "conformance/eve-schema/suricata-7.0.17.schema.json")
if os.path.isfile(schema):
    import subprocess
    r = subprocess.run([sys.executable, os.path.join(os.environ["SRC"], "tests/tools/eve_schema_check.py"),
                        "--schema", schema, f"{work}/out/eve.json"], capture_output=True, text=True)
    check("events valid under Suricata 7's EVE schema", r.returncode == 0, r.stdout[-2000:])
else:
    print("note: Suricata's EVE schema not found under $SHARED; not checked")

if tshark_dir:
    theirs = collections.Counter(hashlib.sha256(open(os.path.join(tshark_dir, n), "rb").read()).hexdigest()
                                 for n in os.listdir(tshark_dir))
    closed = collections.Counter(e["fileinfo"]["sha256"] for e in files if e["fileinfo"]["state"] == "CLOSED")
    check(f"sha256 of tshark's {sum(theirs.values())} exported objects == closed fileinfo sha256s",
          theirs == closed, (theirs - closed, closed - theirs))
sys.exit(0 if ok else 1)
PY

# SMTP attachments and FTP transfers.
mkdir -p "$WORK/out2" "$WORK/store2"
"$AGENT" -r "$WORK/mailftp.pcap" -S "$WORK/mailftp.rules" -l "$WORK/out2" -k none \
  --set outputs.eve.types=alert,smtp,ftp,ftp_data,fileinfo,stats \
  --set "files.store.dir=$WORK/store2" >"$WORK/agent2.log" 2>&1 || { cat "$WORK/agent2.log"; exit 1; }
if grep -qE "^[^ ]+ (error|warning|critical) " "$WORK/agent2.log"; then cat "$WORK/agent2.log"; exit 1; fi

SHARED="${VIGIL_SHARED:-$SRC/../shared}" SRC="$SRC" python3 - "$WORK" <<'PY'
import collections, hashlib, json, os, sys
work = sys.argv[1]
expect = json.load(open(f"{work}/expect.json"))
events = [json.loads(l) for l in open(f"{work}/out2/eve.json")]
files = [e for e in events if e["event_type"] == "fileinfo"]
alerts = collections.Counter(e["alert"]["signature_id"] for e in events if e["event_type"] == "alert")
ok = True

def check(what, good, detail=""):
    global ok
    ok &= bool(good)
    print(("ok   " if good else "FAIL ") + what + ("" if good else "  " + str(detail)))

ours = {}
for e in files:
    fi = e["fileinfo"]
    d = "to_client" if e["src_port"] in (21, 25) or e["src_ip"] == "10.4.0.21" else "to_server"
    ours[(fi["filename"], d)] = (e, fi)
check("one fileinfo per attachment and transfer", len(files) == len(expect["mail_ftp_files"]),
      [e["fileinfo"]["filename"] for e in files])
for f in expect["mail_ftp_files"]:
    k = (f["filename"], f["dir"])
    if k not in ours:
        check(f"{k} logged", False, sorted(ours))
        continue
    e, fi = ours[k]
    check(f"{k} state {f['state']}, size {f['size']}", fi["state"] == f["state"] and fi["size"] == f["size"], fi)
    check(f"{k} md5/sha256 equal hashlib's", fi.get("md5") == f["md5"] and fi.get("sha256") == f["sha256"], fi)
    check(f"{k} app_proto {f['app_proto']}", e.get("app_proto") == f["app_proto"], e)
    if f["app_proto"] == "smtp":
        check(f"{k} carries smtp and email", "smtp" in e and "email" in e, e)
    else:
        check(f"{k} carries ftp_data", e.get("ftp_data", {}).get("filename") == f["filename"], e)

check("sid 11 (attachment: file.data + filename + filemd5) fires once", alerts[11] == 1, alerts)
check("sid 12 (ftp-data: file.data + filename + filemd5) fires once", alerts[12] == 1, alerts)
check("sid 13 (filename notes.txt + decoded file.data) fires once", alerts[13] == 1, alerts)

sha = expect["malware_sha256"]
stored = []
for root, _, names in os.walk(f"{work}/store2"):
    stored += [os.path.join(root, n) for n in names]
check("filestore wrote the file sent twice once", stored == [os.path.join(work, "store2", sha[:2], sha)], stored)
if stored:
    check("stored content has that sha256", hashlib.sha256(open(stored[0], "rb").read()).hexdigest() == sha)
marked = [fi for (e, fi) in ours.values() if fi.get("sha256") == sha]
check("both copies say stored:true", len(marked) == 2 and all(fi["stored"] for fi in marked), marked)

fd = [e["ftp_data"] for e in events if e["event_type"] == "ftp_data"]
check("ftp_data events name the command and file",
      sorted((x.get("command"), x.get("filename")) for x in fd) ==
      [("RETR", "/pub/dropper.exe"), ("STOR", "report.txt")], fd)

stats = [e for e in events if e["event_type"] == "stats"][-1]["stats"]
fst = stats["vigil"]["app_layer"]["file"]
check("counters: opened 4, closed 4, one written, one already present",
      (fst["opened"], fst["closed"], fst["store"]["written"], fst["store"]["already_present"]) == (4, 4, 1, 1), fst)

schema = os.path.join(os.environ.get("SHARED", ""), "conformance/eve-schema/suricata-7.0.17.schema.json")
if os.path.isfile(schema):
    import subprocess
    r = subprocess.run([sys.executable, os.path.join(os.environ["SRC"], "tests/tools/eve_schema_check.py"),
                        "--schema", schema, f"{work}/out2/eve.json"], capture_output=True, text=True)
    check("SMTP/FTP fileinfo and ftp_data events valid under Suricata 7's EVE schema", r.returncode == 0,
          r.stdout[-2000:])
sys.exit(0 if ok else 1)
PY

# A transfer longer than the reassembly depth lost its tail: TRUNCATED, not CLOSED.
mkdir -p "$WORK/out3"
"$AGENT" -r "$WORK/mailftp.pcap" -l "$WORK/out3" -k none --set outputs.eve.types=fileinfo \
  --set stream.reassembly.depth=2kb >"$WORK/agent3.log" 2>&1 || { cat "$WORK/agent3.log"; exit 1; }
python3 - "$WORK" <<'PY'
import json, sys
fi = {e["fileinfo"]["filename"]: e["fileinfo"] for e in map(json.loads, open(f"{sys.argv[1]}/out3/eve.json"))}
good = fi.get("report.txt", {}).get("state") == "TRUNCATED" and fi.get("/pub/dropper.exe", {}).get("state") == "CLOSED"
print(("ok   " if good else "FAIL ") + "depth 2kb: the 4800-byte STOR is TRUNCATED, the 908-byte RETR CLOSED")
sys.exit(0 if good else 1)
PY
