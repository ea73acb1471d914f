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
