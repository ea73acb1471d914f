#!/usr/bin/env bash
# The guides in docs/ (English and Vietnamese) say only what the programs do:
# every command and option they show is in the programs' --help, every
# configuration key in their references, every counter or audit action in the
# sources, every bold UI label in the web UI's catalogue of that language; the
# two languages have the same sections (tests/tools/docs_check.py).
set -uo pipefail
build=$1
src=$2
agent=$build/agent/vigil-agent
collector=$build/collector/vigil-collector
[ -x "$agent" ] && [ -x "$collector" ] || { echo "binaries not built"; exit 77; }
command -v python3 >/dev/null || { echo "no python3: skipped"; exit 77; }
python3 "$src/tests/tools/docs_check.py" "$src" "$agent" "$collector"
