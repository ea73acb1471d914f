#!/usr/bin/env bash
# The .deb packages as cpack makes them: names, control fields (Depends from
# dpkg-shlibdeps: libpcap, vectorscan, sqlite, ...), conffiles (every file
# under /etc), executable maintainer scripts that parse, the files each
# package holds, and the packaged configurations accepted by the binaries.
# $1 = build dir, $2 = source dir.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
. "$SRC/tests/package/lib.sh"
need_packaging_tools

WORK="$BUILD/package-test/contents"
build_debs "$WORK/debs"
ver=$(project_version)
[ -n "$ver" ] || fail "no CPACK_PACKAGE_VERSION in CPackConfig.cmake"
AGENT_DEB="$WORK/debs/vigil-agent_${ver}_amd64.deb"
COLL_DEB="$WORK/debs/vigil-collector_${ver}_amd64.deb"
[ -f "$AGENT_DEB" ] || { ls "$WORK/debs"; fail "$AGENT_DEB not made"; }
[ -f "$COLL_DEB" ] || { ls "$WORK/debs"; fail "$COLL_DEB not made"; }
[ "$(ls "$WORK/debs"/*.deb | wc -l)" = 2 ] || { ls "$WORK/debs"; fail "expected exactly two packages"; }

# field DEB NAME: one control field.
field() { dpkg-deb -f "$1" "$2"; }

check_package() {
  local deb=$1 pkg=$2 conffiles=$3
  shift 3
  [ "$(field "$deb" Package)" = "$pkg" ] || fail "$deb: Package is not $pkg"
  [ "$(field "$deb" Version)" = "$ver" ] || fail "$deb: Version is not $ver"
  [ "$(field "$deb" Architecture)" = amd64 ] || fail "$deb: Architecture is not amd64"
  [ -n "$(field "$deb" Maintainer)" ] || fail "$deb: no Maintainer"
  local depends
  depends=$(field "$deb" Depends)
  echo "$pkg Depends: $depends"
  for dep in passwd libc6 libstdc++6 "$@"; do
    echo "$depends" | tr ',' '\n' | sed 's/^ *//; s/ .*//' | grep -qx "$dep" || fail "$pkg: Depends lacks $dep"
  done

  local ctl="$WORK/$pkg.control" root="$WORK/$pkg.root"
  rm -rf "$ctl" "$root"
  dpkg-deb -e "$deb" "$ctl"
  dpkg-deb -x "$deb" "$root"
  # conffiles: exactly the files shipped under /etc.
  diff <(sort "$ctl/conffiles") <(cd "$root" && find etc -type f | sed 's|^|/|' | sort) ||
    fail "$pkg: conffiles differ from the files under /etc"
  diff <(sort "$ctl/conffiles") <(echo "$conffiles" | tr ' ' '\n' | sort) || fail "$pkg: conffiles"
  for s in postinst prerm postrm; do
    [ -x "$ctl/$s" ] || fail "$pkg: no executable $s"
    sh -n "$ctl/$s" || fail "$pkg: $s does not parse"
    if grep -n '@[A-Z_]*@' "$ctl/$s"; then fail "$pkg: $s has an unfilled placeholder"; fi
  done
  grep -q 'useradd --system' "$ctl/postinst" || fail "$pkg: postinst does not create the system user"
  grep -q 'userdel vigil' "$ctl/postrm" || fail "$pkg: postrm does not remove the user on purge"
  # The binary in the package is stripped and runs.
  if readelf -S "$root/usr/bin/$pkg" | grep -q '\.symtab'; then fail "$pkg: binary not stripped"; fi
  "$root/usr/bin/$pkg" --help >/dev/null || fail "$pkg: packaged binary does not run"
  [ -f "$root/lib/systemd/system/$pkg.service" ] || fail "$pkg: no systemd unit"
  grep -q "deb-systemd-helper enable $pkg.service" "$ctl/postinst" || fail "$pkg: postinst does not enable its unit"
  [ -f "$root/usr/share/doc/$pkg/README.md" ] || fail "$pkg: no README in /usr/share/doc/$pkg"
}

check_package "$AGENT_DEB" vigil-agent "/etc/vigil/agent.yaml /etc/default/vigil-agent /etc/logrotate.d/vigil-agent" \
  libpcap0.8 libvectorscan5 libsqlite3-0 libssl3
check_package "$COLL_DEB" vigil-collector "/etc/vigil/collector.yaml" libsqlite3-0 libssl3 libargon2-1

# Files each package holds, no more (a stray file would be caught here).
diff <(dpkg-deb -c "$AGENT_DEB" | awk '$1 !~ /^d/ {print $NF}' | sort) - <<'LIST' || fail "vigil-agent: file list"
./etc/default/vigil-agent
./etc/logrotate.d/vigil-agent
./etc/vigil/agent.yaml
./lib/systemd/system/vigil-agent.service
./lib/systemd/system/vigil-agent@.service
./usr/bin/vigil-agent
./usr/share/doc/vigil-agent/CONFIG.md
./usr/share/doc/vigil-agent/README.agent.md
./usr/share/doc/vigil-agent/README.md
./usr/share/doc/vigil-agent/en/it-staff.md
./usr/share/doc/vigil-agent/examples/demo.rules
./usr/share/doc/vigil-agent/vi/it-staff.md
LIST
diff <(dpkg-deb -c "$COLL_DEB" | awk '$1 !~ /^d/ {print $NF}' | sort) - <<'LIST' || fail "vigil-collector: file list"
./etc/vigil/collector.yaml
./lib/systemd/system/vigil-collector.service
./usr/bin/vigil-collector
./usr/share/doc/vigil-collector/CONFIG.md
./usr/share/doc/vigil-collector/README.collector.md
./usr/share/doc/vigil-collector/README.md
./usr/share/doc/vigil-collector/en/it-staff.md
./usr/share/doc/vigil-collector/en/officers.md
./usr/share/doc/vigil-collector/vi/it-staff.md
./usr/share/doc/vigil-collector/vi/officers.md
LIST
# Everything root-owned; binaries 0755, the rest 0644.
for deb in "$AGENT_DEB" "$COLL_DEB"; do
  dpkg-deb -c "$deb" | awk '$2 != "root/root" {print; bad=1} END {exit bad}' || fail "$deb: files not owned by root"
  dpkg-deb -c "$deb" | awk '$1 !~ /^d/ && $NF ~ /usr\/bin\// && $1 != "-rwxr-xr-x" {print; bad=1}
                            $1 !~ /^d/ && $NF !~ /usr\/bin\// && $1 != "-rw-r--r--" {print; bad=1} END {exit bad}' ||
    fail "$deb: unexpected file modes"
done

# The packaged configurations: what the binaries print for their defaults,
# with the packaged paths, and accepted by them without a warning.
A="$WORK/vigil-agent.root" C="$WORK/vigil-collector.root"
grep -qx 'default-log-dir: /var/log/vigil' "$A/etc/vigil/agent.yaml" ||
  fail "agent.yaml does not put eve.json in /var/log/vigil"
grep -A3 '^  eve:' "$A/etc/vigil/agent.yaml" >/dev/null && grep -qE '^ +rate-limit: 1000$' "$A/etc/vigil/agent.yaml" ||
  fail "agent.yaml does not limit alerts to 1000/s per signature for live sensors"
grep -qx 'data_dir: /var/lib/vigil/collector' "$C/etc/vigil/collector.yaml" ||
  fail "collector.yaml does not keep its data in /var/lib/vigil/collector"
ASAN_OPTIONS=detect_leaks=0 "$BUILD/agent/vigil-agent" --dump-config -c "$A/etc/vigil/agent.yaml" \
  >"$WORK/agent.dump" 2>"$WORK/agent.err" || { cat "$WORK/agent.err"; fail "agent rejects agent.yaml"; }
[ ! -s "$WORK/agent.err" ] || { cat "$WORK/agent.err"; fail "agent warns about agent.yaml"; }
diff <(grep -v '^#' "$A/etc/vigil/agent.yaml") <(grep -v '^#' "$WORK/agent.dump") ||
  fail "agent.yaml read back differs"
ASAN_OPTIONS=detect_leaks=0 "$BUILD/collector/vigil-collector" config dump -c "$C/etc/vigil/collector.yaml" \
  >"$WORK/collector.dump" 2>"$WORK/collector.err" || { cat "$WORK/collector.err"; fail "collector rejects collector.yaml"; }
[ ! -s "$WORK/collector.err" ] || { cat "$WORK/collector.err"; fail "collector warns about collector.yaml"; }
diff <(grep -v '^#' "$C/etc/vigil/collector.yaml") <(grep -v '^#' "$WORK/collector.dump") ||
  fail "collector.yaml read back differs"
# The logrotate file, run for real by logrotate on a copy whose paths point
# into the test's folder (and whose `su` names root: the vigil user need not
# exist here): both eve.json files are rotated, and the postrotate script runs.
if command -v logrotate >/dev/null; then
  LR="$WORK/logrotate"
  mkdir -p "$LR/log/eth1"
  echo '{"event_type":"alert"}' >"$LR/log/eve.json"
  echo '{"event_type":"alert"}' >"$LR/log/eth1/eve.json"
  sed -e "s|/var/log/vigil|$LR/log|g" -e 's/su vigil vigil/su root root/' \
    -e 's|systemctl kill .*|touch '"$LR"'/postrotate-ran|' "$A/etc/logrotate.d/vigil-agent" >"$LR/conf"
  logrotate -v -f -s "$LR/state" "$LR/conf" >"$LR/out" 2>&1 || { cat "$LR/out"; fail "logrotate refuses the agent's logrotate file"; }
  [ -f "$LR/log/eve.json.1" ] && [ -f "$LR/log/eth1/eve.json.1" ] && [ ! -e "$LR/log/eve.json" ] ||
    { cat "$LR/out"; ls -R "$LR/log"; fail "logrotate did not rotate both eve.json files"; }
  [ -f "$LR/postrotate-ran" ] || fail "logrotate did not run the postrotate script"
else
  echo "logrotate not installed: the logrotate file was not run (scripts/install-deps.sh installs it)"
fi
echo "PASS: vigil-agent_${ver} and vigil-collector_${ver}: fields, Depends, conffiles, scripts, files, configurations"
