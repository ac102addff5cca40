#!/usr/bin/env bash
# N portal replicas behind nginx with sticky sessions, on one machine (README: "Several replicas").
#
#   deploy/portal-cluster.sh render --prefix DIR --listen 127.0.0.1:8080 --replica 127.0.0.1:8501 --replica ...
#       writes DIR/nginx.conf from deploy/nginx.conf.template (and DIR/logs, DIR/tmp); prints its path
#   deploy/portal-cluster.sh start [--replicas 2] [--base-port 8501] [--listen 0.0.0.0:8080] [--prefix var/nginx]
#       starts the replicas (streamlit run, ports base-port..) and nginx in front of them, in the
#       foreground; Ctrl-C or SIGTERM stops all of them. Needs the tile_secret setting (portal.toml or
#       PORTAL_TILE_SECRET), the same for every replica; for PostGIS also backend/pg_dsn.
#
# nginx runs as the calling user with its own prefix (no root needed; as root its workers drop to
# `nobody`). The upload limit comes from the portal setting max_upload_mb and is passed to every
# replica as server.maxUploadSize. For a service manager, see deploy/portal@.service and
# deploy/portal-nginx.service.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TEMPLATE="$ROOT/deploy/nginx.conf.template"
PY="${PORTAL_PYTHON:-$ROOT/.venv/bin/python}"
NGINX="${NGINX:-nginx}"

die() { echo "portal-cluster: $*" >&2; exit 2; }

setting() {  # the value of one portal setting (geo/settings.py: env, portal.toml, default)
    (cd "$ROOT" && "$PY" -c 'import sys; from geo import settings; print(settings.get(sys.argv[1]))' "$1")
}

render() {  # render PREFIX LISTEN MAX_UPLOAD_MB REPLICA... -> PREFIX/nginx.conf
    local prefix="$1" listen="$2" upload="$3"; shift 3
    [ "$#" -gt 0 ] || die "no --replica given"
    [[ "$upload" =~ ^[0-9]+$ ]] || die "max upload must be a whole number of MB, got '$upload'"
    mkdir -p "$prefix/logs" "$prefix/tmp"
    local servers="" replica
    for replica in "$@"; do
        [[ "$replica" =~ ^[A-Za-z0-9.:_-]+:[0-9]+$ ]] || die "replica must be host:port, got '$replica'"
        # max_fails=0: a replica busy with a long script run is not marked down for everyone
        servers+="        server $replica max_fails=0;"$'\n'
    done
    local out="$prefix/nginx.conf"
    PREFIX="$prefix" LISTEN="$listen" UPLOAD="$upload" SERVERS="${servers%$'\n'}" \
        "$PY" - "$TEMPLATE" "$out" <<'EOF'
import os, sys
text = open(sys.argv[1], encoding="utf-8").read()
for name, env in (("PREFIX", "PREFIX"), ("LISTEN", "LISTEN"), ("MAX_UPLOAD_MB", "UPLOAD"), ("SERVERS", "SERVERS")):
    text = text.replace(f"@@{name}@@", os.environ[env])
if "@@" in text:
    sys.exit("unfilled placeholder in " + sys.argv[1])
open(sys.argv[2], "w", encoding="utf-8").write(text)
EOF
    echo "$out"
}

cmd="${1:-}"; shift || true
prefix="" listen="" replicas=() count=2 base=8501 upload=""
while [ "$#" -gt 0 ]; do
    case "$1" in
        --prefix) prefix="$2"; shift 2 ;;
        --listen) listen="$2"; shift 2 ;;
        --replica) replicas+=("$2"); shift 2 ;;
        --replicas) count="$2"; shift 2 ;;
        --base-port) base="$2"; shift 2 ;;
        --max-upload-mb) upload="$2"; shift 2 ;;
        *) die "unknown option $1" ;;
    esac
done

case "$cmd" in
    render)
        [ -n "$prefix" ] && [ -n "$listen" ] || die "render needs --prefix and --listen"
        render "$(realpath -m "$prefix")" "$listen" "${upload:-$(setting max_upload_mb)}" "${replicas[@]}"
        ;;
    start)
        prefix="$(realpath -m "${prefix:-$ROOT/var/nginx}")"
        listen="${listen:-0.0.0.0:8080}"
        upload="${upload:-$(setting max_upload_mb)}"
        [ -n "$(setting tile_secret)" ] || die "set tile_secret (portal.toml or PORTAL_TILE_SECRET): replicas must share it"
        command -v "$NGINX" >/dev/null || die "nginx not found (Debian: apt-get install nginx)"
        pids=()
        stop_all() { kill "${pids[@]}" 2>/dev/null || true; wait || true; }
        trap stop_all EXIT INT TERM
        mkdir -p "$prefix/logs"
        for ((i = 0; i < count; i++)); do
            port=$((base + i))
            (cd "$ROOT" && exec "$PY" -m streamlit run streamlit_app.py --server.address 127.0.0.1 \
                --server.port "$port" --server.headless true --server.maxUploadSize "$upload") \
                >"$prefix/logs/replica-$port.log" 2>&1 &
            pids+=("$!")
            replicas+=("127.0.0.1:$port")
        done
        conf="$(render "$prefix" "$listen" "$upload" "${replicas[@]}")"
        "$NGINX" -t -q -p "$prefix" -c "$conf" -e "$prefix/logs/error.log"
        "$NGINX" -p "$prefix" -c "$conf" -e "$prefix/logs/error.log" -g "daemon off;" &
        pids+=("$!")
        echo "portal-cluster: ${#replicas[@]} replicas (${replicas[*]}) behind http://$listen; logs in $prefix/logs" >&2
        wait -n "${pids[@]}"  # one of them ended: stop the rest
        ;;
    *)
        die "usage: $0 render|start [options] (see the comment at the top)"
        ;;
esac
