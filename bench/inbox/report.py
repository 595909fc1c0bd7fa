"""Rows and tables of bench/inbox/run.sh (stdlib only).

    report.py row BACKEND RUN CONNECTIONS LOAD RSS_MIB WRK_OUT WAIT_JSON BACKLOG   one JSON row
    report.py brief JSON_ROW                                                      one progress line
    report.py table RESULTS_JSONL                                                 the Markdown tables
"""

import json
import sys

GOAL_RATE = 10_000
GOAL_P99_MS = 10
GOAL_PROCESSED_MS = 5_000
SEED_SUSTAINED = 100
SEED_BURST = 1_000
NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def row(backend, run, conns, load, rss, wrk_out, wait_json, backlog):
    wrk = None
    for line in open(wrk_out):
        if line.startswith("RESULT "):
            wrk = json.loads(line[len("RESULT "):])
    if wrk is None:
        raise SystemExit(f"no RESULT line in {wrk_out}")
    waited = json.loads(open(wait_json).read())
    samples = [line.split() for line in open(backlog) if line.strip()]
    limited = wrk["limited_ok"] + wrk["limited_other"] > 0
    if limited:
        acked, t0, first = wrk["limited_ok"], wrk["last_at"], wrk["first_at"]
        ack_seconds = wrk["last_at"] - wrk["first_at"]
    else:
        acked, t0, first = wrk["requests"] - wrk["non2xx"], wrk["ended_at"], None
        ack_seconds = wrk["duration_us"] / 1e6

    def since(at, origin):
        return None if at is None else round((at - origin) * 1000)

    out = {
        "backend": backend,
        "run": run,
        "connections": int(conns),
        "load_before": float(load),
        "peak_rss_mib": int(rss),
        "acked": acked,
        "ack_seconds": ack_seconds,
        "rate": acked / ack_seconds if ack_seconds else 0,
        "visible_ms": since(waited["visible_at"], t0),
        "processed_ms": since(waited["processed_at"], t0),
        "first_to_processed_ms": since(waited["processed_at"], first) if first else None,
        # From the events' own timestamps (no polling in it): the last delivery received → the
        # last processing transaction begun; for a burst also the first received → that.
        "stored_last_ms": since(waited["last_processed_at"], waited["last_received_at"]) if waited["last_processed_at"] else None,
        "stored_span_ms": since(waited["last_processed_at"], waited["first_received_at"]) if waited["last_processed_at"] else None,
        "lost": max(0, acked - waited["messages"]),
        "stored_unacknowledged": max(0, waited["messages"] - acked),
        "max_backlog": max((int(s[2]) for s in samples), default=0),
        "wrk": wrk,
        "db": waited,
    }
    print(json.dumps(out))


def ms(us):
    return f"{us / 1000:.1f} ms" if us < 100_000 else f"{us / 1000:,.0f} ms"


def brief(r):
    w, d = r["wrk"], r["db"]
    return (
        f"{r['acked']:,} acked in {r['ack_seconds']:.2f} s ({r['rate']:,.0f}/s), p50 {ms(w['p50_us'])}, p99 {ms(w['p99_us'])}; "
        f"last ack → visible {r['visible_ms']} ms, → processed {r['processed_ms']} ms (stored: {r['stored_last_ms']} ms, "
        f"first → last processed {r['stored_span_ms']} ms); receive→processed p50 "
        f"{d['delay_p50_ms']} p99 {d['delay_p99_ms']} ms; backlog ≤ {r['max_backlog']:,}; lost {r['lost']}, "
        f"doubled {d['duplicate_ids'] + d['conversation_count_mismatch']}, non-2xx {w['non2xx']}, "
        f"socket errors {w['connect_errors'] + w['read_errors'] + w['write_errors'] + w['timeouts']}, "
        f"retried {d['retried']}, dead {d['dead']}, unmatched {d['unmatched']}, repeats sent {w['wrapped']}; "
        f"peak RSS {r['peak_rss_mib']} MiB"
    )


def table(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    runs = [r for r in rows if r["run"] != "api"]
    api = {r["backend"]: r for r in rows if r["run"] == "api"}
    target = {
        "paced": f"seed: {SEED_SUSTAINED}/s sustained",
        "sustained": f"goal: ≥ {GOAL_RATE:,}/s, p99 ≤ {GOAL_P99_MS} ms, all processed ≤ {GOAL_PROCESSED_MS / 1000:.0f} s",
        "burst": f"seed: {SEED_BURST:,} at once (1,000/s burst)",
    }
    print("| Backend | Run | Conns | Acknowledged | Acks/s | p50 ack | p99 ack | Last delivery → all processed | "
          "Receive → processed p50 / p99 / max | Max backlog | Lost | Doubled | Errors | Peak RSS | Target |")
    print("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|")
    for r in runs:
        w, d = r["wrk"], r["db"]
        errors = w["non2xx"] + w["connect_errors"] + w["read_errors"] + w["write_errors"] + w["timeouts"] + d["dead"]
        acks = f"{r['acked']:,}"
        if r["run"] == "burst":
            acks += f" in {r['ack_seconds'] * 1000:,.0f} ms"
        if r["processed_ms"] is None:
            processed = "**not settled**"
        else:
            processed = f"{r['stored_last_ms']:,} ms (polled: {r['processed_ms']:,})"
        if r["run"] == "burst" and r["stored_span_ms"] is not None:
            processed += f"; {r['stored_span_ms']:,} ms after the first"
        print(
            f"| {NAMES.get(r['backend'], r['backend'])} | {r['run']} | {r['connections']} | {acks} | **{r['rate']:,.0f}** | "
            f"{ms(w['p50_us'])} | **{ms(w['p99_us'])}** | {processed} | "
            f"{d['delay_p50_ms']:,.0f} / {d['delay_p99_ms']:,.0f} / {d['delay_max_ms']:,.0f} ms | {r['max_backlog']:,} | {r['lost']} | "
            f"{d['duplicate_ids'] + d['conversation_count_mismatch']} | {errors} | {r['peak_rss_mib']} MiB | {target[r['run']]} |"
        )
    print()
    print("Acks/s: 2xx answers ÷ wrk's run time (burst: first request → last answer). p50/p99: wrk's --latency. "
          "Last delivery → all processed: the last `processed_at` − the last `received_at` of the run's deliveries "
          "(the server's own timestamps, taken as each transaction begins); polled: from the end of wrk's run (burst: "
          "the last answer) until the database, polled every 50 ms, had every acknowledged message and no delivery "
          "pending (to within one poll). Receive → processed: "
          "`processed_at − received_at` of each delivery. Max backlog: deliveries stored but not processed, sampled every second. "
          "Lost: acknowledged − new rows of `messages`; doubled: repeated platform ids plus any difference between "
          "the conversations' message counts and the rows. Errors: non-2xx, socket errors, dead deliveries.")
    for r in runs:
        if r["wrk"]["wrapped"]:
            print(f"\n**{NAMES.get(r['backend'], r['backend'])} {r['run']}: {r['wrk']['wrapped']:,} requests repeated a body "
                  "(raise BODIES_PER_SECOND); repeats are stored once, so lost is overstated.**")
    print()
    for b, a in api.items():
        print(f"API check ({NAMES.get(b, b)}): {a['conversations']} conversations list {a['messages_listed']:,} messages "
              f"(database: {a['stored']:,}); the biggest thread paged through whole: {a['thread_paged']:,} of "
              f"{a['thread_message_count']:,}, {'ok' if a['ok'] else '**MISMATCH**'}.")
    print()
    by = {(r["backend"], r["run"]): r for r in runs}
    backends = list(dict.fromkeys(r["backend"] for r in runs))

    def cell(backend, run, measure, ok):
        r = by.get((backend, run))
        if r is None:
            return "–", None
        return measure(r), ok(r)

    goals = [
        # The server keeps up when it answers everything offered on the schedule and processes it all.
        (f"Seed: {SEED_SUSTAINED}/s sustained, all answered and processed", "paced",
         lambda r: f"{r['rate']:,.0f}/s offered and acknowledged, p99 {ms(r['wrk']['p99_us'])}, "
                   f"all processed {r['processed_ms']:,} ms after the end",
         lambda r: r["rate"] >= SEED_SUSTAINED * 0.97 and r["wrk"]["non2xx"] == 0 and r["processed_ms"] is not None),
        (f"Seed: {SEED_BURST:,}/s burst ({SEED_BURST:,} acknowledged within 1 s)", "burst",
         lambda r: f"{r['acked']:,} in {r['ack_seconds'] * 1000:,.0f} ms",
         lambda r: r["acked"] == SEED_BURST and r["ack_seconds"] <= 1),
        (f"≥ {GOAL_RATE:,} acknowledged/s", "sustained", lambda r: f"{r['rate']:,.0f}/s", lambda r: r["rate"] >= GOAL_RATE),
        (f"p99 acknowledgement ≤ {GOAL_P99_MS} ms", "sustained", lambda r: ms(r["wrk"]["p99_us"]),
         lambda r: r["wrk"]["p99_us"] <= GOAL_P99_MS * 1000),
        (f"All processed ≤ {GOAL_PROCESSED_MS / 1000:.0f} s after the last (polled)", "sustained",
         lambda r: f"{r['processed_ms']:,} ms" if r["processed_ms"] is not None else "not settled",
         lambda r: r["processed_ms"] is not None and r["processed_ms"] <= GOAL_PROCESSED_MS),
    ]
    print("| Goal | " + " | ".join(NAMES.get(b, b) for b in backends) + " |")
    print("|---|" + "---|" * len(backends))
    for title, run, measure, ok in goals:
        cells = []
        for b in backends:
            text, met = cell(b, run, measure, ok)
            cells.append(text if met is None else f"{text} — {'met' if met else '**not met**'}")
        print(f"| {title} | " + " | ".join(cells) + " |")
    cells = []
    for b in backends:
        rs = [r for r in runs if r["backend"] == b]
        lost = sum(r["lost"] for r in rs)
        doubled = sum(r["db"]["duplicate_ids"] + r["db"]["conversation_count_mismatch"] for r in rs)
        met = lost == 0 and doubled == 0 and api.get(b, {}).get("ok", False)
        cells.append(f"lost {lost}, doubled {doubled}, API {'ok' if api.get(b, {}).get('ok') else 'not ok'} — "
                     f"{'met' if met else '**not met**'}")
    print("| Lost = 0, doubled = 0, all visible through the API | " + " | ".join(cells) + " |")


def main():
    cmd = sys.argv[1]
    if cmd == "row":
        row(*sys.argv[2:])
    elif cmd == "brief":
        print(brief(json.loads(sys.argv[2])))
    elif cmd == "table":
        table(sys.argv[2])
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
