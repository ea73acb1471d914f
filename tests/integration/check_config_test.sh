#!/usr/bin/env bash
# --check-config, for both programs: a good configuration (and, for the agent,
# good rules) exits 0 and says what was checked; a bad value exits 2 naming
# FILE:LINE; a rule that does not parse exits 2 naming its FILE:LINE; a
# certificate with the wrong key is caught. Nothing is opened or created:
# no capture, no eve.json, no data directory, no listening socket.
set -uo pipefail
build=$1
agent=$build/agent/vigil-agent
collector=$build/collector/vigil-collector
[ -x "$agent" ] && [ -x "$collector" ] || { echo "binaries not built"; exit 77; }
work=$(mktemp -d "$build/check_config_test.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cd "$work"

# --- agent ---
printf 'threading:\n  workers: 2\nflow:\n  max-flows: 20000\n' >good.yaml
printf 'alert udp any any -> any any (msg:"one"; content:"X"; sid:1; rev:1;)\n' >good.rules
timeout 60 "$agent" --check-config -c good.yaml -S good.rules -r missing.pcap -l "$work/out" >out.txt 2>err.txt
rc=$?
[ "$rc" = 2 ] || fail "agent: a missing capture file exited $rc, not 2: $(cat out.txt err.txt)"
grep -qF -- "-r missing.pcap: cannot read it" err.txt || fail "agent: missing capture not reported: $(cat err.txt)"
[ ! -e "$work/out" ] || fail "agent: --check-config created the log directory"

timeout 60 "$agent" --check-config -c good.yaml -S good.rules -l "$work/out" >out.txt 2>err.txt
rc=$?
[ "$rc" = 0 ] || fail "agent: a good configuration exited $rc: $(cat out.txt err.txt)"
grep -qxF "configuration: good.yaml" out.txt || fail "agent: does not say which file it checked: $(cat out.txt)"
grep -qF "rules: 1 file(s), 1 loaded, 0 failed" out.txt || fail "agent: rules not checked: $(cat out.txt)"
grep -qxF "vigil-agent: configuration OK" out.txt || fail "agent: no verdict: $(cat out.txt)"
[ ! -s err.txt ] || fail "agent: a good configuration printed problems: $(cat err.txt)"
[ ! -e "$work/out" ] || fail "agent: --check-config created the log directory"

printf 'threading:\n  workers: 2\nflow:\n  max-flows: lots\n' >bad.yaml
timeout 60 "$agent" --check-config -c bad.yaml -S good.rules >out.txt 2>err.txt
rc=$?
[ "$rc" = 2 ] || fail "agent: a bad value exited $rc, not 2"
grep -qxF "bad.yaml:4: flow.max-flows: expected an integer, got 'lots'" err.txt ||
  fail "agent: bad value not named as FILE:LINE: $(cat err.txt)"

{
  printf 'alert udp any any -> any any (msg:"one"; content:"X"; sid:1; rev:1;)\n'
  printf 'alert udp any any -> any any (msg:"broken"; content:"Y"; sid:2; rev:1\n'
} >bad.rules
timeout 60 "$agent" --check-config -c good.yaml -S bad.rules >out.txt 2>err.txt
rc=$?
[ "$rc" = 2 ] || fail "agent: a bad rule exited $rc, not 2: $(cat out.txt err.txt)"
grep -qE "^bad\.rules:2: " err.txt || fail "agent: bad rule not named as FILE:LINE: $(cat err.txt)"
grep -qF "rule(s) do not parse" err.txt || fail "agent: no verdict on the rules: $(cat err.txt)"

timeout 60 "$agent" --check-config -S good.rules -i no-such-if0 --user no-such-user-xyz >out.txt 2>err.txt
rc=$?
[ "$rc" = 2 ] || fail "agent: a missing interface and user exited $rc"
grep -qF -- "-i no-such-if0: no such interface" err.txt || fail "agent: interface: $(cat err.txt)"
grep -qF -- "--user no-such-user-xyz: no such user" err.txt || fail "agent: user: $(cat err.txt)"

# --- collector ---
printf "heartbeat_interval_s: 5\noffline_after_s: 20\n" >collector.yaml
timeout 60 "$collector" --check-config -c collector.yaml --data-dir "$work/data" >out.txt 2>err.txt
rc=$?
[ "$rc" = 0 ] || fail "collector: a good configuration exited $rc: $(cat out.txt err.txt)"
grep -qxF "vigil-collector: configuration OK" out.txt || fail "collector: no verdict: $(cat out.txt)"
grep -qF "configuration: collector.yaml: ok" out.txt || fail "collector: does not say what it checked"
[ ! -e "$work/data" ] || fail "collector: --check-config created the data directory"

printf "offline_after_s: 20\nheartbeat_interval_s: often\n" >bad-collector.yaml
timeout 60 "$collector" --check-config -c bad-collector.yaml --data-dir "$work/data" >out.txt 2>err.txt
rc=$?
[ "$rc" = 2 ] || fail "collector: a bad value exited $rc, not 2"
grep -qE "^bad-collector\.yaml:2: heartbeat_interval_s: " err.txt ||
  fail "collector: bad value not named as FILE:LINE: $(cat err.txt)"

if command -v openssl >/dev/null; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=a -days 1 \
    -keyout a.key -out a.pem 2>/dev/null || fail "openssl"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out b.key 2>/dev/null || fail "openssl"
  printf 'tls:\n  cert: a.pem\n  key: b.key\n' >tls.yaml
  timeout 60 "$collector" --check-config -c tls.yaml --data-dir "$work/data" >out.txt 2>err.txt
  rc=$?
  [ "$rc" = 2 ] || fail "collector: a certificate with the wrong key exited $rc: $(cat out.txt err.txt)"
  grep -qF "b.key: is not the key of the certificate in a.pem" err.txt || fail "collector: tls: $(cat err.txt)"
  printf 'tls:\n  cert: a.pem\n  key: a.key\n' >tls.yaml
  timeout 60 "$collector" --check-config -c tls.yaml --data-dir "$work/data" >out.txt 2>err.txt ||
    fail "collector: a matching certificate and key refused: $(cat out.txt err.txt)"
fi
echo "ok: --check-config"
