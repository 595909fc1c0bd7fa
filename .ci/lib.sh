# Shared by .ci/test and .ci/run: make sure the machine has what the tests talk to.
# Everything comes from the package registries and is pinned (.ci/package-lock.json,
# .ci/requirements.txt); nothing here is assumed to survive from an earlier machine.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export SELLCAST_TEST_POSTGRES_URL="${SELLCAST_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
# A clean build from scratch (CI's case) is quicker without incremental caches and debug info;
# a failing assertion still names its file and line. Every script sets the same, so clippy,
# the tests and schemathesis share one build.
export CARGO_INCREMENTAL=0 CARGO_PROFILE_DEV_DEBUG=0
CI_START="${CI_START:-$(date +%s)}"
export CI_START

# A heading with the seconds since CI started, so a log shows where the time goes.
phase() {
    echo "== $* (at $(($(date +%s) - CI_START)) s)"
}

ensure_postgres() {
    if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
        echo "starting PostgreSQL"
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
        for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
    fi
    pg_isready -h 127.0.0.1 -p 5432
}

ensure_node_peers() {
    if [ ! -x "$ROOT/.ci/node_modules/.bin/maildev" ]; then
        echo "installing test peers from npm (maildev)"
        npm ci --prefix "$ROOT/.ci" --no-audit --no-fund --loglevel=error
    fi
}

ensure_python_tools() {
    if [ ! -x "$ROOT/.ci/venv/bin/schemathesis" ]; then
        echo "installing schemathesis from PyPI"
        python3 -m venv "$ROOT/.ci/venv"
        "$ROOT/.ci/venv/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/.ci/requirements.txt"
    fi
}

# The real Bluesky PDS (@atproto/pds from npm, pinned in .ci/pds/package-lock.json).
ensure_pds() {
    if [ ! -d "$ROOT/.ci/pds/node_modules/@atproto/pds" ]; then
        echo "installing the Bluesky PDS from npm (about 2 minutes)"
        npm ci --prefix "$ROOT/.ci/pds" --no-audit --no-fund --loglevel=error
    fi
}

# The real S3 server (s3s-fs from crates.io) the media tests talk to.
ensure_s3s() {
    bash "$ROOT/.ci/s3s.sh" >/dev/null
}
export SELLCAST_TEST_S3S_FS="$ROOT/.ci/tools/bin/s3s-fs"

# Debian's Chromium + chromedriver and axe-core (pinned in .ci/axe/package-lock.json) for the
# browser tests (crates/http/tests/it/browser.rs).
ensure_browser() {
    if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
        echo "installing chromium and chromium-driver from Debian"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver
    fi
    if [ ! -f "$ROOT/.ci/axe/node_modules/axe-core/axe.min.js" ]; then
        echo "installing axe-core from npm"
        npm ci --prefix "$ROOT/.ci/axe" --no-audit --no-fund --loglevel=error
    fi
}

ensure_peers() {
    ensure_postgres
    ensure_node_peers
    ensure_python_tools
    ensure_pds
    ensure_s3s
    ensure_browser
}

# Installing the peers is mostly downloads and one small cargo build: done in the background
# while the workspace compiles (clippy, then the tests), it costs no wall time. Both scripts
# run in one shell (.ci/run sources .ci/test), so the second call finds the first's job.
start_peers() {
    if [ -z "${CI_PEERS_PID:-}" ]; then
        CI_PEERS_LOG="$(mktemp)"
        ensure_peers >"$CI_PEERS_LOG" 2>&1 &
        CI_PEERS_PID=$!
    fi
}

wait_for_peers() {
    local status=0
    wait "$CI_PEERS_PID" || status=$?
    cat "$CI_PEERS_LOG"
    rm -f "$CI_PEERS_LOG"
    if [ "$status" -ne 0 ]; then
        echo "installing the test peers failed (status $status)"
        exit "$status"
    fi
}
