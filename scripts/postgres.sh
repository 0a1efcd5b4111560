#!/usr/bin/env bash
# Installs (Debian packages) and starts a private PostgreSQL + PostGIS server for the tests, on 127.0.0.1 only.
# Prints the database URL on stdout. Usage: scripts/postgres.sh [start|stop]
set -euo pipefail
PORT=${BIGCATS_PG_PORT:-54329}
DATA=${BIGCATS_PG_DATA:-/tmp/bigcats-pg-$PORT}
DBNAME=bigcats_test
action=${1:-start}

LOG=/tmp/bigcats-apt.log
quiet() { "$@" >>"$LOG" 2>&1 || { tail -20 "$LOG" >&2; return 1; }; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  [ -n "$d" ] && [ -x "$d/pg_ctl" ] && echo "$d"
}

install_packages() {
  local ver
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "$(pg_bin)" ]; then
    quiet as_root apt-get -o DPkg::Lock::Timeout="${BIGCATS_APT_WAIT:-600}" update -qq && quiet as_root apt-get -o DPkg::Lock::Timeout="${BIGCATS_APT_WAIT:-600}" install -y -qq postgresql
  fi
  ver=$(basename "$(dirname "$(pg_bin)")")
  if [ ! -f "/usr/share/postgresql/$ver/extension/postgis.control" ]; then
    quiet as_root apt-get -o DPkg::Lock::Timeout="${BIGCATS_APT_WAIT:-600}" update -qq || true
    quiet as_root apt-get -o DPkg::Lock::Timeout="${BIGCATS_APT_WAIT:-600}" install -y -qq "postgresql-$ver-postgis-3"
  fi
}

# PostgreSQL refuses to run as root: run the server as the 'postgres' system user when we are root.
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ "$action" = stop ]; then
  BIN=$(pg_bin) && run_pg "$BIN/pg_ctl" -D "$DATA" -m fast stop >&2 || true
  exit 0
fi

install_packages
BIN=$(pg_bin)
if [ ! -f "$DATA/PG_VERSION" ]; then
  mkdir -p "$DATA"
  [ "$(id -u)" = 0 ] && chown postgres: "$DATA"
  quiet run_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8
fi
if ! run_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  run_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w \
    -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off" start >>"$LOG" 2>&1
fi
if ! "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$DBNAME'" | grep -q 1; then
  "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DBNAME"
fi
"$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d "$DBNAME" -qc "SET client_min_messages=warning; CREATE EXTENSION IF NOT EXISTS postgis" >&2
echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/$DBNAME"
