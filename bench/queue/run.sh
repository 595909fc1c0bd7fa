#!/usr/bin/env bash
# Sellcast's durable job queue (SQLite and PostgreSQL) against BullMQ on the local Redis,
# on this machine, in one run: throughput and scheduling precision. Prints a Markdown
# table with the goals and the Sellcast/BullMQ ratios on stdout; progress goes to stderr.
#
#   bash bench/queue/run.sh
#
# Knobs (environment): JOBS (throughput jobs, 100000), PRECISION_JOBS (10000),
# CONCURRENCY (50), DELAY_MS (precision: T = enqueue start + DELAY_MS, 5000),
# TIMEOUT_SECS (a measurement that has not finished by then fails, 300),
# SELLCAST_BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/postgres; each run makes
# and drops its own schema there), OUT_DIR (where the raw JSON and logs go; a new temp dir).
# See bench/README.md for what is measured and the last results.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
JOBS="${JOBS:-100000}"
PRECISION_JOBS="${PRECISION_JOBS:-10000}"
CONCURRENCY="${CONCURRENCY:-50}"
DELAY_MS="${DELAY_MS:-5000}"
TIMEOUT_SECS="${TIMEOUT_SECS:-300}"
PG_URL="${SELLCAST_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
REDIS_HOST=127.0.0.1
REDIS_PORT=6379
OUT_DIR="${OUT_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/sellcast-queue-bench.XXXXXX")}"
mkdir -p "$OUT_DIR"

log() { echo "[run.sh] $*" >&2; }
die() {
    log "error: $*"
    exit 1
}

need() {
    command -v "$1" >/dev/null 2>&1 || die "$1 is not installed ($2)"
}

install_redis() {
    if command -v redis-server >/dev/null 2>&1; then return; fi
    [ "$(id -u)" = 0 ] || die "redis-server is not installed (apt-get install redis-server)"
    log "installing redis-server from Debian's packages"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >&2
}

ensure_redis() {
    install_redis
    if ! redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
        log "starting Redis on $REDIS_HOST:$REDIS_PORT"
        redis-server --daemonize yes --bind "$REDIS_HOST" --port "$REDIS_PORT" --save "" --appendonly no >&2
        for _ in $(seq 1 50); do
            redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break
            sleep 0.2
        done
    fi
    redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG || die "Redis does not answer on $REDIS_HOST:$REDIS_PORT"
}

ensure_postgres() {
    need pg_isready "PostgreSQL client tools"
    if ! pg_isready -q -d "$PG_URL" 2>/dev/null; then
        if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
            local version
            version="$(ls /etc/postgresql | sort -V | tail -n1)"
            log "starting PostgreSQL $version"
            pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
            for _ in $(seq 1 30); do
                pg_isready -q -d "$PG_URL" 2>/dev/null && break
                sleep 1
            done
        fi
    fi
    pg_isready -q -d "$PG_URL" 2>/dev/null || die "PostgreSQL does not answer at $PG_URL"
}

ensure_bullmq() {
    need node "Node.js >= 20"
    need npm "npm"
    if [ ! -f "$HERE/bullmq/node_modules/bullmq/package.json" ] || [ ! -f "$HERE/bullmq/node_modules/ioredis/package.json" ]; then
        log "installing BullMQ's dependencies (npm install)"
        # Not `npm ci`: the lockfile lacks some platform packages and npm ci refuses it here.
        (cd "$HERE/bullmq" && npm install --no-audit --no-fund --loglevel=error >&2)
    fi
}

build() {
    need cargo "the Rust toolchain"
    log "building the Sellcast example (release)"
    (cd "$ROOT" && cargo build --release -p sellcast-queue --example queue_bench >&2)
    BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/queue_bench"
    [ -x "$BIN" ] || die "no binary at $BIN"
}

describe_machine() {
    {
        echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
        # Others edit the queue while this runs: say which code was measured.
        echo "commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- crates 2>/dev/null || echo ' + uncommitted changes in crates/')"
        echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') ($(nproc) cores)"
        echo "memory=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
        echo "rustc=$(rustc --version 2>/dev/null || echo '?')"
        echo "postgres=$(psql "$PG_URL" -Atc 'SHOW server_version' 2>/dev/null || echo '?')"
        echo "postgres_settings=$(psql "$PG_URL" -Atc "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings WHERE name IN ('autovacuum', 'fsync', 'synchronous_commit', 'shared_buffers')" 2>/dev/null || echo '?')"
        echo "redis=$(redis-server --version | awk '{ print $3 }' | sed 's/^v=//') (--save \"\" --appendonly no unless it was already running)"
        echo "node=$(node --version)"
        echo "bullmq=$(node -p "require('$HERE/bullmq/node_modules/bullmq/package.json').version")"
    } >"$OUT_DIR/env.txt"
}

FAILED=0

# run_one NAME COMMAND...: the command's JSON line into NAME.json, its stderr into NAME.log.
run_one() {
    local name="$1"
    shift
    sleep 2 # let the previous run's writes settle
    cut -d' ' -f1 /proc/loadavg >"$OUT_DIR/$name.load"
    log "$name (load average $(cat "$OUT_DIR/$name.load"))"
    local start=$SECONDS
    if "$@" >"$OUT_DIR/$name.json" 2>"$OUT_DIR/$name.log"; then
        log "  $(tail -n1 "$OUT_DIR/$name.json") ($((SECONDS - start)) s)"
    else
        FAILED=1
        log "  FAILED; the end of $OUT_DIR/$name.log:"
        tail -n 5 "$OUT_DIR/$name.log" >&2 || true
    fi
}

sellcast() {
    local backend="$1" mode="$2" jobs="$3"
    local args=(--backend "$backend" --mode "$mode" --jobs "$jobs" --concurrency "$CONCURRENCY" --delay-ms "$DELAY_MS"
        --timeout-secs "$TIMEOUT_SECS")
    [ "$backend" = postgres ] && args+=(--database-url "$PG_URL")
    run_one "$mode-sellcast-$backend" "$BIN" "${args[@]}"
}

bullmq() {
    local mode="$1" jobs="$2"
    run_one "$mode-bullmq" env REDIS_HOST="$REDIS_HOST" REDIS_PORT="$REDIS_PORT" \
        node "$HERE/bullmq/bench.js" --mode "$mode" --jobs "$jobs" --concurrency "$CONCURRENCY" --delay-ms "$DELAY_MS" \
        --timeout-secs "$TIMEOUT_SECS"
}

ensure_postgres
ensure_redis
ensure_bullmq
build
describe_machine
log "results and logs in $OUT_DIR"

sellcast sqlite throughput "$JOBS"
sellcast postgres throughput "$JOBS"
bullmq throughput "$JOBS"
sellcast sqlite precision "$PRECISION_JOBS"
sellcast postgres precision "$PRECISION_JOBS"
bullmq precision "$PRECISION_JOBS"

node "$HERE/report.js" "$OUT_DIR" | tee "$OUT_DIR/table.md"
[ "$FAILED" = 0 ] || die "some measurements failed; see the logs in $OUT_DIR"
