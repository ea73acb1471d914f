#!/usr/bin/env bash
# Every EVE event the agent writes is valid Suricata 7 EVE (zero errors; each
# error printed with its file, line, event type and JSON path):
#  (a) always: the captures this project generates, run with every event type
#      on and rules that alert on http, dns, tls, ssh and plain UDP
#      (tests/tools/eve_traffic.py; tests/e2e/make_pcap.py), checked by
#      tests/tools/eve_schema_check.py's own structural description of
#      Suricata 7's fields (Suricata's schema is GPL-2.0 and is not copied here);
#  (b) when ../shared/conformance is there: the same captures, every
#      conformance case's output and a small capture of the bench generator,
#      validated against Suricata's published schema itself with
#      python3-jsonschema (scripts/install-deps.sh installs it).
# $1 = build dir, $2 = source dir.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
AGENT="$BUILD/agent/vigil-agent"
CHECK="$SRC/tests/tools/eve_schema_check.py"
SHARED="${VIGIL_SHARED:-$SRC/../shared}"  # ../shared beside the source tree, as the other tests
SCHEMA="$SHARED/conformance/eve-schema/suricata-7.0.17.schema.json"
command -v python3 >/dev/null || { echo "skip: python3 not installed"; exit 77; }
[ -x "$AGENT" ] || { echo "skip: $AGENT not built"; exit 77; }
WORK=$(mktemp -d /tmp/vigil-schema.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ALL=(--set outputs.eve.types=alert,flow,stats,http,dns,tls,ssh)
fail=0

agent() {  # agent NAME PCAP RULES
  mkdir -p "$WORK/$1"
  timeout 120 "$AGENT" -r "$2" -S "$3" -l "$WORK/$1" -k none "${ALL[@]}" >"$WORK/$1.log" 2>&1 ||
    { cat "$WORK/$1.log"; echo "FAIL: agent on $2"; exit 1; }
}

python3 "$SRC/tests/tools/eve_traffic.py" "$WORK/gen.pcap" "$WORK/gen.rules"
agent gen "$WORK/gen.pcap" "$WORK/gen.rules"
python3 "$SRC/tests/e2e/make_pcap.py" "$WORK/udp.pcap" 50
echo 'alert udp any any -> any any (msg:"marker"; content:"VIGILTEST"; sid:1; rev:1;)' >"$WORK/udp.rules"
agent udp "$WORK/udp.pcap" "$WORK/udp.rules"

# The generated capture must produce every kind of event the check is about,
# or the check proves nothing.
python3 - "$WORK/gen/eve.json" <<'PY' || fail=1
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
kinds = {e["event_type"] for e in ev}
alert_objs = {k for e in ev if e["event_type"] == "alert" for k in ("http", "dns", "tls", "ssh") if k in e}
dns_kinds = {e["dns"].get("type") for e in ev if e["event_type"] == "dns"}
missing = ({"alert", "flow", "stats", "http", "dns", "tls", "ssh"} - kinds) | \
    ({"http", "dns", "tls", "ssh"} - alert_objs) | ({"query", "answer"} - dns_kinds)
if missing:
    print("FAIL: the generated capture lacks", sorted(missing))
    sys.exit(1)
print("generated capture: every event type, alerts with http, dns, tls, ssh objects, dns query and answer")
PY

# The checker itself must fail on what Suricata 7 rejects: Suricata 8's ALPN
# fields, a dns object without version, SRV grouped as strings, a counter of
# ours outside stats.vigil.
cat >"$WORK/bad.json" <<'JSON'
{"timestamp":"2026-01-01T00:00:00.000000+0000","event_type":"tls","tls":{"sni":"a","client_alpns":["h2"]}}
{"timestamp":"2026-01-01T00:00:00.000000+0000","event_type":"dns","dns":{"type":"query","rrname":"a"}}
{"timestamp":"2026-01-01T00:00:00.000000+0000","event_type":"dns","dns":{"version":2,"type":"answer","grouped":{"SRV":["0 5 5060 sip"]}}}
{"timestamp":"2026-01-01T00:00:00.000000+0000","event_type":"stats","stats":{"uptime":1,"tcp":{"retransmissions":1}}}
JSON
self_test() {  # self_test [--schema FILE]: 4 errors, one per line
  local out
  out=$(python3 "$CHECK" "$@" "$WORK/bad.json" | tail -1) && { echo "FAIL: checker passed bad events"; fail=1; }
  case "$out" in
    *" 4 schema errors"*) ;;
    *) echo "FAIL: checker on bad events: $out (expected 4 schema errors)"; fail=1 ;;
  esac
}
self_test

echo "== structural check (no external schema)"
python3 "$CHECK" "$WORK/gen/eve.json" "$WORK/udp/eve.json" || fail=1

if [ -f "$SCHEMA" ]; then
  python3 -c 'import jsonschema' 2>/dev/null ||
    { echo "FAIL: python3-jsonschema missing (scripts/install-deps.sh installs it)"; exit 1; }
  self_test --schema "$SCHEMA"
  echo "== Suricata 7 schema: generated captures"
  python3 "$CHECK" --schema "$SCHEMA" "$WORK/gen/eve.json" "$WORK/udp/eve.json" || fail=1
  if [ -f "$SHARED/bench/gen_traffic.py" ]; then
    python3 "$SHARED/bench/gen_traffic.py" --out "$WORK/bench.pcap" --size-mb 3 --seed 5 --quiet
    mkdir -p "$WORK/bench"
    timeout 300 "$AGENT" -r "$WORK/bench.pcap" -l "$WORK/bench" -k none "${ALL[@]}" >"$WORK/bench.log" 2>&1 ||
      { cat "$WORK/bench.log"; echo "FAIL: agent on the bench capture"; exit 1; }
    echo "== Suricata 7 schema: bench generator capture"
    python3 "$CHECK" --schema "$SCHEMA" "$WORK/bench/eve.json" || fail=1
    # The structural description must accept what the schema accepts.
    python3 "$CHECK" "$WORK/bench/eve.json" || fail=1
  fi
  if [ -f "$SHARED/conformance/score.py" ]; then
    echo "== Suricata 7 schema: every conformance case"
    python3 "$SHARED/conformance/score.py" --agent-cmd "$AGENT {args} -r {pcap} -S {rules} -l {outdir} -q ${ALL[*]}" \
      -j 2 --keep "$WORK/conf" >"$WORK/conf.txt" 2>&1 || true
    tail -1 "$WORK/conf.txt"
    mapfile -t eves < <(find "$WORK/conf" -name eve.json | sort)
    [ "${#eves[@]}" -gt 100 ] || { echo "FAIL: only ${#eves[@]} conformance outputs"; fail=1; }
    python3 "$CHECK" --schema "$SCHEMA" "${eves[@]}" | tail -40
    [ "${PIPESTATUS[0]}" = 0 ] || fail=1
    python3 "$CHECK" "${eves[@]}" | tail -40
    [ "${PIPESTATUS[0]}" = 0 ] || fail=1
  fi
else
  echo "note: $SCHEMA not found; Suricata's schema not checked, the structural check stands"
fi
[ "$fail" = 0 ] && echo "PASS" || { echo "FAIL"; exit 1; }
