#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: pg_server.sh start|stop DIR
#   start: initdb (trust authentication, superuser "vigil", UTF-8) into DIR/data
#          and a postgres listening only on a Unix socket in DIR (no TCP);
#          writes the libpq URL of its "postgres" database to DIR/url.
#          Without the PostgreSQL server binaries it writes the reason to
#          DIR/UNAVAILABLE and exits 0 (the tests that need it then skip).
#   stop:  stops that server (immediate shutdown) and removes DIR; idempotent.
# As root the server runs as the postgres user (postgres refuses root); when
# that user cannot reach DIR (a parent directory closed to it, as under
# /root), the server's files go to a directory under /tmp and DIR becomes a
# link to it, so the tests' URL (host=DIR) still names the socket.
# VIGIL_PG_BIN overrides where initdb/pg_ctl are looked for; VIGIL_PG_FSYNC=on
# makes the server durable (benchmarks; the tests run with fsync off);
# VIGIL_PG_OPTS adds server settings ("-c shared_buffers=4GB -c work_mem=64MB").
set -euo pipefail
cmd=${1:?usage: pg_server.sh start|stop DIR}
dir=${2:?usage: pg_server.sh start|stop DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
port=55432  # names the socket file DIR/.s.PGSQL.55432 only: nothing listens on TCP

bin=${VIGIL_PG_BIN:-}
if [ -z "$bin" ]; then
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then bin=$d; break; fi
  done
fi

as_server() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Removes directory $1 in the background: a test server ends with a few
# hundred MB of test databases, and removing them held the test run for
# 20-50 s. Renamed first, so DIR is free at once.
remove() {
  [ -e "$1" ] || return 0
  local gone
  gone="$1.removed.$$.$RANDOM"
  if mv "$1" "$gone" 2>/dev/null; then
    nohup rm -rf "$gone" >/dev/null 2>&1 &
  else
    rm -rf "$1"
  fi
}

stop() {
  if [ -n "$bin" ] && [ -f "$dir/data/postmaster.pid" ]; then
    as_server "$bin/pg_ctl" -D "$(readlink -f "$dir")/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [ -L "$dir" ]; then
    remove "$(readlink -f "$dir")"
    rm -f "$dir"
  else
    remove "$dir"
  fi
}

case $cmd in
  start)
    stop
    mkdir -p "$dir"
    if [ -z "$bin" ]; then
      echo "PostgreSQL server binaries not found (Debian: apt-get install postgresql)" >"$dir/UNAVAILABLE"
      echo "pg_server: $(cat "$dir/UNAVAILABLE"); the PostgreSQL tests skip"
      exit 0
    fi
    if [ "$(id -u)" = 0 ]; then
      if ! id postgres >/dev/null 2>&1; then
        echo "pg_server: running as root and there is no postgres user to run the server as" >&2
        exit 1
      fi
      chown postgres "$dir"
      if ! runuser -u postgres -- test -w "$dir"; then
        real=$(mktemp -d /tmp/vigil-pgtest.XXXXXX)
        chown postgres "$real"
        rmdir "$dir"
        ln -s "$real" "$dir"
        echo "pg_server: the postgres user cannot reach $dir; the server's files are in $real"
      fi
    fi
    rdir=$(readlink -f "$dir")  # what the server itself sees
    if ! as_server "$bin/initdb" -A trust -U vigil -E UTF8 --locale=C.UTF-8 -D "$rdir/data" >"$dir/initdb.log" 2>&1; then
      echo "pg_server: initdb failed:" >&2
      cat "$dir/initdb.log" >&2
      exit 1
    fi
    # fsync off: a test server's data need not survive a power cut.
    if ! as_server "$bin/pg_ctl" -D "$rdir/data" -l "$rdir/server.log" -w -t 60 \
        -o "-k $rdir -p $port -c listen_addresses='' -c fsync=${VIGIL_PG_FSYNC:-off} -c max_connections=300 ${VIGIL_PG_OPTS:-}" start >/dev/null; then
      echo "pg_server: the server did not start:" >&2
      cat "$dir/server.log" >&2
      exit 1
    fi
    echo "postgresql://vigil@/postgres?host=$dir&port=$port" >"$dir/url"
    echo "pg_server: PostgreSQL ($("$bin/postgres" --version)) on $dir/.s.PGSQL.$port"
    ;;
  stop)
    stop
    ;;
  *)
    echo "usage: pg_server.sh start|stop DIR" >&2
    exit 2
    ;;
esac
