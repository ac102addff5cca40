#!/usr/bin/env bash
# The one command that runs the whole test suite (unit, AppTest, browser) on a fresh Debian
# machine that has only python3:
#
#   bash tests/run.sh                       # everything
#   bash tests/run.sh tests/e2e -x          # paths and pytest options are passed through
#
# Installs what is missing: Debian's chromium, fonts-noto-cjk, poppler-utils and nginx (apt, as root or
# through sudo), the virtualenv .venv and the pinned requirements; starts a throwaway PostgreSQL +
# PostGIS cluster for the PostGIS backend's tests (tests/pg_cluster.sh) unless TEST_PG_DSN is set. Never runs `playwright install`:
# the browser tests drive /usr/bin/chromium. Exits non-zero if anything fails, and also when no
# test ran (pytest's exit code 5).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"

# --- system packages ----------------------------------------------------------------------------
APT_PACKAGES=(chromium fonts-noto-cjk poppler-utils nginx)  # nginx: tests/e2e/test_replicas.py
if ! "$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1 && [ ! -x "$VENV/bin/python" ]; then
    APT_PACKAGES+=(python3-venv)  # Debian's python3 has no ensurepip without it
fi
missing=()
for package in "${APT_PACKAGES[@]}"; do
    if [ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" != "install ok installed" ]; then
        missing+=("$package")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "run.sh: installing ${missing[*]}" >&2
    if [ "$(id -u)" -eq 0 ]; then
        as_root=()
    elif command -v sudo >/dev/null 2>&1; then
        as_root=(sudo)
    else
        echo "run.sh: missing Debian packages ${missing[*]}; run as root or install them" >&2
        exit 2
    fi
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq "${missing[@]}" >/dev/null  # with recommends, as tested
fi

# --- virtualenv and Python packages ---------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
    echo "run.sh: creating $VENV" >&2
    "$PYTHON" -m venv "$VENV"
fi
# Skip pip when the requirement files have not changed since the last successful install.
stamp="$VENV/.requirements.sha256"
wanted="$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "run.sh: installing requirements.txt requirements-dev.txt" >&2
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
        -r requirements.txt -r requirements-dev.txt
    echo "$wanted" > "$stamp"
fi

# --- PostgreSQL + PostGIS -------------------------------------------------------------------------
# The PostGIS backend's tests need a real server: start a throwaway cluster (installs Debian's
# postgresql-15-postgis-3 when missing), export its DSN to the tests, stop and delete it on exit.
if [ -z "${TEST_PG_DSN:-}" ]; then
    eval "$(bash "$ROOT/tests/pg_cluster.sh" start)"
    trap 'bash "$ROOT/tests/pg_cluster.sh" stop "$TEST_PG_DIR"' EXIT
    echo "run.sh: PostGIS for the tests at $TEST_PG_DSN" >&2
fi
export TEST_PG_DSN TEST_PG_DIR

# --- tests ----------------------------------------------------------------------------------------
# Default to the whole suite unless a test path was given.
targets=(tests)
for arg in "$@"; do
    if [ -e "${arg%%::*}" ]; then
        targets=()
        break
    fi
done
status=0
"$VENV/bin/python" -m pytest -q "${targets[@]}" "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "run.sh: no tests were collected; failing" >&2
fi
exit "$status"
