#!/usr/bin/env bash
# The collector started as root without systemd: `serve --user U` binds its
# port (one below 1024, which only root may bind), then hands its data
# directory to U and runs as U. It still serves agents and the API, and every
# file in the data directory (database with -wal/-shm, keys, certificates)
# is U's. The admin commands, run as root on that directory, act as its owner,
# so they leave nothing root-owned in it either; and `serve` as root without
# --user on it runs as its owner too. An unknown --user stops the start.
# Needs root (useradd, the drop itself): skipped otherwise.
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: needs root (creates a system user and starts the collector as root with --user)"
  exit 77
fi
command -v useradd >/dev/null && command -v userdel >/dev/null || { echo "SKIP: useradd/userdel missing"; exit 77; }

U="vigil-cu-$$"
useradd --system --no-create-home --shell /usr/sbin/nologin "$U" || fail "useradd $U"
trap 'cleanup; userdel "$U" 2>/dev/null' EXIT
UID_U=$(id -u "$U")
chmod 0711 "$WORK"

# A free port below 1024 on 127.0.0.1.
LOW=$(python3 - <<'PY'
import socket
for p in range(900, 1000):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        s.close()
PY
)
[ -n "$LOW" ] || { echo "SKIP: no free port in 900-999"; exit 77; }
PORT=$LOW
URL="https://127.0.0.1:$PORT"

# An unknown user: refused before anything is created.
"$COLLECTOR" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" --user "no-such-user-$$" >"$WORK/bad.log" 2>&1
rc=$?
[ "$rc" = 2 ] || fail "unknown --user: exit $rc, expected 2: $(cat "$WORK/bad.log")"
grep -q "no such user" "$WORK/bad.log" || fail "unknown --user: $(cat "$WORK/bad.log")"
[ ! -e "$DATA" ] || fail "unknown --user still created $DATA"

# The data directory pre-created root-owned 0700, as an installer might.
mkdir -m 0700 "$DATA"
start_collector --user "$U"
for _ in $(seq 1 50); do grep -q "running as $U" "$WORK/collector.log" && break; sleep 0.1; done
grep -q "running as $U" "$WORK/collector.log" || fail "no drop logged"
uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$COLLECTOR_PID/status")
[ "$uids" = "$UID_U $UID_U $UID_U $UID_U" ] || fail "collector runs with uids $uids, expected $UID_U"
caps=$(awk '/^CapEff:/ {print $2}' "/proc/$COLLECTOR_PID/status")
[ "$caps" = 0000000000000000 ] || fail "collector keeps capabilities $caps"
[ "$(stat -c '%U %a' "$DATA")" = "$U 700" ] || fail "data dir is $(stat -c '%U %a' "$DATA")"

# The admin commands as root: they act as the owner, and work with the server.
"$COLLECTOR" apikey create --role admin --data-dir "$DATA" >"$WORK/key.out" 2>"$WORK/key.err" ||
  fail "apikey create: $(cat "$WORK/key.err")"
grep -q "acting as $U, the owner of $DATA" "$WORK/key.err" || fail "apikey create as root: $(cat "$WORK/key.err")"
ADMIN_KEY=$(tail -1 "$WORK/key.out")
STATE="$WORK/agent"
enroll "$STATE" 2>/dev/null || fail "enrolment against the dropped collector"
TPORT=$(free_port)
udp_markers "$TPORT" 60 0.01 COLLUSER
printf 'alert udp any any -> any %s (msg:"collector user"; content:"COLLUSER"; sid:3100001; rev:1;)\n' \
  "$TPORT" >"$WORK/cu.rules"
mkdir -p "$WORK/agentlog"
"$AGENT" -i lo --bpf "udp port $TPORT" -l "$WORK/agentlog" --state-dir "$STATE" -S "$WORK/cu.rules" \
  --set uplink.heartbeat-interval=1 >"$WORK/agent.log" 2>&1 &
PIDS+=($!)
got=0
for _ in $(seq 1 100); do
  got=$(alert_total "&sid=3100001")
  [ "$got" -gt 0 ] && break
  sleep 0.1
done
[ "$got" -gt 0 ] || fail "no alert stored by the dropped collector: $(tail -5 "$WORK/agent.log")"

not_theirs=$(find "$DATA" ! -user "$U")
[ -z "$not_theirs" ] || fail "not $U's while it runs: $not_theirs"
for f in collector.db collector.db-wal collector.db-shm collector-text.db collector-text.db-wal ca.key server.key; do
  [ -e "$DATA/$f" ] || fail "$f missing"
  [ "$(stat -c %a "$DATA/$f")" = 600 ] || fail "$f has mode $(stat -c %a "$DATA/$f")"
done

# Stopped, then the admin commands as root on the stopped directory (they
# create the -wal and -shm files themselves): still nothing of root's.
kill -TERM "$COLLECTOR_PID"
wait "$COLLECTOR_PID" || fail "collector exit status $?"
"$COLLECTOR" token create --data-dir "$DATA" >/dev/null 2>"$WORK/tok.err" || fail "token create: $(cat "$WORK/tok.err")"
"$COLLECTOR" agent list --data-dir "$DATA" >"$WORK/agents.txt" 2>/dev/null || fail "agent list"
grep -q "ag-" "$WORK/agents.txt" || fail "agent list: $(cat "$WORK/agents.txt")"
not_theirs=$(find "$DATA" ! -user "$U")
[ -z "$not_theirs" ] || fail "root-owned after admin commands as root: $not_theirs"

# serve as root without --user on U's directory runs as U as well.
start_collector
for _ in $(seq 1 50); do [ "$(grep -c "running as $U" "$WORK/collector.log")" -ge 2 ] && break; sleep 0.1; done
uids=$(awk '/^Uid:/ {print $2}' "/proc/$COLLECTOR_PID/status")
[ "$uids" = "$UID_U" ] || fail "serve as root on $U's directory runs as uid $uids"
api GET /api/v1/agents "$ADMIN_KEY"
[ "$STATUS" = 200 ] || fail "API after restart: $STATUS $BODY"
not_theirs=$(find "$DATA" ! -user "$U")
[ -z "$not_theirs" ] || fail "not $U's after a root start without --user: $not_theirs"
echo "PASS: collector bound port $PORT as root, then ran as $U (uid $UID_U, no capabilities); stored $got alerts;" \
  "admin commands as root acted as $U; every file in the data directory stayed $U's"
