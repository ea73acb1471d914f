#!/usr/bin/env bash
# Installs the browser-test tooling (playwright-core, pinned by
# tests/web/package-lock.json; it drives Debian's chromium and downloads no
# browser) into DEST (default: .cache/web-tests in the source tree), once per
# lock file. Called by scripts/install-deps.sh, so that the tests themselves
# never touch the network, and by the tests that use it (--once) if it is missing.
# npm's own defaults wait 5 minutes on a stalled fetch: here a fetch that stalls
# for 30 s is retried, and the whole install is tried three times.
# With --once (the tests), an install that already failed in this tree is not
# tried again: a registry that stalls must not cost every test run 10 minutes.
# Exit status: 0 when DEST/node_modules/playwright-core is there, 1 otherwise
# (npm's log is printed).
set -uo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
ONCE=0
if [ "${1:-}" = --once ]; then ONCE=1; shift; fi
DEST=${1:-$SRC/.cache/web-tests}
if cmp -s "$SRC/tests/web/package-lock.json" "$DEST/package-lock.json" && [ -d "$DEST/node_modules/playwright-core" ]; then
  exit 0
fi
if [ $ONCE = 1 ] && [ -f "$DEST/install-failed" ]; then
  echo "web-test-tools: not retried; the install failed before: $(cat "$DEST/install-failed")" >&2
  exit 1
fi
command -v npm >/dev/null || { echo "web-test-tools: npm is not installed" >&2; exit 1; }
mkdir -p "$DEST" || exit 1
cp "$SRC/tests/web/package.json" "$SRC/tests/web/package-lock.json" "$DEST/" || exit 1
LOG="$DEST/npm.log"
rm -f "$DEST/install-failed"
TRIES=3
[ $ONCE = 1 ] && TRIES=1
for try in $(seq $TRIES); do
  timeout 120 npm ci --prefix "$DEST" --no-audit --no-fund --loglevel http \
    --fetch-timeout 30000 --fetch-retries 3 --fetch-retry-mintimeout 2000 --fetch-retry-maxtimeout 10000 \
    >"$LOG" 2>&1
  rc=$?
  if [ $rc = 0 ] && [ -d "$DEST/node_modules/playwright-core" ]; then
    echo "web-test-tools: playwright-core installed in $DEST (try $try)"
    exit 0
  fi
  echo "web-test-tools: npm ci failed, status $rc (try $try; 124 is the 120 s limit)" >&2
  [ "$try" = $TRIES ] || sleep $((try * 5))
done
echo "web-test-tools: could not install playwright-core from the npm registry; npm's log:" >&2
tail -40 "$LOG" >&2
rm -f "$DEST/package-lock.json"
echo "$(date -u +%FT%TZ): npm ci failed $TRIES times" >"$DEST/install-failed"
exit 1
