#!/usr/bin/env bash
# The web UI in a real browser: Debian's chromium (headless), driven by
# playwright-core from npm (tests/web/package-lock.json, installed into the
# build folder), against a real collector on 127.0.0.1 with real users
# (admin, analyst, viewer) and alerts ingested through the agent API by an
# enrolled agent, one of them full of HTML and script, plus the alerts of a
# second, real agent (vigil-agent reading a capture offline, its alerts sent
# by its uplink) whose HTTP URI, User-Agent, DNS name and payload are HTML
# and script (tests/e2e/web_capture.py). What the browser
# checks is listed in tests/web/web_ui_test.mjs. Screenshots of each page in
# both languages go to BUILD/web-screenshots/.
# Skipped (77) only when chromium or node is not installed, or when the npm
# registry could not give playwright-core (scripts/web-test-tools.sh says why).
BUILD=$1 SRC=$2
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "SKIP: $CHROMIUM not installed (apt-get install chromium; scripts/install-deps.sh does)"; exit 77; }
command -v node >/dev/null || { echo "SKIP: node not installed (scripts/install-deps.sh installs nodejs)"; exit 77; }
. "$2/tests/e2e/e2e_lib.sh"
command -v npm >/dev/null || fail "npm missing (node is installed; scripts/install-deps.sh installs npm)"
# playwright-core, installed by scripts/install-deps.sh (scripts/web-test-tools.sh).
MODS=${VIGIL_WEB_TOOLS:-$SRC/.cache/web-tests}
if ! bash "$SRC/scripts/web-test-tools.sh" --once "$MODS"; then
  echo "SKIP: playwright-core could not be installed from the npm registry (scripts/web-test-tools.sh)"
  exit 77
fi

add_user() { printf '%s\n' "$3" | "$COLLECTOR" user add "$1" --role "$2" --data-dir "$DATA" >/dev/null || fail "user add $1"; }
add_user boss admin admin-password-1
add_user ana analyst analyst-password-1
add_user vic viewer viewer-password-1
start_collector
ADMIN_KEY=$("$COLLECTOR" apikey create --role admin --data-dir "$DATA" | tail -1)
enroll "$WORK/agent" || fail "enrolment"
AGENT_ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["agent_id"])' "$WORK/agent/agent.json")
AGENT_CRED=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["agent_id"]+"."+j["key"])' "$WORK/agent/agent.json")
N=24
python3 "$E2E/web_alerts.py" "$AGENT_ID" "$WORK/batch.json" $N || fail "web_alerts.py"
python3 "$E2E/web_alerts.py" "$AGENT_ID" "$WORK/live.json" $N live || fail "web_alerts.py live"
api POST /api/v1/events "$AGENT_CRED" "$WORK/batch.json"
[ "$STATUS" = 200 ] || fail "ingest answered $STATUS: $BODY"
[ "$(alert_total)" = $((N + 1)) ] || fail "stored $(alert_total) alerts, expected $((N + 1))"
# A real agent over a generated capture: 4 alerts with hostile strings.
PCAP_ALERTS=4
python3 "$E2E/web_capture.py" "$WORK/hostile.pcap" "$WORK/hostile.rules" || fail "web_capture.py"
enroll "$WORK/pcap-agent" || fail "enrolment of the capture agent"
timeout 60 "$AGENT" -k none -r "$WORK/hostile.pcap" -S "$WORK/hostile.rules" -l "$WORK/pcap-log" \
  --state-dir "$WORK/pcap-agent" --drain-timeout 30 >"$WORK/pcap-agent.log" 2>&1 ||
  fail "the capture agent exited with $?: $(tail -5 "$WORK/pcap-agent.log")"
[ "$(grep -c '"event_type":"alert"' "$WORK/pcap-log/eve.json")" = $PCAP_ALERTS ] ||
  fail "the agent wrote $(grep -c '"event_type":"alert"' "$WORK/pcap-log/eve.json") alerts, expected $PCAP_ALERTS"
[ "$(alert_total)" = $((N + 1 + PCAP_ALERTS)) ] || fail "stored $(alert_total) alerts after the capture agent"

SHOTS="$BUILD/web-screenshots"
mkdir -p "$SHOTS"
timeout 240 node "$SRC/tests/web/web_ui_test.mjs" \
  --url "$URL" --src "$SRC" --chromium "$CHROMIUM" --modules "$MODS/node_modules" --shots "$SHOTS" --total $((N + 1 + PCAP_ALERTS)) --pcap $PCAP_ALERTS \
  --agent-cred "$AGENT_CRED" --live-batch "$WORK/live.json" || fail "browser test"
echo "PASS"
