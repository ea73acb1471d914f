#!/usr/bin/env bash
# Installs every Debian package Vigil needs to build, run and test.
# Used by README.md's commands and by .ci/run, so the list lives in one place.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
PKGS=(
  # build (scripts/build.sh uses Ninja: it compiles a target's files while the
  # libraries it links are still compiling, which make does not)
  cmake g++ pkg-config make ninja-build clang-format
  # libraries
  libboost-dev
  libpcap-dev libvectorscan-dev libpcre2-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libsimdjson-dev libcli11-dev libcpp-httplib-dev libssl-dev
  zlib1g-dev libsqlite3-dev libpq-dev librdkafka-dev libargon2-dev libarchive-dev
  # agent/app/file_tracker.cpp: file types (fileinfo magic, filemagic)
  libmagic-dev
  # agent/app/http2_parser.cpp: HPACK decoding of HTTP/2 header blocks
  libnghttp2-dev
  # tests
  catch2 tshark python3 sqlite3 openssl curl
  # tests/integration/live_fanout_test.sh: a veth pair in a network namespace
  iproute2
  # the PostgreSQL store's tests start their own server (tests/tools/pg_server.sh;
  # initdb, pg_ctl) and tests/e2e/pg_two_collectors_test.sh reads it with psql
  postgresql
  # bench/live_run.sh: tcpreplay (and its tcprewrite) sends the benchmark capture onto a veth pair
  tcpreplay
  # tests/e2e/clock_jump_test.sh steps the agent's wall clock
  libfaketime
  # tests/tools/http2_capture.py (tests/integration/http2_test.sh): real HTTP/2 bytes
  python3-h2 python3-hpack
  # tests/integration/eve_schema_test.sh: Suricata's EVE schema, when ../shared has it
  python3-jsonschema
  # tests/e2e/metrics_test.sh parses /metrics with prometheus_client
  python3-prometheus-client
  # tests/e2e/web_ui_test.sh: the web UI in headless chromium, driven from node
  chromium nodejs
  # packages (cmake --build build --target package; tests/package/): dpkg-shlibdeps
  # for Depends, systemd-analyze for the units, debootstrap for a Debian 12 root,
  # systemd-nspawn to boot that root with systemd (systemd_boot_slow_test.sh)
  dpkg-dev systemd debootstrap systemd-container
  # tests/package/deb_contents_test.sh runs the agent's logrotate file
  logrotate
  # fuzzing (VIGIL_FUZZ=ON): clang and its libFuzzer runtime
  clang libclang-rt-14-dev
)
if [ "${VIGIL_SKIP_APT_UPDATE:-}" != 1 ]; then $SUDO apt-get update -qq; fi
# tshark asks whether non-root users may capture; answer no, non-interactively.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get install -y -qq --no-install-recommends "${PKGS[@]}" >/dev/null
# playwright-core comes from npm (tests/web/package-lock.json); Debian's npm
# only where the nodejs installed does not bring its own.
if ! command -v npm >/dev/null; then $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null; fi
echo "install-deps: ${#PKGS[@]} packages present"
# The browser tests' playwright-core, fetched here so that no test downloads.
# Not fatal: without it tests/e2e/web_ui_test.sh tries once more, then skips.
bash "$(dirname "$0")/web-test-tools.sh" || echo "install-deps: WARNING: browser-test tooling not installed (see above)" >&2
