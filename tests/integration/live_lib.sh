# Helpers for the live-capture tests on lo (sourced, not run). Expects the
# build folder as $1. Skips (77) when not root. Sets:
#   agent      the agent binary
#   work       a temporary folder under the build, removed on exit
#   fail MSG   prints MSG and the agent's stderr, exits 1
#   free_port udp|tcp          a free port on 127.0.0.1
#   start_agent ARGS...        runs the agent in the background with its stderr
#                              in $work/agent.err, sets agent_pid and returns
#                              once it has opened the capture
#   LIVE_PIDS  processes killed on exit (start_agent adds the agent);
#   live_on_exit, when the test defines it, runs on exit before the cleanup.
set -euo pipefail
build=$1
[ "$(id -u)" = 0 ] || { echo "needs root for live capture: skipped"; exit 77; }
command -v python3 >/dev/null || { echo "python3 missing: skipped"; exit 77; }
agent=$build/agent/vigil-agent
work=$(mktemp -d "$build/$(basename "$0" .sh).XXXXXX")
LIVE_PIDS=()
agent_pid=
live_cleanup() {
  if declare -F live_on_exit >/dev/null; then live_on_exit || true; fi
  for p in "${LIVE_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap live_cleanup EXIT
fail() { echo "FAIL: $*"; cat "$work/agent.err" || true; exit 1; }
free_port() {
  python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}
start_agent() {
  "$agent" "$@" 2>"$work/agent.err" &
  agent_pid=$!
  LIVE_PIDS+=("$agent_pid")
  for _ in $(seq 100); do grep -q "reading interface" "$work/agent.err" 2>/dev/null && break; sleep 0.1; done
  grep -q "reading interface" "$work/agent.err" || fail "the agent did not open the capture"
  sleep 0.5
}
