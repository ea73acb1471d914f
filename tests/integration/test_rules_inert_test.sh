#!/usr/bin/env bash
# vigil-agent --test-rules: a rule for a protocol the agent does not parse is
# listed as inert with FILE:LINE and the reason, and not counted as loaded; a
# valid file with inert rules still passes (exit 0), a broken rule fails it.
set -u
BUILD=$1
AGENT="$BUILD/agent/vigil-agent"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cat >"$WORK/a.rules" <<'R'
alert http any any -> any any (msg:"uri"; http.uri; content:"/x"; sid:1;)
alert smb any any -> any any (msg:"smb"; sid:2;)
R
out=$("$AGENT" --test-rules -S "$WORK/a.rules" 2>&1) || fail "exit $? on a valid file: $out"
grep -q "^$WORK/a.rules:2: sid 2: no parser for smb (rule protocol)$" <<<"$out" || fail "no inert line: $out"
grep -q "OK: 1 rules loaded, 0 failed, 1 inert" <<<"$out" || fail "counts: $out"
echo 'alert tcp any any -> any any (msg:"bad"; nosuchkeyword; sid:3;)' >>"$WORK/a.rules"
out=$("$AGENT" --test-rules -S "$WORK/a.rules" 2>&1) && fail "a broken rule passed: $out"
grep -q "FAILED: 1 rules loaded, 1 failed, 1 inert" <<<"$out" || fail "counts with a broken rule: $out"
echo "PASS"
