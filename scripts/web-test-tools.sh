#!/usr/bin/env bash
# Installs the browser-test tooling (playwright-core, pinned by
# tests/web/package-lock.json; it drives Debian's chromium and downloads no
# browser) into DEST (default: .cache/web-tests in the source tree), once per
# lock file. Called by scripts/install-deps.sh, so that the tests themselves
# never touch the network, and again by the tests that use it if it is missing.
# npm's own defaults wait 5 minutes on a stalled fetch: here a fetch that stalls
# for 30 s is retried, and the whole install is tried three times.
# Exit status: 0 when DEST/node_modules/playwright-core is there, 1 otherwise
# (npm's log is printed).
set -uo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
DEST=${1:-$SRC/.cache/web-tests}
if cmp -s "$SRC/tests/web/package-lock.json" "$DEST/package-lock.json" && [ -d "$DEST/node_modules/playwright-core" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "web-test-tools: npm is not installed" >&2; exit 1; }
mkdir -p "$DEST" || exit 1
cp "$SRC/tests/web/package.json" "$SRC/tests/web/package-lock.json" "$DEST/" || exit 1
LOG="$DEST/npm.log"
for try in 1 2 3; do
  if timeout 180 npm ci --prefix "$DEST" --no-audit --no-fund --loglevel http \
    --fetch-timeout 30000 --fetch-retries 3 --fetch-retry-mintimeout 2000 --fetch-retry-maxtimeout 10000 \
    >"$LOG" 2>&1 && [ -d "$DEST/node_modules/playwright-core" ]; then
    echo "web-test-tools: playwright-core installed in $DEST (try $try)"
    exit 0
  fi
  echo "web-test-tools: npm ci failed (try $try; a status of 124 is the 180 s limit)" >&2
  sleep $((try * 5))
done
echo "web-test-tools: could not install playwright-core from the npm registry; npm's log:" >&2
tail -40 "$LOG" >&2
rm -f "$DEST/package-lock.json" # so that the next call tries again
exit 1
