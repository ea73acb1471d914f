#!/usr/bin/env bash
# Rule sources: the collector fetches a .tar.gz of rules (with its MD5 file)
# and a plain .rules file from a local HTTP server, applies the policy and
# local rules, validates and publishes a new version. Needs ../shared/rulesets.
BUILD=$1 SRC=$2
RULESETS="$SRC/../shared/rulesets"
[ -d "$RULESETS/et-open" ] || { echo "no ../shared/rulesets"; exit 77; }
. "$2/tests/e2e/e2e_lib.sh"
mkdir -p "$WORK/www"
python3 - "$RULESETS/et-open" "$WORK/www" <<'PY'
import hashlib, os, sys, tarfile
src, www = sys.argv[1], sys.argv[2]
names = ["emerging-scan.rules", "emerging-dns.rules", "emerging-icmp.rules"]
with tarfile.open(os.path.join(www, "emerging.rules.tar.gz"), "w:gz") as t:
    for n in names:
        if os.path.exists(os.path.join(src, n)):
            t.add(os.path.join(src, n), arcname="rules/" + n)
data = open(os.path.join(www, "emerging.rules.tar.gz"), "rb").read()
open(os.path.join(www, "emerging.rules.tar.gz.md5"), "w").write(hashlib.md5(data).hexdigest() + "\n")
PY
printf 'alert udp any any -> any any (msg:"extra source"; content:"EXTRA"; sid:3000001; rev:1;)\n' >"$WORK/www/extra.rules"
HPORT=$(free_port)
python3 -m http.server "$HPORT" --bind 127.0.0.1 --directory "$WORK/www" >/dev/null 2>&1 &
PIDS+=($!)
printf 'alert udp any any -> any any (msg:"local rule"; content:"LOCAL"; sid:3000002; rev:1;)\n' >"$WORK/local.rules"
SCAN_SID=$(grep -m1 -o 'sid:[0-9]*' "$RULESETS/et-open/emerging-scan.rules" | cut -d: -f2)
cat >"$WORK/collector.yaml" <<YAML
rule_sources:
  - {name: et-open, url: "http://127.0.0.1:$HPORT/emerging.rules.tar.gz", checksum_url: "http://127.0.0.1:$HPORT/emerging.rules.tar.gz.md5", interval_s: 3600}
  - {name: extra, url: "http://127.0.0.1:$HPORT/extra.rules"}
rule_policy:
  disable_categories: [emerging-icmp]
  disable_sids: [$SCAN_SID]
  local_rules: ["$WORK/local.rules"]
YAML
for _ in $(seq 1 50); do python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$HPORT/extra.rules')" 2>/dev/null && break; sleep 0.1; done
out=$("$COLLECTOR" ruleset update -c "$WORK/collector.yaml" --data-dir "$DATA" 2>&1) || fail "update: $out"
echo "$out" | tail -1
TEXT=$(sqlite3 "$DATA/collector.db" "SELECT text FROM rulesets ORDER BY seq DESC LIMIT 1")
printf '%s' "$TEXT" | grep -q '^alert udp any any -> any any (msg:"extra source"' || fail "plain .rules source missing"
printf '%s' "$TEXT" | grep -q '^alert udp any any -> any any (msg:"local rule"' || fail "local rules missing"
printf '%s' "$TEXT" | grep -q "^# .*sid:$SCAN_SID;" || fail "sid $SCAN_SID not disabled"
printf '%s' "$TEXT" | grep -q "^# --- et-open: emerging-scan" || fail "tar.gz source missing"
icmp_on=$(printf '%s' "$TEXT" | sed -n '/^# --- et-open: emerging-icmp/,/^# --- /p' | grep -c '^alert' || true)
[ "$icmp_on" = 0 ] || fail "category emerging-icmp not disabled ($icmp_on rules on)"
# A corrupt download (checksum mismatch) publishes nothing.
before=$(sqlite3 "$DATA/collector.db" "SELECT COUNT(*) FROM rulesets")
echo 0000 >"$WORK/www/emerging.rules.tar.gz.md5"
"$COLLECTOR" ruleset update -c "$WORK/collector.yaml" --data-dir "$DATA" >/dev/null 2>&1 && fail "checksum mismatch accepted"
[ "$(sqlite3 "$DATA/collector.db" "SELECT COUNT(*) FROM rulesets")" = "$before" ] || fail "published after a bad checksum"
echo "PASS"
