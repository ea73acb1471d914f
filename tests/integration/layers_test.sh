#!/usr/bin/env bash
# The include graph keeps DESIGN's arrows (agent -> rules -> common;
# collector -> rules, common): no file in rules/ or common/ includes agent/ or
# collector/, and no file in common/ includes rules/. The check first runs on
# two small trees of its own, one clean and one with a bad include of each
# kind, so that a check that can no longer fail fails itself.
# Usage: layers_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
src=$2
fail() {
  echo "FAIL: $*"
  exit 1
}

# check_tree ROOT: prints each offending include as FILE:LINE: TEXT and
# returns 1 when there is one.
check_tree() {
  local root=$1 bad=0 hits
  # dir|forbidden top-level folders
  for rule in "rules|agent collector" "common|agent collector rules"; do
    local dir=${rule%%|*} forbidden=${rule#*|}
    [ -d "$root/$dir" ] || continue
    for f in $forbidden; do
      hits=$(cd "$root" && grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[\"<]$f/" "$dir" \
        --include='*.h' --include='*.cpp' --include='*.in' || true)
      if [ -n "$hits" ]; then
        echo "$hits" | sed "s|\$| (a $dir/ file must not include $f/)|"
        bad=1
      fi
    done
  done
  return $bad
}

# Self-test on temporary trees.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mk() {  # mk TREE FILE TEXT
  mkdir -p "$(dirname "$work/$1/$2")"
  printf '%s\n' "$3" >"$work/$1/$2"
}
mk clean rules/a.cpp '#include "rules/a.h"'
mk clean rules/a.h '#include "common/packet.h"'
mk clean common/b.h '#include <vector>'
mk clean agent/c.cpp '#include "rules/a.h"'
check_tree "$work/clean" >/dev/null || fail "the check rejects a clean tree"
n=0
for bad in 'rules/x.cpp|#include "agent/flow/flow.h"' 'rules/x.h|  #  include <collector/store.h>' \
  'common/x.h|#include "agent/flow/flow.h"' 'common/x.cpp|#include "rules/engine.h"' \
  'common/x.h|#include "collector/api.h"'; do
  n=$((n + 1))
  cp -r "$work/clean" "$work/bad$n"
  mk "bad$n" "${bad%%|*}" "${bad#*|}"
  out=$(check_tree "$work/bad$n") && fail "the check accepts ${bad%%|*}: ${bad#*|}"
  echo "$out" | grep -q "${bad%%|*}:1:" || fail "the check does not name ${bad%%|*}: $out"
done

# The real tree.
if ! out=$(check_tree "$src"); then
  echo "$out"
  fail "layer violations above"
fi
echo "layers_test: rules/ and common/ include no upper layer ($n bad trees rejected)"
