#!/usr/bin/env bash
# Start (or stop) a throw-away PostgreSQL server on loopback for the test suite.
#   scripts/pg.sh start   -> prints nothing on success; server on 127.0.0.1:$ZHIJIAN_PG_PORT
#   scripts/pg.sh stop
# Installs Debian's postgresql package when no server binaries are found.
set -euo pipefail
PORT="${ZHIJIAN_PG_PORT:-54329}"
DATA="${ZHIJIAN_PG_DATA:-/tmp/zhijian-pg-$PORT}"

find_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && [ -x "$d/postgres" ] && { echo "$d"; return 0; }
  done
  return 1
}

run_as_pg() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
start)
  if ! BIN=$(find_bindir); then
    echo "PostgreSQL server not found; installing Debian's postgresql package..." >&2
    if [ "$(id -u)" = "0" ]; then
      (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql) >&2 \
        || { echo "MISSING: could not install postgresql (apt-get failed)" >&2; exit 1; }
    else
      echo "MISSING: PostgreSQL server (apt-get install postgresql, as root)" >&2; exit 1
    fi
    BIN=$(find_bindir) || { echo "MISSING: PostgreSQL server binaries" >&2; exit 1; }
  fi
  if [ "$(id -u)" = "0" ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home /var/lib/postgresql --shell /bin/bash postgres
  fi
  if [ -f "$DATA/postmaster.pid" ] && run_as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    exit 0
  fi
  rm -rf "$DATA"; mkdir -p "$DATA"
  [ "$(id -u)" = "0" ] && chown postgres "$DATA"
  run_as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  run_as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w \
    -o "-h 127.0.0.1 -p $PORT -k /tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
  ;;
stop)
  BIN=$(find_bindir) || exit 0
  [ -d "$DATA" ] && run_as_pg "$BIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
  ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
