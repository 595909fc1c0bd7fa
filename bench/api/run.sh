#!/usr/bin/env bash
# Sellcast's read-path benchmark (issue 12): the release binary on SQLite, then on PostgreSQL,
# with a realistic org (bench/api/seed.py: 1,000 posts × 3 variants, 20 channels, 5 clients,
# media) and wrk against /healthz, /api/v1/me, the posts list (limit 20 and 100), one post, the
# calendar month and the dashboard page, each at 16 and 256 connections. Prints a Markdown
# table (req/s, p50, p99) and each run's peak RSS; progress goes to stderr.
#
#   bash bench/api/run.sh
#
# Knobs (environment): BACKENDS ("sqlite postgres"), CONNECTIONS ("16 256"), DURATION (10s),
# POSTS (1000), SELLCAST_BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/postgres; each
# run makes and drops its own schema there), RESULTS_DIR (raw wrk output and logs; a new temp dir),
# ONLY (a space-separated subset of the request names below), SELLCAST_BENCH_BIN (a binary to run
# instead of building this checkout's, e.g. an earlier commit's, to compare both on one machine).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BACKENDS="${BACKENDS:-sqlite postgres}"
CONNECTIONS="${CONNECTIONS:-16 256}"
DURATION="${DURATION:-10s}"
POSTS="${POSTS:-1000}"
PG_URL="${SELLCAST_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
RESULTS_DIR="${RESULTS_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/sellcast-api-bench.XXXXXX")}"
PORT="${PORT:-18080}"
mkdir -p "$RESULTS_DIR"

log() { echo "[api-bench] $*" >&2; }
die() {
    log "error: $*"
    exit 1
}

ensure_tools() {
    if ! command -v wrk >/dev/null 2>&1; then
        log "installing wrk from Debian"
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >&2
    fi
    command -v python3 >/dev/null || die "python3 is needed to seed"
}

build() {
    if [ -n "${SELLCAST_BENCH_BIN:-}" ]; then
        BIN="$SELLCAST_BENCH_BIN"
        [ -x "$BIN" ] || die "no binary at $BIN"
        return
    fi
    log "building the release binary"
    # Without RESULTS_DIR-like variables a build script reads (OUT_DIR would make cargo rebuild ring).
    (cd "$ROOT" && env -u OUT_DIR cargo build --release -p sellcast >&2)
    BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/sellcast"
    [ -x "$BIN" ] || die "no binary at $BIN"
}

SERVER_PID=""
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
trap stop_server EXIT

start_server() {
    local backend="$1" data="$2"
    local env=(SELLCAST_DATA_DIR="$data" SELLCAST_BIND="127.0.0.1:$PORT" SELLCAST_LOG_LEVEL=warn
        SELLCAST_RATE_LIMIT_IP_PER_MINUTE=0 SELLCAST_RATE_LIMIT_USER_PER_MINUTE=0 SELLCAST_RATE_LIMIT_LOGIN_PER_MINUTE=0)
    if [ "$backend" = postgres ]; then
        local sep="?"
        [[ "$PG_URL" == *"?"* ]] && sep="&"
        env+=(SELLCAST_DATABASE_URL="$PG_URL${sep}options[search_path]=$SCHEMA")
    fi
    env "${env[@]}" "$BIN" serve >"$RESULTS_DIR/$backend-server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    die "the server did not start; see $RESULTS_DIR/$backend-server.log"
}

# name|path|auth (bearer or cookie or none)
requests() {
    local org="$1" post="$2" from="$3" to="$4"
    cat <<LIST
healthz|/healthz|none
me|/api/v1/me|bearer
posts-20|/api/v1/orgs/$org/posts?limit=20|bearer
posts-100|/api/v1/orgs/$org/posts?limit=100|bearer
post|/api/v1/orgs/$org/posts/$post|bearer
calendar|/api/v1/orgs/$org/calendar?from=$from&to=$to&tz=Europe%2FBerlin|bearer
dashboard|/o/$org|cookie
LIST
}

# The server's peak RSS in MiB since the last reset_peak (VmHWM).
peak_rss() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$SERVER_PID/status"; }
# Writing 5 to clear_refs resets VmHWM to the current RSS (Linux), so each run has its own peak.
reset_peak() { echo 5 >"/proc/$SERVER_PID/clear_refs" 2>/dev/null || true; }

ROWS=()
run_backend() {
    local backend="$1"
    local data
    data="$(mktemp -d "${TMPDIR:-/tmp}/sellcast-api-bench-data.XXXXXX")"
    if [ "$backend" = postgres ]; then
        SCHEMA="bench_api_$(date +%s)"
        psql "$PG_URL" -qc "CREATE SCHEMA $SCHEMA" >/dev/null
    fi
    start_server "$backend" "$data"
    log "$backend: seeding $POSTS posts"
    python3 "$HERE/seed.py" "http://127.0.0.1:$PORT" "$POSTS" >"$RESULTS_DIR/$backend-seed.json"
    if [ "$backend" = postgres ]; then
        # What autovacuum does within a minute of a bulk load; without it the planner still
        # believes the tables empty and scans post_variants whole for a page's variants.
        psql "$PG_URL" -qc "SET search_path = $SCHEMA; ANALYZE" >/dev/null
    fi
    local token org post from to cookie
    token="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$RESULTS_DIR/$backend-seed.json")"
    read -r org post from to < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["org"], d["post"], d["month_from"], d["month_to"])' "$RESULTS_DIR/$backend-seed.json")
    cookie="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cookie"])' "$RESULTS_DIR/$backend-seed.json")"
    sleep 2
    ROWS+=("| $backend | peak RSS while seeding | | | | | | $(peak_rss) MiB |")
    while IFS='|' read -r name path auth; do
        if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then continue; fi
        local header=()
        case "$auth" in
            bearer) header=(-H "Authorization: Bearer $token") ;;
            cookie) header=(-H "Cookie: $cookie" -H "Accept: text/html") ;;
        esac
        local code
        code="$(curl -s -o /dev/null -w '%{http_code}' "${header[@]}" "http://127.0.0.1:$PORT$path")"
        [ "$code" = 200 ] || die "$backend $name answered $code before the load run"
        for conns in $CONNECTIONS; do
            local out="$RESULTS_DIR/$backend-$name-$conns.txt"
            reset_peak
            wrk -t2 -c"$conns" -d"$DURATION" --latency "${header[@]}" "http://127.0.0.1:$PORT$path" >"$out" 2>&1
            local rps p50 p99 errors
            rps="$(awk '/Requests\/sec/ {print $2}' "$out")"
            p50="$(awk '$1 == "50%" {print $2}' "$out")"
            p99="$(awk '$1 == "99%" {print $2}' "$out")"
            errors="$(awk '/Non-2xx or 3xx responses/ {print $5} /Socket errors/ {print "socket:" $0}' "$out" | tr '\n' ' ')"
            local rss
            rss="$(peak_rss)"
            log "  $backend $name c=$conns: ${rps} req/s, p50 $p50, p99 $p99, peak RSS $rss MiB ${errors}"
            ROWS+=("| $backend | $name | $conns | ${rps%.*} | $p50 | $p99 | ${errors:-} | $rss MiB |")
        done
    done < <(requests "$org" "$post" "$from" "$to")
    stop_server
    rm -rf "$data"
    if [ "$backend" = postgres ]; then
        psql "$PG_URL" -qc "DROP SCHEMA $SCHEMA CASCADE" >/dev/null
    fi
}

ensure_tools
build
log "results in $RESULTS_DIR"
for backend in $BACKENDS; do
    run_backend "$backend"
done
{
    echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC') of $BIN (checkout at $(git -C "$ROOT" rev-parse --short HEAD)), $(nproc) cores, wrk -t2 -d$DURATION on the same machine; $POSTS posts."
    echo
    echo "| backend | request | connections | req/s | p50 | p99 | errors | peak RSS |"
    echo "|---|---|--:|--:|--:|--:|---|--:|"
    printf '%s\n' "${ROWS[@]}"
} | tee "$RESULTS_DIR/table.md"
