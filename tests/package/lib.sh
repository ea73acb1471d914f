# Shared by tests/package/*_test.sh (sourced): BUILD and SRC set by the caller.

# build_debs DIR [VERSION]: the two packages of this build, made by cpack into
# DIR (as `cmake --build BUILD --target package` makes them, without building);
# VERSION replaces the project's version (an upgrade to install over it).
build_debs() {
  local dir=$1 version=${2:-}
  local extra=()
  [ -n "$version" ] && extra=(-D "CPACK_PACKAGE_VERSION=$version")
  rm -rf "$dir"
  mkdir -p "$dir"
  if ! cpack --config "$BUILD/CPackConfig.cmake" -B "$dir" "${extra[@]}" >"$dir/cpack.log" 2>&1; then
    cat "$dir/cpack.log"
    echo "FAIL: cpack"
    return 1
  fi
}

# The version cpack gives the packages of this build.
project_version() {
  sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$BUILD/CPackConfig.cmake"
}

need_packaging_tools() {
  local tool
  for tool in cpack dpkg-deb dpkg-shlibdeps "$@"; do
    command -v "$tool" >/dev/null || { echo "skip: $tool not installed"; exit 77; }
  done
  # Packages are made from the release build; a sanitizer build's binaries
  # would pull in the sanitizer runtimes and are not what a host installs.
  if grep -q '^VIGIL_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null; then
    echo "skip: $BUILD is the sanitizer build; the packages are tested from the normal build"
    exit 77
  fi
  [ -x "$BUILD/agent/vigil-agent" ] || { echo "skip: vigil-agent not built"; exit 77; }
  [ -x "$BUILD/collector/vigil-collector" ] || { echo "skip: vigil-collector not built"; exit 77; }
  [ -f "$BUILD/CPackConfig.cmake" ] || { echo "FAIL: $BUILD/CPackConfig.cmake missing"; exit 1; }
}

fail() {
  echo "FAIL: $*"
  exit 1
}

# fresh_minbase_root ROOT WORK: ROOT becomes a fresh Debian 12 minbase (made
# by debootstrap from the host's mirror once, then kept as a tarball under
# $BUILD/package-test and unpacked anew), with the host's apt sources and
# resolver so that apt in it fetches packages. Exits 77 (skip) when there is
# no mirror or it cannot be reached. Needs root.
fresh_minbase_root() {
  local R=$1 work=$2 mirror cache
  mkdir -p "$work" "$BUILD/package-test"
  # The host's Debian mirror (deb822 sources, else sources.list).
  mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -v security | head -1)
  [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$mirror" ] || { echo "skip: no Debian mirror in /etc/apt/sources.list*"; exit 77; }
  cache="$BUILD/package-test/bookworm-minbase.tar"
  rm -rf "$R"
  # One debootstrap for the tests that run at the same time: the others wait for its tarball.
  exec 8>"$BUILD/package-test/minbase.lock"
  flock 8
  if [ ! -f "$cache" ]; then
    echo "debootstrap bookworm minbase from $mirror"
    if ! debootstrap --variant=minbase bookworm "$R" "$mirror" >"$work/debootstrap.log" 2>&1; then
      tail -20 "$work/debootstrap.log"
      if grep -qiE 'resolve|connect|Failed getting release file' "$work/debootstrap.log"; then
        echo "skip: mirror $mirror unreachable"
        exit 77
      fi
      fail "debootstrap"
    fi
    tar -C "$R" -cf "$cache.$$" . && mv "$cache.$$" "$cache"
    rm -rf "$R"
  fi
  flock -u 8
  exec 8>&-
  mkdir -p "$R"
  tar -C "$R" -xf "$cache"
  rm -f "$R/etc/apt/sources.list"
  cp -a /etc/apt/sources.list.d/. "$R/etc/apt/sources.list.d/" 2>/dev/null || true
  [ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$R/etc/apt/sources.list"
  find "$R/etc/apt/sources.list.d" -name '*.disabled*' -delete
  cp -L /etc/resolv.conf "$R/etc/resolv.conf"
}
