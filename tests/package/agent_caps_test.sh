#!/usr/bin/env bash
# The packaged agent run as vigil-agent.service runs it: as an unprivileged
# user with CAP_NET_RAW and CAP_NET_ADMIN only (ambient, bounding set, no new
# privileges; setpriv in place of systemd), on the packaged agent.yaml. It
# captures on lo, matches UDP datagrams sent to 127.0.0.1 and writes the
# alert; the process holds exactly those two capabilities and that user. The
# same command without the capabilities cannot open the capture (so they are
# what lets it capture). A throwaway user is created and removed.
# Needs root and setpriv. $1 = build dir, $2 = source dir.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
. "$SRC/tests/package/lib.sh"
need_packaging_tools setpriv python3 useradd
[ "$(id -u)" = 0 ] || { echo "skip: needs root (a user to create, capabilities to give)"; exit 77; }

# Outside the build tree: the user must reach every directory on the way.
WORK=$(mktemp -d /tmp/vigil-caps.XXXXXX)
chmod 0755 "$WORK"
USER_NAME="vigil-test-$$"
AGENT_PID=""
cleanup() {
  if [ -n "$AGENT_PID" ]; then kill "$AGENT_PID" 2>/dev/null || true; wait "$AGENT_PID" 2>/dev/null || true; fi
  if getent passwd "$USER_NAME" >/dev/null; then userdel "$USER_NAME" || true; fi
  if getent group "$USER_NAME" >/dev/null; then groupdel "$USER_NAME" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap "exit 1" INT TERM
useradd --system --user-group --home-dir "$WORK/home" --no-create-home --shell /usr/sbin/nologin "$USER_NAME"

build_debs "$WORK/debs"
ROOT="$WORK/root"
mkdir -p "$ROOT"
dpkg-deb -x "$WORK"/debs/vigil-agent_*_amd64.deb "$ROOT"
AGENT="$ROOT/usr/bin/vigil-agent"
mkdir -p "$WORK/home" "$WORK/log"
chown "$USER_NAME:$USER_NAME" "$WORK/home" "$WORK/log"
chmod 0750 "$WORK/log"
PORT=$((40000 + $$ % 20000))
cat >"$WORK/caps.rules" <<RULES
alert udp any any -> 127.0.0.1 $PORT (msg:"vigil package capability check"; content:"vigil-caps-probe"; sid:9900001; rev:1;)
RULES
chmod 0644 "$WORK/caps.rules"

CAPS=+net_raw,+net_admin
# agent_cmd INH AMBIENT BOUNDING: sets CMD to the agent as the user, the unit's
# flags but for the interface (lo), the rules and the log directory of this test.
agent_cmd() {
  CMD=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$WORK/home" ASAN_OPTIONS=detect_leaks=0
    setpriv --reuid="$USER_NAME" --regid="$USER_NAME" --init-groups --no-new-privs
    --inh-caps="$1" --ambient-caps="$2" --bounding-set="$3" --
    "$AGENT" -i lo -c "$ROOT/etc/vigil/agent.yaml" -S "$WORK/caps.rules" -l "$WORK/log"
    --set capture.promisc=true)
}

# Without capabilities: refused.
agent_cmd -all -all -all
if "${CMD[@]}" >"$WORK/nocaps.log" 2>&1; then
  cat "$WORK/nocaps.log"
  fail "the agent captured without CAP_NET_RAW"
fi
grep -qi 'permi' "$WORK/nocaps.log" || { cat "$WORK/nocaps.log"; fail "no permission error without capabilities"; }
echo "without capabilities: $(grep -i -m1 permi "$WORK/nocaps.log")"

agent_cmd "-all,$CAPS" "-all,$CAPS" "-all,$CAPS"
"${CMD[@]}" >"$WORK/agent.log" 2>&1 &
AGENT_PID=$!
EVE="$WORK/log/eve.json"
found=""
for _ in $(seq 1 100); do
  kill -0 "$AGENT_PID" 2>/dev/null || { cat "$WORK/agent.log"; fail "the agent exited"; }
  python3 - "$PORT" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"GET vigil-caps-probe", ("127.0.0.1", int(sys.argv[1])))
PY
  if [ -f "$EVE" ] && grep -q '"signature_id":9900001' "$EVE"; then found=1; break; fi
  sleep 0.2
done
[ -n "$found" ] || { cat "$WORK/agent.log"; fail "no alert in $EVE"; }

# The process: the user's ids, exactly CAP_NET_ADMIN (12) and CAP_NET_RAW (13).
pid=$AGENT_PID  # env and setpriv exec, so this is the agent itself
status=/proc/$pid/status
uid=$(id -u "$USER_NAME")
awk -v u="$uid" '/^Uid:/ {exit !($2 == u && $3 == u && $4 == u && $5 == u)}' "$status" || fail "not running as $USER_NAME"
for set in CapEff CapPrm CapBnd CapAmb; do
  v=$(awk -v k="$set:" '$1 == k {print $2}' "$status")
  [ "$((16#$v))" = "$(((1 << 12) | (1 << 13)))" ] || fail "$set is $v, not CAP_NET_ADMIN+CAP_NET_RAW"
done
grep -q '^NoNewPrivs:[[:space:]]*1' "$status" || fail "no_new_privs not set"

kill -TERM "$AGENT_PID"
rc=0
wait "$AGENT_PID" || rc=$?
AGENT_PID=""
[ "$rc" = 0 ] || { cat "$WORK/agent.log"; fail "the agent exited $rc on SIGTERM"; }
[ "$(stat -c %U "$EVE")" = "$USER_NAME" ] || fail "eve.json not written by $USER_NAME"
python3 - "$EVE" <<'PY'
import json, sys
alerts = [e for e in map(json.loads, open(sys.argv[1])) if e.get("event_type") == "alert"]
a = alerts[0]
assert a["alert"]["signature_id"] == 9900001, a
assert a["dest_ip"] == "127.0.0.1" and a["proto"] == "UDP", a
print(f"{len(alerts)} alert(s) from lo, e.g. {a['src_ip']} -> {a['dest_ip']}:{a['dest_port']}")
PY
echo "PASS: unprivileged agent with CAP_NET_RAW+CAP_NET_ADMIN captured on lo and alerted"
