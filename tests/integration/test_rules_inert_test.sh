#!/usr/bin/env bash
# vigil-agent --test-rules: rules are reported inert only for protocols the
# agent does not parse. Every application protocol a rule header can name is
# parsed now (SMB was the last), so an `alert smb` rule and an smb.share rule
# load and nothing is inert; the inert listing itself (FILE:LINE and reason)
# is covered by tests/rules/inert_test.cpp with a caller that parses less. A
# broken rule still fails the file.
set -u
BUILD=$1
AGENT="$BUILD/agent/vigil-agent"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cat >"$WORK/a.rules" <<'R'
alert http any any -> any any (msg:"uri"; http.uri; content:"/x"; sid:1;)
alert smb any any -> any any (msg:"smb"; sid:2;)
alert tcp any any -> any any (msg:"share"; smb.share; content:"C$"; sid:4;)
R
out=$("$AGENT" --test-rules -S "$WORK/a.rules" 2>&1) || fail "exit $? on a valid file: $out"
grep -q "no parser for" <<<"$out" && fail "an inert rule: $out"
grep -q "OK: 3 rules loaded, 0 failed, 0 inert" <<<"$out" || fail "counts: $out"
echo 'alert tcp any any -> any any (msg:"bad"; nosuchkeyword; sid:3;)' >>"$WORK/a.rules"
out=$("$AGENT" --test-rules -S "$WORK/a.rules" 2>&1) && fail "a broken rule passed: $out"
grep -q "FAILED: 3 rules loaded, 1 failed, 0 inert" <<<"$out" || fail "counts with a broken rule: $out"
echo "PASS"
