#!/usr/bin/env bash
# A flood of alerts from one noisy rule: the agent's per-signature alert rate
# limit (outputs.eve.alert.rate-limit) writes at most the burst plus the rate
# times the capture's span for the noisy sid, every alert of a quiet sid in
# the same capture, and counts each alert it did not write
# (detect.alerts_rate_limited, and per signature in the stats event), so that
# written + counted = matches. With one worker the count is exact (packet
# time); with two the bound and the sum hold. With the limit 0 every alert is
# written. tests/e2e/alert_flood_collector_test.sh runs the same capture
# through a collector.
# Usage: alert_flood_test.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
BUILD=$1 SRC=$2
AGENT="$BUILD/agent/vigil-agent"
E2E="$SRC/tests/e2e"
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
[ -x "$AGENT" ] || { echo "vigil-agent not built"; exit 77; }
WORK=$(mktemp -d /tmp/vigil-flood.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
. "$E2E/alert_flood_lib.sh"

LIMIT=(--set outputs.eve.alert.rate-limit=$RATE --set outputs.eve.alert.rate-burst=$BURST)
for w in 1 2; do
  mkdir -p "$WORK/w$w"
  "$AGENT" -k none -r "$WORK/flood.pcap" -S "$WORK/flood.rules" -l "$WORK/w$w" --workers $w "${LIMIT[@]}" \
    >"$WORK/w$w.log" 2>&1 || fail "agent exited with $? ($(tail -3 "$WORK/w$w.log"))"
  read -r noisy quiet counter by_sig matches <<<"$(summary "$WORK/w$w/eve.json")" || fail "no summary"
  echo "$w worker(s): noisy $noisy written, quiet $quiet, $counter rate limited ($by_sig by signature), $matches matches"
  [ "$matches" = $((N + Q)) ] || fail "$matches matches, the capture has $((N + Q))"
  [ "$quiet" = $Q ] || fail "quiet rule: $quiet of $Q alerts written"
  [ $((noisy + counter)) = $N ] || fail "noisy: $noisy written + $counter counted != $N"
  [ "$by_sig" = "$counter" ] || fail "per-signature summaries sum to $by_sig, the counter is $counter"
  [ "$noisy" -le $((BURST + RATE * 3)) ] || fail "noisy: $noisy written, over the limit"
  [ "$noisy" -ge "$BURST" ] || fail "noisy: only $noisy written, under the burst"
  if [ $w = 1 ]; then [ "$noisy" = "$EXPECT" ] || fail "one worker: $noisy noisy alerts, expected $EXPECT"; fi
  grep -q "alert rate limit: .* signature 1:$NOISY" "$WORK/w$w.log" || fail "no rate-limit summary in the log"
done

# The limit off: everything written, nothing counted.
mkdir -p "$WORK/off"
"$AGENT" -k none -r "$WORK/flood.pcap" -S "$WORK/flood.rules" -l "$WORK/off" --set outputs.eve.alert.rate-limit=0 \
  >"$WORK/off.log" 2>&1 || fail "agent (limit 0) exited with $?"
read -r noisy quiet counter by_sig matches <<<"$(summary "$WORK/off/eve.json")"
[ "$noisy $quiet $counter $by_sig" = "$N $Q 0 0" ] || fail "limit 0: $noisy noisy, $quiet quiet, $counter counted"

echo "PASS: noisy sid limited to $EXPECT of $N with one worker (the rest counted), all $Q quiet alerts written"
