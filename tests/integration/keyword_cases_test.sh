#!/usr/bin/env bash
# Payload keywords at the buffer's edges (tests/tools/keyword_cases.py): one
# UDP packet and one rule per case; every case's alert count must equal the
# generator's reference model (written from Suricata's documentation). Each
# disagreeing case is printed by name with its payload and rule.
set -euo pipefail
build=$1
src=$2
agent=$build/agent/vigil-agent
command -v python3 >/dev/null || exit 77
work=$(mktemp -d "$build/keyword_cases.XXXXXX")
trap 'rm -rf "$work"' EXIT
python3 "$src/tests/tools/keyword_cases.py" gen "$work"
mkdir "$work/out"
timeout 120 "$agent" -k none -r "$work/cases.pcap" -S "$work/cases.rules" -l "$work/out" -q
python3 "$src/tests/tools/keyword_cases.py" check "$work" "$work/out/eve.json"
