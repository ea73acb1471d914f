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
