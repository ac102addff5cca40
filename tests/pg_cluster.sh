#!/usr/bin/env bash
# Start a throwaway PostgreSQL 15 + PostGIS 3 cluster for the tests and print its DSN.
#
#   eval "$(bash tests/pg_cluster.sh start)"   # exports TEST_PG_DSN and TEST_PG_DIR
#   bash tests/pg_cluster.sh stop "$TEST_PG_DIR"
#
# Installs Debian's postgresql-15-postgis-3 when missing (as root or through sudo). As root the
# cluster runs as the `postgres` user (runuser); otherwise as the caller. Data directory in a temp
# folder, a free port on 127.0.0.1, trust authentication, nothing else on the machine touched.
set -euo pipefail
BIN=/usr/lib/postgresql/15/bin
action="${1:-start}"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else return 1; fi
}

if [ "$action" = stop ]; then
    dir="${2:?data folder}"
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$BIN/pg_ctl" -D "$dir/data" -m fast stop >/dev/null || true
    else "$BIN/pg_ctl" -D "$dir/data" -m fast stop >/dev/null || true; fi
    rm -rf "$dir"
    exit 0
fi

if [ "$(dpkg-query -W -f='${Status}' postgresql-15-postgis-3 2>/dev/null)" != "install ok installed" ]; then
    echo "pg_cluster.sh: installing postgresql-15-postgis-3" >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15-postgis-3 >/dev/null
fi

dir="$(mktemp -d /tmp/portal-pg-XXXXXX)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
run=()
if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$dir"
    run=(runuser -u postgres --)
fi
"${run[@]}" "$BIN/initdb" -D "$dir/data" -U portal -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${run[@]}" "$BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null
"${run[@]}" "$BIN/psql" -h 127.0.0.1 -p "$port" -U portal -d postgres -qc "CREATE DATABASE portal" >/dev/null
"${run[@]}" "$BIN/psql" -h 127.0.0.1 -p "$port" -U portal -d portal -qc "CREATE EXTENSION postgis" >/dev/null
echo "export TEST_PG_DSN='host=127.0.0.1 port=$port dbname=portal user=portal'"
echo "export TEST_PG_DIR='$dir'"
