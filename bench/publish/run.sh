#!/usr/bin/env bash
# Sellcast's publishing benchmark (issue 4): N posts due in the same minute (due times spread
# evenly over [T, T + 60 s)), published through the app layer's publish job to a fake Mastodon
# and a fake Bluesky that answer in 20 ms; on SQLite, then on PostgreSQL. Then, as a secondary
# throughput row, the same N all due at the single instant T ("burst"). Prints a Markdown table
# with the goals (all published by T + 62 s, i.e. the minute plus the 2 s lateness allowance;
# p99 lateness ≤ 2 s; no duplicates) on stdout; progress goes to stderr.
#
#   bash bench/publish/run.sh
#
# Knobs (environment): POSTS (100000), CONCURRENCY (publish_concurrency, 200), POOL (database
# connections, the product's default 10), LATENCY_MS (the fakes' latency, 20), CREATE_TASKS
# (parallel tasks creating and scheduling posts, 8), TIMEOUT_SECS (a run that has not
# finished by then fails, 900), BACKENDS ("sqlite postgres"), MODES ("spread burst"; "spread"
# alone skips the burst rows),
# SELLCAST_BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/postgres; each run makes and
# drops its own schema there), OUT_DIR (where the raw JSON and logs go; a new temp dir).
# See bench/README.md for what is measured and the last results.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
POSTS="${POSTS:-100000}"
CONCURRENCY="${CONCURRENCY:-200}"
POOL="${POOL:-10}"
LATENCY_MS="${LATENCY_MS:-20}"
CREATE_TASKS="${CREATE_TASKS:-8}"
TIMEOUT_SECS="${TIMEOUT_SECS:-900}"
BACKENDS="${BACKENDS:-sqlite postgres}"
MODES="${MODES:-spread burst}"
PG_URL="${SELLCAST_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
OUT_DIR="${OUT_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/sellcast-publish-bench.XXXXXX")}"
mkdir -p "$OUT_DIR"

log() { echo "[run.sh] $*" >&2; }
die() {
    log "error: $*"
    exit 1
}

need() {
    command -v "$1" >/dev/null 2>&1 || die "$1 is not installed ($2)"
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

build() {
    need cargo "the Rust toolchain"
    log "building the benchmark (release)"
    (cd "$ROOT" && cargo build --release -p sellcast --example publish_bench >&2)
    BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/publish_bench"
    [ -x "$BIN" ] || die "no binary at $BIN"
}

describe_machine() {
    {
        echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
        # Others edit the code while this runs: say which code was measured.
        echo "commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- crates 2>/dev/null || echo ' + uncommitted changes in crates/')"
        echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') ($(nproc) cores)"
        echo "memory=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
        echo "rustc=$(rustc --version 2>/dev/null || echo '?')"
        if [[ " $BACKENDS " == *" postgres "* ]]; then
            echo "postgres=$(psql "$PG_URL" -Atc 'SHOW server_version' 2>/dev/null || echo '?')"
            echo "postgres_settings=$(psql "$PG_URL" -Atc "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings WHERE name IN ('autovacuum', 'fsync', 'synchronous_commit', 'shared_buffers', 'max_connections')" 2>/dev/null || echo '?')"
        fi
        echo "settings=MODES=$MODES POSTS=$POSTS CONCURRENCY=$CONCURRENCY POOL=$POOL LATENCY_MS=$LATENCY_MS CREATE_TASKS=$CREATE_TASKS"
    } >"$OUT_DIR/env.txt"
}

FAILED=0
RESULTS=()

run_backend() {
    local backend="$1" mode="$2"
    local args=(--backend "$backend" --posts "$POSTS" --concurrency "$CONCURRENCY" --pool "$POOL"
        --latency-ms "$LATENCY_MS" --create-tasks "$CREATE_TASKS" --timeout-secs "$TIMEOUT_SECS")
    [ "$backend" = postgres ] && args+=(--database-url "$PG_URL")
    [ "$mode" = burst ] && args+=(--burst)
    local name="$backend-$mode"
    sleep 2 # let the previous run's writes settle
    log "$backend, $mode: $POSTS posts (load average $(cut -d' ' -f1 /proc/loadavg))"
    local start=$SECONDS
    if "$BIN" "${args[@]}" >"$OUT_DIR/$name.json" 2>"$OUT_DIR/$name.log"; then
        log "  $(grep -E 'all published|settled' "$OUT_DIR/$name.log" | tail -n1) ($((SECONDS - start)) s in all)"
        RESULTS+=("$OUT_DIR/$name.json")
    else
        FAILED=1
        log "  FAILED; the end of $OUT_DIR/$name.log:"
        tail -n 5 "$OUT_DIR/$name.log" >&2 || true
    fi
}

[[ " $BACKENDS " == *" postgres "* ]] && ensure_postgres
build
describe_machine
log "results and logs in $OUT_DIR"
for mode in $MODES; do
    for backend in $BACKENDS; do
        run_backend "$backend" "$mode"
    done
done

{
    echo "Run of $(sed -n 's/^date=//p' "$OUT_DIR/env.txt") at commit $(sed -n 's/^commit=//p' "$OUT_DIR/env.txt"), on $(sed -n 's/^cpu=//p' "$OUT_DIR/env.txt"), $(sed -n 's/^memory=//p' "$OUT_DIR/env.txt")."
    echo "$(sed -n 's/^rustc=//p' "$OUT_DIR/env.txt"); PostgreSQL $(sed -n 's/^postgres=//p' "$OUT_DIR/env.txt") ($(sed -n 's/^postgres_settings=//p' "$OUT_DIR/env.txt")); fake latency $LATENCY_MS ms, database pool $POOL."
    echo
    if [ "${#RESULTS[@]}" -gt 0 ]; then
        "$BIN" --report "${RESULTS[@]}"
    fi
} | tee "$OUT_DIR/table.md"
[ "$FAILED" = 0 ] || die "some runs failed; see the logs in $OUT_DIR"
