#!/usr/bin/env bash
# Suricata's own test cases (../shared/conformance): runs score.py over the
# agent and fails when fewer cases pass than the recorded floor
# (tests/integration/conformance_floor.txt), so a regression cannot land.
# Skips (77) when ../shared is missing.
set -euo pipefail
build=$1
src=$2
score=$(cd "$src/.." && pwd)/shared/conformance/score.py
[ -f "$score" ] || { echo "no $score: skipped"; exit 77; }
agent=$(cd "$build" && pwd)/agent/vigil-agent
floor=$(cat "$src/tests/integration/conformance_floor.txt")
out=$build/conformance.txt
python3 "$score" --agent-cmd "$agent {args} -r {pcap} -S {rules} -l {outdir} -q" -j 2 --json "$build/conformance.json" \
  > "$out" 2>&1 || true
grep -E '^FAIL' "$out" || true
last=$(tail -n 1 "$out")
echo "$last (floor: $floor)"
passed=$(echo "$last" | sed -E 's/^([0-9]+) passed.*/\1/')
[[ "$passed" =~ ^[0-9]+$ ]] || { echo "score.py did not finish: $last"; exit 1; }
[ "$passed" -ge "$floor" ] || { echo "FAIL: $passed passed, below the floor of $floor"; exit 1; }
