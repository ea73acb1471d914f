#!/usr/bin/env bash
# Least privilege on an agency host: the agent is started as root with
# --user set to a throwaway system user, its state and log directories
# pre-created root-owned 0700 as an installer might. It must keep running
# after the drop (its process runs as that user), deliver its alerts to a real
# collector on 127.0.0.1, write the rule set the collector pushes into its
# state directory, and every file it wrote must belong to that user with no
# group or other access to credentials, spool or eve.json. The collector's
# own files (database, keys) must not be readable by others either. And
# `vigil-agent status` reads the running agent's counters over its socket.
# Needs root (useradd, capture on lo, the drop itself): skipped otherwise.
BUILD=$1 SRC=$2
. "$2/tests/e2e/e2e_lib.sh"
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: needs root (creates a system user and starts the agent as root with --user)"
  exit 77
fi
command -v useradd >/dev/null && command -v userdel >/dev/null || { echo "SKIP: useradd/userdel missing"; exit 77; }

U="vigil-lp-$$"
useradd --system --no-create-home --shell /usr/sbin/nologin "$U" || fail "useradd $U"
trap 'cleanup; userdel "$U" 2>/dev/null' EXIT
UID_U=$(id -u "$U")

# The agent's directories: under a directory the user may traverse (as
# /var/lib and /var/log are), each root-owned 0700.
chmod 0711 "$WORK"
HOST="$WORK/host"
mkdir -m 0755 "$HOST"
mkdir -m 0700 "$HOST/state" "$HOST/log"

start_collector
ADMIN_KEY=$("$COLLECTOR" apikey create --role admin --data-dir "$DATA" | tail -1)
"$AGENT" enroll --collector "$URL" --token "$(new_token)" --ca-file "$DATA/ca.pem" --state-dir "$HOST/state" \
  >/dev/null || fail "enrolment"
[ "$(stat -c '%U %a' "$HOST/state")" = "root 700" ] || fail "state dir not root 0700 before the start"

TPORT=$(free_port)
udp_markers "$TPORT" 120 0.005 LEASTPRIV

"$AGENT" -i lo --bpf "udp port $TPORT" -l "$HOST/log" --state-dir "$HOST/state" --user "$U" \
  --set uplink.heartbeat-interval=1 --set stats.interval=1 >"$WORK/agent.log" 2>&1 &
AGENT_PID=$!
PIDS+=("$AGENT_PID")
online=""
for _ in $(seq 1 100); do
  kill -0 "$AGENT_PID" 2>/dev/null || fail "agent exited: $(tail -5 "$WORK/agent.log")"
  api GET /api/v1/agents "$ADMIN_KEY"
  online=$(printf '%s' "$BODY" | json_get '["agents"][0]["status"]' 2>/dev/null)
  pk=$(printf '%s' "$BODY" | json_get '["agents"][0]["heartbeat"]["packets"]' 2>/dev/null)
  [ "$online" = online ] && [ "${pk:-0}" -gt 0 ] 2>/dev/null && break
  sleep 0.2
done
[ "$online" = online ] || fail "agent never came online: $(tail -5 "$WORK/agent.log")"
grep -q "running as $U" "$WORK/agent.log" || fail "no drop logged: $(cat "$WORK/agent.log")"
# Every uid of the process (real, effective, saved, filesystem) is the user's.
uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$AGENT_PID/status")
[ "$uids" = "$UID_U $UID_U $UID_U $UID_U" ] || fail "agent runs with uids $uids, expected $UID_U"

# A rule set pushed by the collector: written into the state directory by the
# unprivileged agent, then alerting.
printf 'alert udp any any -> any %s (msg:"least privilege"; content:"LEASTPRIV"; sid:3000001; rev:1;)\n' \
  "$TPORT" >"$WORK/new.rules"
api PUT /api/v1/ruleset "$ADMIN_KEY" "$WORK/new.rules"
[ "$STATUS" = 200 ] || fail "rule set refused: $STATUS $BODY"
VERSION=$(printf '%s' "$BODY" | json_get '["version"]')
got=0
for _ in $(seq 1 100); do
  got=$(alert_total "&sid=3000001")
  [ "$got" -gt 0 ] && break
  sleep 0.1
done
[ "$got" -gt 0 ] || fail "no alert from the pushed rule at the collector within 10 s: $(tail -5 "$WORK/agent.log")"
[ "$(cat "$HOST/state/collector.rules.version")" = "$VERSION" ] || fail "rule set $VERSION not saved"
grep -q "sid:3000001" "$HOST/state/collector.rules" || fail "saved rule set lacks the pushed rule"
kill -0 "$AGENT_PID" || fail "agent died"
# eve.json is flushed every stats.interval (1 s).
for _ in $(seq 1 30); do grep -q '"signature_id":3000001' "$HOST/log/eve.json" && break; sleep 0.1; done
grep -q '"signature_id":3000001' "$HOST/log/eve.json" || fail "eve.json has no alert of the pushed rule"

# Owners and modes, while it runs (spool -wal/-shm exist only now).
mode() { stat -c %a "$1"; }
for f in agent.json spool.db spool.db-wal spool.db-shm; do
  [ -e "$HOST/state/$f" ] || fail "$f missing"
  [ "$(mode "$HOST/state/$f")" = 600 ] || fail "$f has mode $(mode "$HOST/state/$f"), expected 600"
done
[ "$(mode "$HOST/log/eve.json")" = 600 ] || fail "eve.json has mode $(mode "$HOST/log/eve.json"), expected 600"
[ "$(stat -c %U "$HOST/log/eve.json")" = "$U" ] || fail "eve.json owned by $(stat -c %U "$HOST/log/eve.json")"
[ "$(stat -c '%U %a' "$HOST/state")" = "$U 700" ] || fail "state dir is $(stat -c '%U %a' "$HOST/state")"
[ -d "$HOST/state/rule-cache" ] || fail "no rule cache written"
not_mine=$(find "$HOST/state" ! -user "$U")
[ -z "$not_mine" ] || fail "not the user's: $not_mine"
open_to_others=$(find "$HOST/state" "$HOST/log/eve.json" -perm /o=rwx)
[ -z "$open_to_others" ] || fail "open to others: $open_to_others"
group_write=$(find "$HOST/state" "$HOST/log/eve.json" -perm /g=w)
[ -z "$group_write" ] || fail "group-writable: $group_write"
nfiles=$(find "$HOST/state" -type f | wc -l)

# `vigil-agent status`: the running agent answers on its state directory's
# socket, which is the user's and 0600.
[ -S "$HOST/state/status.sock" ] || fail "no status socket"
[ "$(stat -c '%U %a' "$HOST/state/status.sock")" = "$U 600" ] ||
  fail "status socket is $(stat -c '%U %a' "$HOST/state/status.sock"), expected $U 600"
"$AGENT" status --state-dir "$HOST/state" >"$WORK/status.txt" 2>&1 || fail "status: $(cat "$WORK/status.txt")"
grep -qE "^agent: .* user $U$" "$WORK/status.txt" || fail "status lacks the user: $(cat "$WORK/status.txt")"
grep -qE "^capture: lo, [1-9][0-9]* packets, .*, 0 kernel drops$" "$WORK/status.txt" ||
  fail "status capture line: $(cat "$WORK/status.txt")"
grep -qxF "rules: 1 loaded, 0 failed, rule set $VERSION" "$WORK/status.txt" ||
  fail "status rules line: $(cat "$WORK/status.txt")"
grep -qE "^uplink: agent ag-[0-9a-f]+, [1-9][0-9]* events acked" "$WORK/status.txt" ||
  fail "status uplink line: $(cat "$WORK/status.txt")"
grep -qE "^spool: [0-9]+ events \([0-9]+ bytes\) waiting, 0 dropped$" "$WORK/status.txt" ||
  fail "status spool line: $(cat "$WORK/status.txt")"
# The worker's counters reach the agent's totals every 1024 packets (about 5 s here).
alerts=0
for _ in $(seq 1 40); do
  alerts=$("$AGENT" status --state-dir "$HOST/state" --json | json_get '["alerts"]')
  [ "$alerts" -gt 0 ] && break
  sleep 0.5
done
[ "$alerts" -gt 0 ] || fail "status --json reports $alerts alerts after 20 s"

kill -TERM "$AGENT_PID"
wait "$AGENT_PID" || fail "agent exit status $?"
[ ! -e "$HOST/state/status.sock" ] || fail "status socket left behind"
"$AGENT" status --state-dir "$HOST/state" >"$WORK/status.txt" 2>&1 && fail "status answered with no agent"
grep -qF "no agent answers on $HOST/state/status.sock" "$WORK/status.txt" || fail "status: $(cat "$WORK/status.txt")"

# The collector's files: the data directory private, secrets 0600, nothing readable by others.
[ "$(mode "$DATA")" = 700 ] || fail "collector data dir has mode $(mode "$DATA")"
for f in collector.db ca.key server.key; do
  [ -e "$DATA/$f" ] || fail "collector: $f missing"
  [ "$(mode "$DATA/$f")" = 600 ] || fail "collector: $f has mode $(mode "$DATA/$f"), expected 600"
done
open_to_others=$(find "$DATA" -perm /o=rwx)
[ -z "$open_to_others" ] || fail "collector files open to others: $open_to_others"
echo "PASS: agent ran as $U (uid $UID_U) from root-owned 0700 dirs, delivered $got alerts of pushed rule set" \
  "$VERSION, $nfiles state files all the user's; credentials, spool, eve.json 0600; status answered over a 0600" \
  "socket; collector files private"
