#!/usr/bin/env bash
# The packages on a fresh Debian 12 (minbase, made by debootstrap from the
# host's mirror, under the build folder): apt installs both with their
# dependencies; the maintainer scripts create the system user vigil,
# /var/lib/vigil/{agent,collector} and /var/log/vigil owned by it (0750; the
# collector's 0700) and enable the units; the binaries run there. An upgrade
# (the same build packaged with a higher version) keeps an edited conffile and
# the agent's state; removing keeps them; purging the agent takes its state
# and conffiles but leaves the user to the collector; purging the collector
# then leaves nothing: no user, group, directories, unit links or package.
# Needs root, debootstrap and the network to the mirror. The minbase root is
# kept as a tarball under the build folder and unpacked fresh for every run.
# $1 = build dir, $2 = source dir.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
. "$SRC/tests/package/lib.sh"
need_packaging_tools debootstrap chroot
[ "$(id -u)" = 0 ] || { echo "skip: needs root (debootstrap, chroot)"; exit 77; }

start=$(date +%s)
WORK="$BUILD/package-test/install"
R="$WORK/root"
cleanup() {
  # Nothing is mounted in the root; make sure before deleting it.
  if grep -q " $R/" /proc/mounts; then
    grep " $R/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l
  fi
  rm -rf "$R"
}
trap cleanup EXIT
trap "exit 1" INT TERM
rm -rf "$R"
mkdir -p "$WORK"

fresh_minbase_root "$R" "$WORK"
echo "fresh root ready after $(($(date +%s) - start)) s"
in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
in_root apt-get update -qq >"$WORK/apt.log" 2>&1 || { cat "$WORK/apt.log"; fail "apt-get update in the root"; }

ver=$(project_version)
build_debs "$WORK/v1"
build_debs "$WORK/v2" "$ver.1"
mkdir -p "$R/tmp/v1" "$R/tmp/v2"
cp "$WORK/v1"/*.deb "$R/tmp/v1/"
cp "$WORK/v2"/*.deb "$R/tmp/v2/"

apt_install() {
  in_root apt-get install -y -q --no-install-recommends "$@" >>"$WORK/apt.log" 2>&1 ||
    { tail -40 "$WORK/apt.log"; fail "apt-get install $*"; }
}
# Numeric: the host's names for the root's ids would be wrong.
owner_mode() { stat -c '%u:%g %a' "$R$1"; }
expect_eq() { [ "$1" = "$2" ] || fail "$3: '$1', expected '$2'"; }
pkg_status() { in_root dpkg-query -W -f='${db:Status-Abbrev}${Version}' "$1" 2>/dev/null || true; }

# deb-systemd-helper, as on every host with systemd: the units get enabled
# (links under /etc/systemd/system) and purge must take the links away.
apt_install init-system-helpers
# 1. Install both, dependencies from the mirror.
apt_install /tmp/v1/vigil-agent_${ver}_amd64.deb /tmp/v1/vigil-collector_${ver}_amd64.deb
echo "installed after $(($(date +%s) - start)) s"
expect_eq "$(pkg_status vigil-agent)" "ii $ver" "vigil-agent status"
expect_eq "$(pkg_status vigil-collector)" "ii $ver" "vigil-collector status"
pw=$(in_root getent passwd vigil) || fail "no user vigil"
IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
V="$uid:$gid"
[ "$uid" -lt 1000 ] || fail "vigil is not a system user (uid $uid)"
expect_eq "$home:$shell" "/var/lib/vigil:/usr/sbin/nologin" "vigil home and shell"
expect_eq "$(owner_mode /var/lib/vigil)" "0:0 755" "/var/lib/vigil"
expect_eq "$(owner_mode /var/lib/vigil/agent)" "$V 750" "/var/lib/vigil/agent"
expect_eq "$(owner_mode /var/lib/vigil/collector)" "$V 700" "/var/lib/vigil/collector"
expect_eq "$(owner_mode /var/log/vigil)" "$V 750" "/var/log/vigil"
for u in vigil-agent vigil-collector; do
  [ -L "$R/etc/systemd/system/multi-user.target.wants/$u.service" ] || fail "$u.service not enabled"
done
# The binaries run with the libraries apt brought, on the packaged configurations.
in_root vigil-agent --dump-config -c /etc/vigil/agent.yaml >/dev/null || fail "vigil-agent in the root"
in_root vigil-collector config dump -c /etc/vigil/collector.yaml >/dev/null || fail "vigil-collector in the root"
in_root vigil-agent -r /nonexistent.pcap -c /etc/vigil/agent.yaml >/dev/null 2>&1 &&
  fail "vigil-agent read a capture that does not exist"

# 2. An admin's edit and the agent's state; then the upgrade.
echo "# edited by the admin" >>"$R/etc/vigil/agent.yaml"
echo "# edited by the admin" >>"$R/etc/default/vigil-agent"
echo state >"$R/var/lib/vigil/agent/marker"
echo eve >"$R/var/log/vigil/eve.json"
# A second agent on eth1 (vigil-agent@eth1): its state, logs and enablement link.
install -d -o "$uid" -g "$gid" -m 0750 "$R/var/lib/vigil/agent-eth1" "$R/var/log/vigil/eth1"
echo eve >"$R/var/log/vigil/eth1/eve.json"
ln -s /lib/systemd/system/vigil-agent@.service "$R/etc/systemd/system/multi-user.target.wants/vigil-agent@eth1.service"
uid_before=$uid
apt_install /tmp/v2/vigil-agent_${ver}.1_amd64.deb /tmp/v2/vigil-collector_${ver}.1_amd64.deb
expect_eq "$(pkg_status vigil-agent)" "ii $ver.1" "vigil-agent after upgrade"
expect_eq "$(pkg_status vigil-collector)" "ii $ver.1" "vigil-collector after upgrade"
grep -q 'edited by the admin' "$R/etc/vigil/agent.yaml" || fail "upgrade replaced the edited agent.yaml"
grep -q 'edited by the admin' "$R/etc/default/vigil-agent" || fail "upgrade replaced the edited /etc/default/vigil-agent"
[ ! -e "$R/etc/vigil/agent.yaml.dpkg-new" ] || fail "upgrade left agent.yaml.dpkg-new"
[ -f "$R/var/lib/vigil/agent/marker" ] || fail "upgrade lost the agent's state"
expect_eq "$(in_root id -u vigil)" "$uid_before" "vigil's uid after upgrade"
expect_eq "$(owner_mode /var/lib/vigil/agent)" "$V 750" "/var/lib/vigil/agent after upgrade"

# 3. Remove the agent: its state, logs and conffiles stay.
in_root dpkg --remove vigil-agent >>"$WORK/apt.log" 2>&1 || fail "dpkg --remove vigil-agent"
expect_eq "$(pkg_status vigil-agent)" "rc $ver.1" "vigil-agent after remove"
[ -f "$R/var/lib/vigil/agent/marker" ] || fail "remove took the agent's state"
[ -f "$R/etc/vigil/agent.yaml" ] || fail "remove took the conffile"
[ ! -e "$R/usr/bin/vigil-agent" ] || fail "remove left the binary"

# 4. Purge the agent: its state, eve.json and conffiles go; the user stays for the collector.
in_root dpkg --purge vigil-agent >>"$WORK/apt.log" 2>&1 || fail "dpkg --purge vigil-agent"
expect_eq "$(pkg_status vigil-agent)" "" "vigil-agent after purge"
for p in /var/lib/vigil/agent /var/log/vigil/eve.json /etc/vigil/agent.yaml /etc/default/vigil-agent \
  /etc/systemd/system/multi-user.target.wants/vigil-agent.service /var/lib/vigil/agent-eth1 /var/log/vigil/eth1 \
  /etc/systemd/system/multi-user.target.wants/vigil-agent@eth1.service; do
  [ ! -e "$R$p" ] && [ ! -L "$R$p" ] || fail "purging the agent left $p"
done
in_root getent passwd vigil >/dev/null || fail "purging the agent removed the collector's user"
[ -d "$R/var/lib/vigil/collector" ] || fail "purging the agent removed the collector's state"

# 5. Purge the collector: nothing of Vigil is left.
in_root dpkg --purge vigil-collector >>"$WORK/apt.log" 2>&1 || fail "dpkg --purge vigil-collector"
expect_eq "$(pkg_status vigil-collector)" "" "vigil-collector after purge"
if in_root getent passwd vigil >/dev/null; then fail "purge left the user vigil"; fi
if in_root getent group vigil >/dev/null; then fail "purge left the group vigil"; fi
for p in /var/lib/vigil /var/log/vigil /etc/vigil /usr/bin/vigil-collector \
  /etc/systemd/system/multi-user.target.wants/vigil-collector.service; do
  [ ! -e "$R$p" ] && [ ! -L "$R$p" ] || fail "purge left $p"
done
left=$(find "$R" -xdev -name '*vigil*' -not -path "$R/tmp/*" -not -path "$R/var/cache/apt/*" -not -path "$R/var/lib/apt/*" | sed "s|^$R||")
[ -z "$left" ] || fail "purge left: $left"
echo "PASS: install, upgrade, remove and purge on Debian 12 in $(($(date +%s) - start)) s"
