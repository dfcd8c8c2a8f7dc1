#!/usr/bin/env bash
# lims developer entry point. The README's two commands:
#   ./dev.sh run    set everything up, create the demo world on SQLite, serve on :5000
#   ./dev.sh test   set everything up, run ruff and the whole suite on SQLite and PostgreSQL
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
VENV="$ROOT/.venv"
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3

log() { printf '\033[1;32m==>\033[0m %s\n' "$*" >&2; }

apt_install() {
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing system packages: ${missing[*]}"
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

setup() {
    # CJK fonts so reports never print empty boxes; fontconfig for WeasyPrint; Debian's
    # Chromium for the browser tests (tests/e2e drive /usr/bin/chromium, never a browser
    # downloaded by `playwright install`).
    if command -v apt-get >/dev/null 2>&1; then
        apt_install fonts-noto-cjk fontconfig libpango-1.0-0 libpangoft2-1.0-0 chromium poppler-utils
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating virtualenv $VENV"
        "$PY" -m venv "$VENV"
    fi
    local stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
    if [ ! -f "$stamp" ]; then
        log "installing Python packages"
        "$VENV/bin/pip" install -q --upgrade pip setuptools wheel
        "$VENV/bin/pip" install -q -e ".[test]"
        touch "$stamp"
    fi
}

postgres_up() {
    pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && return 0
    log "starting PostgreSQL"
    if command -v pg_ctlcluster >/dev/null 2>&1; then
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
    fi
    for _ in $(seq 1 30); do
        pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && return 0
        sleep 1
    done
    return 1
}

run_app() {
    setup
    export LIMS_INSTANCE_PATH="${LIMS_INSTANCE_PATH:-$ROOT/instance}"
    export LIMS_ENV="${LIMS_ENV:-development}"  # plain-HTTP session cookie on localhost
    "$VENV/bin/lims" demo
    [ -f "$LIMS_INSTANCE_PATH/keys/lab-signing.p12" ] || "$VENV/bin/lims" keys init --dir "$LIMS_INSTANCE_PATH/keys" >/dev/null
    # each lab of the network signs with its own key (issued by the CA above)
    [ -d "$LIMS_INSTANCE_PATH/keys/BZ-LAB" ] || "$VENV/bin/lims" keys init --dir "$LIMS_INSTANCE_PATH/keys" --lab all >/dev/null
    log "lims is at http://127.0.0.1:${PORT:-5000}/  (Ctrl-C stops it)"
    exec "$VENV/bin/lims" run --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
}

redis_up() {
    "$VENV/bin/python" -c "import redis; redis.Redis(host='127.0.0.1', port=6379, socket_connect_timeout=1).ping()" \
        >/dev/null 2>&1 && return 0
    command -v redis-server >/dev/null 2>&1 || return 1
    log "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null || return 1
    for _ in $(seq 1 10); do
        "$VENV/bin/python" -c "import redis; redis.Redis(host='127.0.0.1', port=6379).ping()" \
            >/dev/null 2>&1 && return 0
        sleep 1
    done
    return 1
}

run_tests() {
    setup
    log "ruff"
    "$VENV/bin/ruff" check lims tests benchmarks scripts wsgi.py
    # The embedded set-up (SQLite, jobs inline) and the production one (PostgreSQL, jobs
    # through RQ on Redis): the suite passes on both.
    log "test suite on SQLite, jobs inline"
    LIMS_TEST_DB=sqlite LIMS_REDIS_URL= "$VENV/bin/pytest" -q -p no:cacheprovider "$@"
    local redis_url=""
    if redis_up; then
        redis_url="redis://127.0.0.1:6379/0"
    elif [ "${CI:-}" = "true" ]; then
        echo "Redis at 127.0.0.1:6379 could not be started; the RQ leg is required in CI" >&2
        exit 1
    else
        echo "warning: Redis is not reachable; jobs run inline on the PostgreSQL leg too" >&2
    fi
    if postgres_up; then
        log "test suite on PostgreSQL, jobs through RQ${redis_url:+ on $redis_url}"
        LIMS_TEST_DB=postgresql LIMS_REDIS_URL="$redis_url" "$VENV/bin/pytest" -q -p no:cacheprovider "$@"
    elif [ "${CI:-}" = "true" ]; then
        echo "PostgreSQL at 127.0.0.1:5432 could not be started; the PostgreSQL leg is required in CI" >&2
        exit 1
    else
        echo "warning: PostgreSQL is not reachable; only the SQLite leg ran" >&2
    fi
}

case "${1:-}" in
    run) shift; run_app "$@" ;;
    test) shift; run_tests "$@" ;;
    setup) setup ;;
    *) echo "usage: ./dev.sh run | test [pytest args] | setup" >&2; exit 2 ;;
esac
