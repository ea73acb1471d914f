#!/usr/bin/env bash
# HTTP evasions: tests/tools/http_evasion.py writes one connection per case
# (each evasion alone and in pairs, several segmentations) with the number of
# alerts its marker must raise, computed from Python's http.client and zlib.
# The agent reads the capture; every case's alert count must match. Failing
# cases are printed by name. $1 = build dir, $2 = source dir.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
AGENT="$BUILD/agent/vigil-agent"
[ -x "$AGENT" ] || { echo "skip: $AGENT not built"; exit 77; }
WORK="$BUILD/http_evasion"
rm -rf "$WORK"
mkdir -p "$WORK/out"
python3 "$SRC/tests/tools/http_evasion.py" "$WORK"
timeout 120 "$AGENT" -r "$WORK/http_evasion.pcap" -S "$WORK/http_evasion.rules" -l "$WORK/out" -k none \
  >"$WORK/agent.log" 2>&1 || { cat "$WORK/agent.log"; exit 1; }
python3 "$SRC/tests/tools/http_evasion.py" --check "$WORK" "$WORK/out/eve.json" "$SRC/tests/tools/http_evasion_known.txt"
# The alerts carry the transaction's anomalies as a top-level "anomaly"
# object: every non-stats event must stay valid against Suricata 7's schema
# (checked when the schema and python3-jsonschema are there; the stats
# layout is checked by the schema test of the whole output).
SCHEMA="${VIGIL_SHARED:-$SRC/../shared}/conformance/eve-schema/suricata-7.0.17.schema.json"
if [ -f "$SCHEMA" ] && python3 -c "import jsonschema" 2>/dev/null; then
  python3 - "$SCHEMA" "$WORK/out/eve.json" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
v = jsonschema.validators.validator_for(schema)(schema)
bad = seen = 0
for n, line in enumerate(open(sys.argv[2]), 1):
    e = json.loads(line)
    if e.get("event_type") == "stats":
        continue
    e.pop("agent_id", None)
    seen += "anomaly" in e
    for err in v.iter_errors(e):
        bad += 1
        print(f"schema: line {n}: {'/'.join(map(str, err.absolute_path))}: {err.message[:160]}")
print(f"schema: {bad} errors; {seen} events carry an anomaly object")
sys.exit(1 if bad or not seen else 0)
PY
fi
