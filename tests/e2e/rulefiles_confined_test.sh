#!/usr/bin/env bash
# Files named by the collector's rule set stay under STATE_DIR/rulefiles on
# the agent: a dataset `save` with an absolute path is refused with its line
# and nothing is written there, while a relative `state` file is written under
# rulefiles at exit. The same rules given locally with -S keep Suricata's
# behaviour (the absolute path is written), which shows the check is what
# stops the first run.
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
python3 "$E2E/make_pcap.py" "$WORK/d.pcap" 20 VIGILTEST
start_collector
enroll "$WORK/agent" || fail "enrolment"
cat >"$WORK/agent/collector.rules" <<RULES
alert udp any any -> any any (msg:"seen"; dataset:set,seen,type string,state seen.lst; sid:1;)
alert udp any any -> any any (msg:"escape"; dataset:set,esc,type string,save $WORK/escaped.lst; sid:2;)
RULES
echo "1-000000000000" >"$WORK/agent/collector.rules.version"  # as the agent saves a pushed rule set

"$AGENT" -k none -r "$WORK/d.pcap" -l "$WORK/log" --state-dir "$WORK/agent" --drain-timeout 30 \
  >"$WORK/agent.log" 2>&1 || fail "agent exited with $?: $(tail -5 "$WORK/agent.log")"
grep -q "collector.rules:2: sid 2: dataset: file '$WORK/escaped.lst': absolute paths are refused" "$WORK/agent.log" ||
  fail "the agent did not refuse line 2: $(grep -i dataset "$WORK/agent.log" | head -3)"
[ -e "$WORK/escaped.lst" ] && fail "a rule from the collector wrote outside the state directory"
[ -s "$WORK/agent/rulefiles/seen.lst" ] || fail "the confined state file was not written under rulefiles"
[ "$(wc -l <"$WORK/agent/rulefiles/seen.lst")" = 20 ] || fail "seen.lst does not hold the 20 payloads"

# Local rules (-S): Suricata's behaviour, absolute names allowed.
cp "$WORK/agent/collector.rules" "$WORK/local.rules"
"$AGENT" -k none -r "$WORK/d.pcap" -S "$WORK/local.rules" -l "$WORK/log2" >"$WORK/agent2.log" 2>&1 ||
  fail "local run exited with $?"
[ -s "$WORK/escaped.lst" ] || fail "a local -S rule set could not save to an absolute path"
echo "PASS"
