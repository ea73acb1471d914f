#!/usr/bin/env bash
# Log rotation: a live agent (capture on lo) writes alerts to eve.json; the
# file is moved away as logrotate does, the agent gets SIGHUP, and the alerts
# after it go to a new eve.json (created 0600) while the moved file keeps
# exactly those before it. A second SIGHUP while the log folder cannot take a
# new file is reported, counted in eve.write_errors (stats.vigil), and survived: a third
# SIGHUP after the folder is back resumes writing. Skips (77) when not root.
source "$(dirname "$0")/live_lib.sh"
live_on_exit() { chattr -i "$work/log" 2>/dev/null; }
port=$(free_port udp)
echo "alert udp any any -> any $port (msg:\"rotation marker\"; content:\"vigil-rot-\"; sid:7101; rev:1;)" >"$work/t.rules"
mkdir "$work/log"
start_agent -i lo --bpf "udp port $port" -S "$work/t.rules" -l "$work/log" --set stats.interval=1
send() { python3 -c "import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(sys.argv[1].encode(), ('127.0.0.1', $port))" "$1"; }
alerts() { if [ -f "$1" ]; then grep -c '"signature_id":7101' "$1" || true; else echo 0; fi; }
# wait_alerts FILE N: until FILE holds N alerts (eve.json is flushed every second).
wait_alerts() {
  for _ in $(seq 100); do [ "$(alerts "$1")" -ge "$2" ] && return 0; sleep 0.1; done
  fail "$1 holds $(alerts "$1") alerts, expected $2"
}
hups() { grep -c "$1" "$work/agent.err" || true; }

send vigil-rot-1 && wait_alerts "$work/log/eve.json" 1
mv "$work/log/eve.json" "$work/log/eve.json.1"
kill -HUP $agent_pid
for _ in $(seq 50); do [ "$(hups 'SIGHUP: reopened')" = 1 ] && break; sleep 0.1; done
[ "$(hups 'SIGHUP: reopened')" = 1 ] || fail "no 'SIGHUP: reopened' in the agent's log"
send vigil-rot-2 && wait_alerts "$work/log/eve.json" 1
kill -0 $agent_pid || fail "the agent stopped on SIGHUP"
[ "$(alerts "$work/log/eve.json.1")" = 1 ] || fail "the moved file holds $(alerts "$work/log/eve.json.1") alerts, expected 1"
[ "$(stat -c %a "$work/log/eve.json")" = 600 ] || fail "new eve.json has mode $(stat -c %a "$work/log/eve.json")"

# A folder that cannot take the new file (immutable: refuses even root).
if chattr +i "$work/log" 2>/dev/null; then
  mv "$work/log/eve.json" "$work/eve.json.2" 2>/dev/null || { chattr -i "$work/log"; mv "$work/log/eve.json" "$work/eve.json.2"; chattr +i "$work/log"; }
  kill -HUP $agent_pid
  for _ in $(seq 50); do [ "$(hups 'SIGHUP: cannot open')" = 1 ] && break; sleep 0.1; done
  [ "$(hups 'SIGHUP: cannot open')" = 1 ] || fail "no error reported for a reopen that failed"
  send vigil-rot-3
  sleep 2
  kill -0 $agent_pid || fail "the agent stopped after a failed reopen"
  chattr -i "$work/log"
  kill -HUP $agent_pid
  for _ in $(seq 50); do [ "$(hups 'SIGHUP: reopened')" = 2 ] && break; sleep 0.1; done
  [ "$(hups 'SIGHUP: reopened')" = 2 ] || fail "no second 'SIGHUP: reopened'"
  send vigil-rot-4 && wait_alerts "$work/log/eve.json" 1
  # The stats event written after the failure counts the alert that had no file.
  for _ in $(seq 30); do
    errs=$(python3 -c 'import json,sys
s=[json.loads(l) for l in open(sys.argv[1]) if "\"stats\"" in l]
print(s[-1]["stats"]["vigil"]["eve"]["write_errors"] if s else 0)' "$work/log/eve.json")
    [ "$errs" -ge 1 ] && break
    sleep 0.2
  done
  [ "$errs" -ge 1 ] || fail "eve.write_errors is $errs after events had no file"
  echo "failed reopen: reported, $errs lines counted in eve.write_errors (stats.vigil), writing resumed"
else
  echo "chattr +i not supported here: the failed-reopen part was not run"
fi
kill -TERM $agent_pid
wait $agent_pid || fail "agent exit status $? after SIGTERM"
echo "PASS: eve.json reopened on SIGHUP"
