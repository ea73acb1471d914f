#!/usr/bin/env bash
# Live capture benchmark (issue 15): the agent reads one end of a veth pair
# in a network namespace of this script's own while tcpreplay sends the
# standard capture into the other end at rising rates. For each rule set (none,
# ET Open) and worker setting (1 worker; 2 workers on the kernel fan-out; 2
# workers with capture.fanout reader) it finds the highest rate at which
# every frame sent was captured and nothing was dropped, with the agent's CPU
# per Gbit/s replayed and its peak RSS. Writes tables to stdout (paste into
# bench/RESULTS.md with the machine description and load).
#
#   bench/live_run.sh [BUILD_DIR] [SIZE_MB]        (as root: netns, packet sockets)
#
# Environment:
#   RATES="100 200 400 800 1600 3200 top"  replay rates in Mbit/s, rising; "top"
#                    is tcpreplay --topspeed. A ladder stops at its first run with a drop.
#   SNORT_BIN, SNORT_LUA  optional Snort 3 peer: measured offline on the same
#                    rewritten capture and rules beside the agent (one packet
#                    thread, Hyperscan); SNORT_RULES (default: Snort 3
#                    community rules) is the rule file both are given.
#   SHARED           the shared folder (default: ../shared beside the source tree)
#   MTU=9000         the veth pair's MTU (the capture's frames need 1518 bytes
#                    at most; in immediate mode libpcap sizes the capture
#                    ring's slots from the MTU)
#   AGENT_ARGS       more arguments for every live agent, e.g.
#                    "--set capture.buffer-size-mb=256"
#
# Safety: the capture is never replayed as generated. tcprewrite --pnat maps
# every IPv4 address into 127.0.0.0/8 (10.0.0.0/8 -> 127.0.0.0/9, everything
# else -> 127.128.0.0/9, host bits kept, so HOME_NET=[127.0.0.0/9] and
# EXTERNAL_NET=!$HOME_NET still tell inside from outside) and every IPv6
# address to ::1; bench/live_prepare.py then maps the headers quoted by ICMP
# errors the same way and drops every frame that still names an address
# outside 127.0.0.0/8 and ::1 in any header, and a second pass must find
# none. Frames go only onto the veth pair, which lives in the namespace and
# is removed on exit with it. The agent and the offline reference run read
# the same rewritten capture.
#
# Each live run: the agent starts on lb0 (warm rule cache, -k none,
# HOME_NET as above), the script waits for "reading interface", tcpreplay
# -K (capture preloaded into memory) --timer=nano (sleeps between packets:
# the default timer spins on the clock and takes CPU the agent needs on a
# small machine) sends on lb1, then the script waits until
# the agent's CPU time stops growing (drained), reads its CPU (utime+stime
# from /proc/PID/stat, since "reading interface", so rule loading is not
# counted) and VmHWM, stops it with SIGTERM and reads its last stats event.
# "replay CPU" is tcpreplay's user+sys time: it includes most of the
# kernel's work of delivering each frame into the agent's capture ring (the
# veth's receive path runs in the sender's context).
# No drop: capture.packets equals tcpreplay's successful packets and
# capture.kernel_drops, kernel_ifdrops and fanout_startup_discards are 0
# (the veth's own rx_dropped is shown beside them: a frame it drops is
# missing from capture.packets).
# Every no-drop run's alerts must equal the offline run's (eve_same.py
# --live on the alert events: times and flow ids left out). Then ET Open with
# 4 workers at the lowest rate (CMP_RATE), and the 1-, 2- and 4-worker runs
# at that rate are compared with each other (alerts; all events reported).
# Exit status: 0 when every comparison held, 1 otherwise or on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
build=$(cd "${1:-build}" && pwd)
size=${2:-1024}
shared=${SHARED:-$(cd .. && pwd)/shared}
rates=${RATES:-100 200 400 800 1600 3200 top}
mtu=${MTU:-9000}
read -r -a agent_args <<<"${AGENT_ARGS:-}"
agent=$build/agent/vigil-agent
home_net='[127.0.0.0/9]'
pnat='10.0.0.0/8:127.0.0.0/9,0.0.0.0/0:127.128.0.0/9,[::/0]:[::1/128]'

die() {
  echo "live_run.sh: $*" >&2
  exit 1
}
[ "$(id -u)" = 0 ] || die "needs root (network namespace, packet sockets)"
for c in ip tcpreplay tcprewrite python3 /usr/bin/time; do
  command -v "$c" >/dev/null || die "$c not found (scripts/install-deps.sh installs tcpreplay, which has tcprewrite)"
done
[ -x "$agent" ] || die "$agent not built"
[ -f "$shared/bench/gen_traffic.py" ] || die "$shared/bench/gen_traffic.py not found (set SHARED)"
et_open=$shared/rulesets/et-open
[ -d "$et_open" ] || die "$et_open not found"

work=$build/bench/live
rm -rf "$work"
mkdir -p "$work/runs"
cache=$build/bench/hs-cache
orig=$build/bench/bench_${size}m_seed1.pcap
[ -f "$orig" ] || python3 "$shared/bench/gen_traffic.py" --out "$orig" --size-mb "$size" --seed 1 --quiet

ns=vigilbench$$
agent_pid=
cleanup() {
  if [ -n "$agent_pid" ]; then kill "$agent_pid" 2>/dev/null || true; fi
  ip netns del "$ns" 2>/dev/null || true
  rm -f "$work/rewritten.pcap"
}
trap cleanup EXIT

# --- the capture, with loopback addresses only ----------------------------
pcap=$work/live_${size}m_seed1.pcap
echo "## preparing $pcap" >&2
tcprewrite --pnat="$pnat" --fixcsum -i "$orig" -o "$work/rewritten.pcap" 2>"$work/tcprewrite.err" ||
  die "tcprewrite failed: $(tail -n 3 "$work/tcprewrite.err")"
python3 "$src/bench/live_prepare.py" "$work/rewritten.pcap" "$pcap" | tee "$work/prepare.txt" >&2 ||
  die "live_prepare.py failed"
rm -f "$work/rewritten.pcap"
python3 "$src/bench/live_prepare.py" --check "$pcap" >"$work/check.txt" ||
  die "the prepared capture still has frames with outside addresses: $(cat "$work/check.txt")"
read -r frames frame_bytes < <(python3 - "$pcap" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
off, n, b = 24, 0, 0
while off + 16 <= len(d):
    cap, wire = struct.unpack_from("<II", d, off + 8)
    n, b, off = n + 1, b + cap, off + 16 + cap
print(n, b)
PY
)
echo "## $frames frames, $frame_bytes bytes to replay; $(wc -l <"$work/tcprewrite.err") tcprewrite warnings" >&2

common=(-k none --set "vars.address-groups.HOME_NET=$home_net" --set detect.cache-dir="$cache")
# Warm the compiled-database cache: a live start must not spend its first
# minute compiling (the packets sent meanwhile would be lost to the test).
"$agent" --test-rules -S "$et_open" "${common[@]}" >/dev/null 2>&1 || true

alerts_of() { grep '"event_type":"alert"' "$1" || true; }

# --- offline reference on the same rewritten capture ----------------------
offline() {  # NAME ARGS...: one offline run; prints wall, CPU, RSS, phase
  local name=$1
  shift
  mkdir -p "$work/offline/$name"
  /usr/bin/time -f "%e %U %S %M" -o "$work/offline/$name.time" \
    "$agent" -r "$pcap" -l "$work/offline/$name" --workers 1 "${common[@]}" "$@" 2>"$work/offline/$name.err" ||
    die "offline run $name failed: $(tail -n 3 "$work/offline/$name.err")"
  alerts_of "$work/offline/$name/eve.json" >"$work/offline/$name.alerts.json"
}
offline none
offline et-open -S "$et_open"

# --- the namespace and its veth pair ---------------------------------------
ip netns add "$ns" || die "cannot create a network namespace"
inns() { ip netns exec "$ns" "$@"; }
# No IPv6 (its autoconfiguration and neighbour discovery would add frames of
# the kernel's own), no addresses: the pair carries only what tcpreplay sends.
inns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
inns ip link add lb0 type veth peer name lb1
inns ip link set lb0 mtu "$mtu" up
inns ip link set lb1 mtu "$mtu" up
inns ip link set lo up

clk=$(getconf CLK_TCK)
# The stat line after the command name: field 14/15 of the whole line are
# utime/stime; with "pid (comm) " removed they are fields 12 and 13.
cpu_ticks() {
  local s
  s=$(sed 's/^.*) //' "/proc/$1/stat")
  awk '{print $12 + $13}' <<<"$s"
}

stat_of() {  # EVE KEY...: counters of the last stats event, space-separated
  python3 - "$@" <<'PY'
import json, sys
last = None
for line in open(sys.argv[1]):
    if '"event_type":"stats"' in line:
        last = json.loads(line)
out = []
for key in sys.argv[2:]:
    v = (last or {}).get("stats", {})
    for k in key.split("."):
        v = v.get(k, 0) if isinstance(v, dict) else 0
    out.append(str(v))
print(" ".join(out))
PY
}

failed=0
summary=()
# live RULES WORKERS FANOUT RATE: one run; sets run_ok (1: no drop) and
# appends a table row to $work/rows.md.
live() {
  local rules=$1 workers=$2 fanout=$3 rate=$4
  local name=${rules}_w${workers}_${fanout}_${rate}
  local dir=$work/runs/$name
  local rargs=()
  [ "$rules" = et-open ] && rargs=(-S "$et_open")
  mkdir -p "$dir"
  # Not through inns (a function): $! must be the agent, which `ip netns exec` becomes.
  ip netns exec "$ns" "$agent" -i lb0 --workers "$workers" --set capture.fanout="$fanout" \
    "${common[@]}" "${rargs[@]}" "${agent_args[@]}" -l "$dir" 2>"$dir/agent.err" &
  agent_pid=$!
  for _ in $(seq 600); do
    grep -q "reading interface" "$dir/agent.err" 2>/dev/null && break
    kill -0 "$agent_pid" 2>/dev/null || break
    sleep 0.1
  done
  grep -q "reading interface" "$dir/agent.err" ||
    die "$name: the agent did not open the capture: $(tail -n 3 "$dir/agent.err")"
  if [ "$workers" -gt 1 ] && [ "$fanout" = kernel ]; then
    grep -q "$workers sockets in kernel fan-out group" "$dir/agent.err" ||
      die "$name: the agent did not join a kernel fan-out group: $(grep -i fan-out "$dir/agent.err" | tail -n 2)"
  elif grep -q "fan-out group" "$dir/agent.err"; then
    die "$name: the agent joined a kernel fan-out group"
  fi
  sleep 0.5
  local c0 c1 prev now hwm
  c0=$(cpu_ticks "$agent_pid")
  # Frames the veth pair itself dropped (its receive backlog full) never reach
  # a packet socket: read beside the agent's counters.
  local vd0 vd1
  vd0=$(inns cat /sys/class/net/lb0/statistics/rx_dropped)
  local speed=(--mbps "$rate")
  [ "$rate" = top ] && speed=(--topspeed)
  /usr/bin/time -f "%U %S" -o "$dir/replay.time" \
    ip netns exec "$ns" tcpreplay -K --timer=nano -i lb1 "${speed[@]}" "$pcap" >"$dir/replay.txt" 2>&1 ||
    die "$name: tcpreplay failed: $(tail -n 5 "$dir/replay.txt")"
  # Drained: the agent's CPU time grew by at most one tick in 0.5 s, twice.
  prev=$(cpu_ticks "$agent_pid")
  local still=0
  for _ in $(seq 240); do
    sleep 0.5
    now=$(cpu_ticks "$agent_pid")
    if [ $((now - prev)) -le 1 ]; then still=$((still + 1)); else still=0; fi
    prev=$now
    [ "$still" -ge 2 ] && break
  done
  c1=$(cpu_ticks "$agent_pid")
  hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$agent_pid/status")
  vd1=$(inns cat /sys/class/net/lb0/statistics/rx_dropped)
  kill -TERM "$agent_pid"
  wait "$agent_pid" || die "$name: the agent exited with status $?"
  agent_pid=
  local sent secs
  sent=$(sed -n 's/.*Successful packets:[[:space:]]*\([0-9]*\).*/\1/p' "$dir/replay.txt")
  secs=$(sed -n 's/^Actual: .* sent in \([0-9.]*\) seconds.*/\1/p' "$dir/replay.txt")
  if [ -z "$sent" ] || [ -z "$secs" ]; then
    die "$name: cannot read tcpreplay's output: $(cat "$dir/replay.txt")"
  fi
  local got kd kid sd
  read -r got kd kid sd < <(stat_of "$dir/eve.json" capture.packets capture.kernel_drops capture.kernel_ifdrops \
    capture.fanout_startup_discards)
  alerts_of "$dir/eve.json" >"$dir/alerts.json"
  local nalerts same=n/a
  nalerts=$(wc -l <"$dir/alerts.json")
  run_ok=0
  if [ "$got" = "$frames" ] && [ "$sent" = "$frames" ] && [ "$kd" = 0 ] && [ "$kid" = 0 ] && [ "$sd" = 0 ]; then
    run_ok=1
    if python3 "$src/tests/tools/eve_same.py" --live "$work/offline/$rules.alerts.json" "$dir/alerts.json" \
      >"$dir/compare.txt"; then
      same=yes
    else
      same=NO
      failed=1
      echo "## $name: alerts differ from the offline run:" >&2
      head -n 12 "$dir/compare.txt" >&2
    fi
  fi
  # Flow records of the no-rules runs are not compared: keep the disk small.
  [ "$rules" = none ] && rm -f "$dir/eve.json"
  local rtime
  rtime=$(awk '{printf "%.2f", $1 + $2}' "$dir/replay.time")
  python3 - "$name" "$rate" "$secs" "$frame_bytes" "$sent" "$got" "$kd" "$kid" "$sd" "$c0" "$c1" "$clk" "$hwm" \
    "$nalerts" "$same" "$rtime" "$run_ok" "$((vd1 - vd0))" >>"$work/rows.md" <<'PY'
import sys
(name, rate, secs, fb, sent, got, kd, kid, sd, c0, c1, clk, hwm, alerts, same, rtime, ok, vd) = sys.argv[1:19]
secs, gbit = float(secs), int(fb) * 8 / 1e9
cpu = (int(c1) - int(c0)) / int(clk)
asked = "top speed" if rate == "top" else rate + " Mbit/s"
print("| %s | %s | %.0f Mbit/s (%.2f s) | %s / %s | %s / %s / %s / %s | %.2f s | %.2f s | %.0f MB | %s | %s | %s s | %s |"
      % (name, asked, gbit * 1000 / secs, secs, sent, got, kd, kid, sd, vd, cpu, cpu / gbit, int(hwm) / 1024,
         alerts, same, rtime, "no drop" if ok == "1" else "DROP"))
PY
  tail -n 1 "$work/rows.md" >&2
}

# ladder RULES WORKERS FANOUT: rising rates until the first run with a drop;
# sets best (the highest no-drop rate, or "none").
ladder() {
  best=none
  for r in $rates; do
    live "$@" "$r"
    [ "$run_ok" = 1 ] || break
    best=$r
  done
  summary+=("| $1, $2 worker(s), fan-out $3 | $best |")
}

{
  echo "| run | asked | achieved (replay time) | sent / captured | kernel drops / ifdrops / fan-out startup discards / veth rx_dropped | agent CPU | CPU per Gbit | peak RSS | alerts | alerts = offline | replay CPU | result |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
} >"$work/rows.md"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
ladder none 1 kernel
ladder none 2 kernel
ladder none 2 reader
ladder et-open 1 kernel
ladder et-open 2 kernel
ladder et-open 2 reader

# --- 1, 2 and 4 workers at one rate: the same alerts ------------------------
# At the lowest rate of the ladders (CMP_RATE to choose another one): the
# question is whether the events depend on the worker count, not how fast 4
# workers are on a machine with fewer cores. The 1- and 2-worker runs at that
# rate are the ladders' own.
cmp_rate=${CMP_RATE:-${rates%% *}}
d=$work/runs
for w in 1 2; do
  [ -f "$d/et-open_w${w}_kernel_$cmp_rate/alerts.json" ] || live et-open "$w" kernel "$cmp_rate"
done
live et-open 4 kernel "$cmp_rate"
dropped=
for w in 1 2 4; do
  grep -q "^| et-open_w${w}_kernel_$cmp_rate .*no drop |$" "$work/rows.md" || dropped="$dropped $w"
done
if [ -n "$dropped" ]; then
  worker_line="worker-count comparison at $cmp_rate: not made, the run(s) with$dropped worker(s) dropped packets"
  failed=1
elif python3 "$src/tests/tools/eve_same.py" --live "$d/et-open_w1_kernel_$cmp_rate/alerts.json" \
  "$d/et-open_w2_kernel_$cmp_rate/alerts.json" "$d/et-open_w4_kernel_$cmp_rate/alerts.json" >"$work/workers.txt"; then
  n=$(wc -l <"$d/et-open_w1_kernel_$cmp_rate/alerts.json")
  worker_line="worker-count comparison at $cmp_rate Mbit/s, ET Open: the same $n alerts with 1, 2 and 4 workers on the kernel fan-out (eve_same.py --live on the alert events)"
  if python3 "$src/tests/tools/eve_same.py" --live "$d/et-open_w1_kernel_$cmp_rate/eve.json" \
    "$d/et-open_w2_kernel_$cmp_rate/eve.json" "$d/et-open_w4_kernel_$cmp_rate/eve.json" >"$work/workers_all.txt"; then
    worker_line="$worker_line; all events (alerts and flows, times left out) the same too"
  else
    worker_line="$worker_line; all events: $(head -n 1 "$work/workers_all.txt")"
  fi
else
  worker_line="worker-count comparison at $cmp_rate: DIFFER: $(head -n 3 "$work/workers.txt")"
  failed=1
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the Snort 3 peer, offline -----------------------------------------------
peer_rows=()
if [ -z "${SNORT_BIN:-}" ]; then
  snort_line="Snort 3: skipped: SNORT_BIN not set"
else
  [ -x "$SNORT_BIN" ] || die "SNORT_BIN=$SNORT_BIN is not an executable"
  [ -f "${SNORT_LUA:-}" ] || die "SNORT_LUA (Snort 3's snort.lua) not set or not a file"
  srules=${SNORT_RULES:-$shared/rulesets/snort3-community/snort3-community.rules}
  [ -f "$srules" ] || die "SNORT_RULES=$srules not found"
  "$agent" --test-rules -s "$srules" "${common[@]}" >/dev/null 2>&1 || true
  offline vigil-agent -s "$srules"
  sdir=$work/offline/snort
  mkdir -p "$sdir"
  # One packet thread (-z 1), Hyperscan, JSON alerts into sdir, no checksum
  # drops (-k none, as the agent's runs); HOME_NET as the agent's, set after
  # the configuration (the stock snort.lua builds ips.variables from it).
  # Not -q: the summary at exit has Snort's own "timing" (seconds of packet
  # processing, without start-up).
  /usr/bin/time -f "%e %U %S %M" -o "$sdir.time" \
    "$SNORT_BIN" -c "$SNORT_LUA" -r "$pcap" -R "$srules" -z 1 -k none -l "$sdir" -A alert_json \
    --lua "search_engine = { search_method = 'hyperscan' }" --lua "alert_json = { file = true }" \
    --lua "if ips and ips.variables and ips.variables.nets then ips.variables.nets.HOME_NET = '127.0.0.0/9'; ips.variables.nets.EXTERNAL_NET = '!\$HOME_NET' end" \
    >"$sdir.out" 2>&1 || die "Snort failed: $(tail -n 5 "$sdir.out")"
  for who in vigil-agent snort; do
    if [ "$who" = snort ]; then
      n=$(cat "$sdir"/alert_json*.txt 2>/dev/null | wc -l)
      # Snort's summary: "timing" then "seconds: 12.345678".
      phase=$(sed -n '/^timing/,$ s/^[[:space:]]*seconds:[[:space:]]*\([0-9.]*\).*/\1/p' "$sdir.out" | head -n 1)
    else
      n=$(wc -l <"$work/offline/$who.alerts.json")
      phase=$(sed -n 's/.*done: .* in \([0-9.]*\) s;.*/\1/p' "$work/offline/$who.err" | tail -n 1)
    fi
    read -r wall u s rss <"$work/offline/$who.time"
    peer_rows+=("$(python3 - "$who" "$frame_bytes" "$n" "${phase:-}" "$wall" "$u" "$s" "$rss" <<'PY'
import sys
who, fb, n, phase, wall, u, s, rss = sys.argv[1:9]
fb, wall = int(fb), max(float(wall), 0.01)
ph = "%.2f s, %.0f Mbit/s" % (float(phase), fb * 8 / max(float(phase), 0.01) / 1e6) if phase else "not reported"
print("| %s | %.2f s | %.2f s | %.0f Mbit/s | %s | %.0f MB | %s |"
      % (who, wall, float(u) + float(s), fb * 8 / wall / 1e6, ph, int(rss) / 1024, n))
PY
)")
  done
  snort_line="Snort 3 beside the agent, offline, one packet thread, rules $(basename "$srules")"
fi

# --- report --------------------------------------------------------------------
echo "Capture: $orig rewritten (tcprewrite --pnat=$pnat --fixcsum, then bench/live_prepare.py):"
sed 's/^/    /' "$work/prepare.txt"
echo "veth MTU $mtu; $(grep -h "capture buffer" "$work"/runs/*_w1_*/agent.err | head -n 1 | sed 's/^.* info //'); agent arguments: ${common[*]} ${agent_args[*]}"
echo "$frames frames, $frame_bytes frame bytes ($(awk -v b="$frame_bytes" 'BEGIN {printf "%.3f", b * 8 / 1e9}') Gbit) per replay. Load average before / after: $load_before / $load_after."
echo
cat "$work/rows.md"
echo
echo "| rules, workers, fan-out | highest rate with no drop |"
echo "| --- | --- |"
printf '%s\n' "${summary[@]}"
echo
echo "$worker_line"
echo
for r in none et-open; do
  echo "Offline on the same capture, agent, 1 worker, $r: $(cut -d' ' -f1 "$work/offline/$r.time") s wall, $(wc -l <"$work/offline/$r.alerts.json") alerts"
done
echo
echo "$snort_line"
if [ "${#peer_rows[@]}" -gt 0 ]; then
  echo "| program | wall (with start-up) | CPU (user+sys) | Mbit/s (wall) | packet phase (its own report), Mbit/s | peak RSS | alerts |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${peer_rows[@]}"
fi
[ "$failed" = 0 ] || die "some comparisons failed (see above and $work)"
