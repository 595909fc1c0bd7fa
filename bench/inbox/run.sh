#!/usr/bin/env bash
# Sellcast's inbox webhook benchmark (issue 13): the release binary on SQLite, then on PostgreSQL,
# with one org and one Facebook Page channel (account 424242), and wrk POSTing signed Messenger
# deliveries (bench/inbox/bodies.py: a unique mid each, SENDERS customers) to /webhooks/meta on
# loopback. Three runs per backend:
#
#   paced      SEED_RATE deliveries/s on a fixed schedule (the seed's sustained target, 100/s) for DURATION
#   sustained  as fast as CONNECTIONS connections go, for DURATION
#   burst      BURST deliveries (the seed's burst, 1,000) as fast as CONNECTIONS connections go
#
# For each: acknowledged deliveries/s, p50/p99 acknowledgement latency (wrk --latency), the time
# from the last acknowledgement until every acknowledged message is in `messages` and every stored
# delivery processed (the database polled every 50 ms), receive → processed per delivery (from the
# events' own timestamps), lost (acknowledged − stored messages) and doubled messages, and the
# server's peak RSS. After the sustained run the API is asked once whether it shows them all.
# Prints a Markdown table on stdout; progress goes to stderr.
#
#   bash bench/inbox/run.sh
#
# Knobs (environment): BACKENDS ("sqlite postgres"), DURATION (10s), CONNECTIONS (64), BURST
# (1000), SEED_RATE (100), SENDERS (8), BODIES_PER_SECOND (30000: signed bodies made per second of
# DURATION for the sustained run; a run that needs more repeats bodies and says so),
# SELLCAST_BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/postgres; each run makes and drops
# its own schema there), RESULTS_DIR (raw wrk output, logs, JSON; a new temp dir), PORT (18090),
# SELLCAST_BENCH_BIN (a binary to run instead of building this checkout's), PROFILE (1: `perf
# record -g` the server during the sustained run, from its start until the backlog is processed;
# RESULTS_DIR/<backend>-sustained.perf.data and a `perf report` summary next to it; PERF_ARGS
# ("-g -F 499"), e.g. "--call-graph dwarf -F 199" for callers in this binary without frame pointers).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BACKENDS="${BACKENDS:-sqlite postgres}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
BURST="${BURST:-1000}"
SEED_RATE="${SEED_RATE:-100}"
SENDERS="${SENDERS:-8}"
BODIES_PER_SECOND="${BODIES_PER_SECOND:-30000}"
PROFILE="${PROFILE:-}"
PERF_ARGS="${PERF_ARGS:--g -F 499}"
PG_URL="${SELLCAST_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
RESULTS_DIR="${RESULTS_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/sellcast-inbox-bench.XXXXXX")}"
PORT="${PORT:-18090}"
SECRET="bench-meta-app-secret"
PAGE_ID="424242"
# The paced run: requests start on a schedule of SEED_RATE per second, over this many connections.
PACED_CONNECTIONS=16
mkdir -p "$RESULTS_DIR"

log() { echo "[inbox-bench] $*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# DURATION in seconds (wrk's forms: 10, 10s, 2m, 1h).
duration_seconds() {
    case "$DURATION" in
        *h) echo $((${DURATION%h} * 3600)) ;;
        *m) echo $((${DURATION%m} * 60)) ;;
        *s) echo "${DURATION%s}" ;;
        *) echo "$DURATION" ;;
    esac
}

ensure_tools() {
    if ! command -v wrk >/dev/null 2>&1; then
        log "installing wrk from Debian"
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >&2
    fi
    command -v python3 >/dev/null || die "python3 is needed"
    if [[ " $BACKENDS " == *" postgres "* ]]; then
        command -v psql >/dev/null || die "psql is needed for the PostgreSQL run"
    fi
    if [ -n "$PROFILE" ]; then
        command -v perf >/dev/null || die "PROFILE needs perf"
    fi
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
SAMPLER_PID=""
PERF_PID=""
stop_pid() {
    local pid="$1" signal="${2:-TERM}"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "-$signal" "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
}
stop_server() {
    stop_pid "$PERF_PID" INT
    stop_pid "$SAMPLER_PID"
    stop_pid "$SERVER_PID"
    PERF_PID="" SAMPLER_PID="" SERVER_PID=""
}
SCHEMA=""
cleanup() {
    stop_server
    if [ -n "$SCHEMA" ]; then
        psql "$PG_URL" -qc "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

start_server() {
    local backend="$1" data="$2"
    local env=(SELLCAST_DATA_DIR="$data" SELLCAST_BIND="127.0.0.1:$PORT" SELLCAST_LOG_LEVEL=warn
        SELLCAST_META_APP_SECRET="$SECRET"
        SELLCAST_RATE_LIMIT_IP_PER_MINUTE=0 SELLCAST_RATE_LIMIT_USER_PER_MINUTE=0 SELLCAST_RATE_LIMIT_LOGIN_PER_MINUTE=0)
    if [ "$backend" = postgres ]; then
        local sep="?"
        [[ "$PG_URL" == *"?"* ]] && sep="&"
        env+=(SELLCAST_DATABASE_URL="$PG_URL${sep}options[search_path]=$SCHEMA")
    fi
    env "${env[@]}" "$BIN" serve >"$RESULTS_DIR/$backend-server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 150); do
        curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.2
    done
    die "the server did not start; see $RESULTS_DIR/$backend-server.log"
}

# The server's peak RSS in MiB since the last reset_peak (VmHWM).
peak_rss() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$SERVER_PID/status"; }
# Writing 5 to clear_refs resets VmHWM to the current RSS (Linux), so each run has its own peak.
reset_peak() { echo 5 >"/proc/$SERVER_PID/clear_refs" 2>/dev/null || true; }


make_bodies() {
    local secs
    secs="$(duration_seconds)"
    log "signing bodies: $((SEED_RATE * secs * 2 + 100)) paced, $((BODIES_PER_SECOND * secs)) sustained, $BURST burst"
    python3 "$HERE/bodies.py" "$SECRET" "$PAGE_ID" paced $((SEED_RATE * secs * 2 + 100)) "$SENDERS" >"$RESULTS_DIR/paced.tsv"
    python3 "$HERE/bodies.py" "$SECRET" "$PAGE_ID" sustained $((BODIES_PER_SECOND * secs)) "$SENDERS" >"$RESULTS_DIR/sustained.tsv"
    python3 "$HERE/bodies.py" "$SECRET" "$PAGE_ID" burst "$BURST" "$SENDERS" >"$RESULTS_DIR/burst.tsv"
}

# One run: wrk with the given body file, then wait until everything acknowledged is processed.
# Appends one JSON object to RESULTS_DIR/results.jsonl.
run_one() {
    local backend="$1" name="$2" conns="$3" duration="$4" limit="$5" rate="$6"
    local base_id base_messages prefix="$RESULTS_DIR/$backend-$name"
    read -r base_id base_messages < <(python3 "$HERE/measure.py" baseline)
    reset_peak
    python3 "$HERE/measure.py" sample 1 >"$prefix-backlog.txt" 2>/dev/null &
    SAMPLER_PID=$!
    if [ -n "$PROFILE" ] && [ "$name" = sustained ]; then
        perf record $PERF_ARGS -p "$SERVER_PID" -o "$prefix.perf.data" >"$prefix.perf.log" 2>&1 &
        PERF_PID=$!
        sleep 0.5
    fi
    # The poller starts before wrk (a burst is watched while it runs: wrk itself keeps sleeping
    # until its duration is over); after a timed run wrk's done() writes the count it waits for.
    local waiter
    rm -f "$prefix-acked"
    if [ "$limit" -gt 0 ]; then
        echo "$limit" >"$prefix-acked"
    fi
    python3 "$HERE/measure.py" wait "@$prefix-acked" "$base_id" "$base_messages" 300 >"$prefix-wait.json" &
    waiter=$!
    local load
    load="$(cut -d' ' -f1 /proc/loadavg)"
    wrk -t1 -c"$conns" -d"$duration" --timeout 10s --latency -s "$HERE/webhooks.lua" "http://127.0.0.1:$PORT" \
        -- "$RESULTS_DIR/$name.tsv" "$limit" "$rate" 1 "$prefix-acked" >"$prefix.txt" 2>&1 || die "wrk failed; see $prefix.txt"
    local result
    result="$(sed -n 's/^RESULT //p' "$prefix.txt")"
    [ -n "$result" ] || die "no result from wrk; see $prefix.txt"
    wait "$waiter" || die "waiting for the deliveries to be processed failed"
    stop_pid "$PERF_PID" INT
    PERF_PID=""
    stop_pid "$SAMPLER_PID"
    SAMPLER_PID=""
    python3 "$HERE/report.py" row "$backend" "$name" "$conns" "$load" "$(peak_rss)" "$prefix.txt" "$prefix-wait.json" \
        "$prefix-backlog.txt" >>"$RESULTS_DIR/results.jsonl"
    log "  $backend $name: $(python3 "$HERE/report.py" brief "$(tail -n1 "$RESULTS_DIR/results.jsonl")")"
    if [ -n "$PROFILE" ] && [ "$name" = sustained ]; then
        perf report -i "$prefix.perf.data" --no-children --sort dso,symbol --percent-limit 0.5 --stdio \
            >"$prefix.perf.txt" 2>/dev/null || true
        perf report -i "$prefix.perf.data" --no-children --sort comm --stdio >"$prefix.perf-threads.txt" 2>/dev/null || true
    fi
}

run_backend() {
    local backend="$1"
    local data
    data="$(mktemp -d "${TMPDIR:-/tmp}/sellcast-inbox-bench-data.XXXXXX")"
    export BENCH_BACKEND="$backend" BENCH_SQLITE="$data/sellcast.db" BENCH_PG_URL="$PG_URL"
    if [ "$backend" = postgres ]; then
        SCHEMA="bench_inbox_$(date +%s)"
        export BENCH_PG_SCHEMA="$SCHEMA"
        psql "$PG_URL" -qc "CREATE SCHEMA $SCHEMA" >/dev/null
    fi
    start_server "$backend" "$data"
    log "$backend: server $SERVER_PID, registering and connecting the Page"
    local reg token org channel
    reg="$(curl -fsS -H 'Content-Type: application/json' "http://127.0.0.1:$PORT/api/v1/auth/register" \
        -d '{"email":"bench@sellcast.local","password":"Bench-Pass-2026","name":"Bench","organization_name":"Bench Shop"}')" \
        || die "registering failed"
    token="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["access_token"])' "$reg")"
    org="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["organization"]["id"])' "$reg")"
    channel="$(python3 -c 'import uuid; print(uuid.uuid4())')"
    python3 "$HERE/measure.py" channel "$org" "$channel" "$PAGE_ID"
    # One delivery through the whole path before measuring.
    local probe code
    probe="$(python3 "$HERE/bodies.py" "$SECRET" "$PAGE_ID" probe 1 1)"
    code="$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
        -H "X-Hub-Signature-256: ${probe%%$'\t'*}" --data-binary "${probe#*$'\t'}" "http://127.0.0.1:$PORT/webhooks/meta")"
    [ "$code" = 200 ] || die "the probe delivery was answered $code"
    for _ in $(seq 1 100); do
        [ "$(python3 "$HERE/measure.py" baseline | cut -d' ' -f2)" = 1 ] && break
        sleep 0.1
    done
    [ "$(python3 "$HERE/measure.py" baseline | cut -d' ' -f2)" = 1 ] || die "the probe delivery never became a message"
    sleep 1

    log "$backend: paced, $SEED_RATE/s ($PACED_CONNECTIONS connections) for $DURATION"
    run_one "$backend" paced "$PACED_CONNECTIONS" "$DURATION" 0 "$SEED_RATE"
    log "$backend: sustained, $CONNECTIONS connections for $DURATION"
    run_one "$backend" sustained "$CONNECTIONS" "$DURATION" 0 0
    local stored
    stored="$(python3 "$HERE/measure.py" baseline | cut -d' ' -f2)"
    log "$backend: checking the API shows all $stored messages"
    python3 "$HERE/api_check.py" "http://127.0.0.1:$PORT" "$token" "$org" "$stored" >"$RESULTS_DIR/$backend-api-check.json" \
        || log "  the API check FAILED: $(cat "$RESULTS_DIR/$backend-api-check.json")"
    log "  $(cat "$RESULTS_DIR/$backend-api-check.json")"
    log "$backend: burst of $BURST, $CONNECTIONS connections"
    run_one "$backend" burst "$CONNECTIONS" 10s "$BURST" 0
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps({"backend": sys.argv[2], "run": "api", **r}))' \
        "$RESULTS_DIR/$backend-api-check.json" "$backend" >>"$RESULTS_DIR/results.jsonl"
    grep -iE 'error|panic' "$RESULTS_DIR/$backend-server.log" | head -5 >&2 || true
    stop_server
    rm -rf "$data"
    if [ "$backend" = postgres ]; then
        psql "$PG_URL" -qc "DROP SCHEMA $SCHEMA CASCADE" >/dev/null
        SCHEMA=""
    fi
}

main() {
    ensure_tools
    build
    log "results in $RESULTS_DIR"
    make_bodies
    for backend in $BACKENDS; do
        run_backend "$backend"
    done
    {
        echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC') of $BIN (checkout at $(git -C "$ROOT" rev-parse --short HEAD)), $(nproc) cores, wrk -t1 on the same machine, $DURATION per timed run, $SENDERS senders."
        echo
        python3 "$HERE/report.py" table "$RESULTS_DIR/results.jsonl"
    } | tee "$RESULTS_DIR/table.md"
}

# Sourcing the script (for one-off experiments) defines the functions without running.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    main
fi
