#!/usr/bin/env bash
# Configuration errors stop the programs before they start: the agent and the
# collector exit with 2 and list every bad value as FILE:LINE: KEY: reason; an
# unknown key is a warning and the program goes on; --dump-config output
# loads back to the same dump.
set -uo pipefail
build=$1
agent=$build/agent/vigil-agent
collector=$build/collector/vigil-collector
[ -x "$agent" ] || { echo "agent not built"; exit 77; }
work=$(mktemp -d "$build/config_errors_test.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cd "$work"
cat > agent.yaml <<'Y'
threading:
  workerz: 2
flow:
  max-flows: 200k
vars:
  address-groups:
    HOME_NET: [10.0.0.0/8]
Y
timeout 20 "$agent" -c agent.yaml -r missing.pcap -l "$work/out" >out.txt 2>err.txt
rc=$?
[ "$rc" = 2 ] || fail "agent with a bad config exited with $rc, not 2: $(cat err.txt)"
grep -qxF "agent.yaml:4: flow.max-flows: expected an integer, got '200k'" err.txt || fail "no max-flows error: $(cat err.txt)"
grep -qxF "agent.yaml:7: vars.address-groups.HOME_NET: expected a string, got a list" err.txt ||
  fail "not every error listed: $(cat err.txt)"
grep -qF "agent.yaml:2: threading.workerz: unknown key (did you mean threading.workers?)" err.txt ||
  fail "no unknown-key warning: $(cat err.txt)"
[ ! -e "$work/out/eve.json" ] || fail "the agent started anyway"

timeout 20 "$agent" --set flow.max-flows=lots --dump-config >out.txt 2>err.txt
rc=$?
[ "$rc" = 2 ] || fail "--set error exited with $rc"
grep -qxF -- "--set: flow.max-flows: expected an integer, got 'lots'" err.txt || fail "--set error: $(cat err.txt)"

# An unknown key alone: a warning, and the agent runs.
printf 'threading:\n  workerz: 2\n  workers: 2\n' > warn.yaml
timeout 20 "$agent" -c warn.yaml --dump-config >dump1.yaml 2>err.txt || fail "unknown key stopped the agent: $(cat err.txt)"
grep -qF "warn.yaml:2: threading.workerz: unknown key (did you mean threading.workers?)" err.txt || fail "warning missing"
grep -q "workers: 2" dump1.yaml || fail "dump lacks the file's value"
timeout 20 "$agent" -c dump1.yaml --dump-config >dump2.yaml 2>err.txt || fail "the dump does not load: $(cat err.txt)"
[ ! -s err.txt ] || fail "the dump loads with warnings: $(cat err.txt)"
cmp -s dump1.yaml dump2.yaml || fail "the dump does not load back to itself: $(diff dump1.yaml dump2.yaml)"

if [ -x "$collector" ]; then
  printf 'listen: 127.0.0.1:0\nserver_threads: lots\nrule_sources:\n  - name: x\n' > collector.yaml
  timeout 20 "$collector" serve -c collector.yaml --data-dir "$work/data" >out.txt 2>err.txt
  rc=$?
  [ "$rc" = 2 ] || fail "collector with a bad config exited with $rc, not 2"
  grep -qxF "collector.yaml:2: server_threads: expected an integer, got 'lots'" err.txt || fail "collector: $(cat err.txt)"
  grep -qxF "collector.yaml:4: rule_sources[0].url: missing (every entry needs one)" err.txt ||
    fail "collector: not every error listed: $(cat err.txt)"
  [ ! -e "$work/data" ] || fail "the collector started anyway"
fi
echo "ok: configuration errors"
