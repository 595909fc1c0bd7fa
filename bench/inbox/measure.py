"""Database side of bench/inbox/run.sh (stdlib only; PostgreSQL through psql).

The database comes from the environment: BENCH_BACKEND (sqlite or postgres), BENCH_SQLITE (the
server's database file) or BENCH_PG_URL and BENCH_PG_SCHEMA.

    measure.py channel ORG_ID CHANNEL_ID PAGE_ID   insert an active `facebook` channel for the org
    measure.py baseline                            print "<last inbound event id> <messages>"
    measure.py sample INTERVAL_S                   print "<unix time> <events> <pending>" until killed
    measure.py wait EXPECTED|@FILE BASE_ID BASE_MESSAGES [TIMEOUT_S]
        poll every 50 ms until at least EXPECTED deliveries after event BASE_ID are stored and
        none of them is pending, then print one JSON line: when that was seen (a Unix time;
        `visible_at` is the same time when the EXPECTED new messages were all in `messages`
        then, else null: each processed delivery commits its message), the counts
        that show lost and doubled messages, and receive → processed delays per delivery from
        the events' own timestamps (`received_at` is taken before a delivery's transaction,
        `processed_at` before its processing transaction; Unix times on the server's clock).

With @FILE the poller starts at once and waits for FILE to hold EXPECTED (written when wrk
has finished), so its own start-up is not in the time it measures.

The benchmark database holds one channel, so `messages` as a whole is that channel's.
"""

import datetime as dt
import json
import os
import subprocess
import sys
import time

BACKEND = os.environ.get("BENCH_BACKEND", "sqlite")


class Db:
    def __init__(self):
        if BACKEND == "sqlite":
            import sqlite3

            self.conn = sqlite3.connect(os.environ["BENCH_SQLITE"], timeout=30, isolation_level=None)
        else:
            # One psql session for all the polls (a new one per poll would cost PostgreSQL a
            # backend and a TLS handshake 20 times a second).
            env = dict(os.environ, PGOPTIONS=f"-c search_path={os.environ['BENCH_PG_SCHEMA']}")
            self.psql = subprocess.Popen(
                ["psql", os.environ["BENCH_PG_URL"], "-XAtq", "-F", "\t", "-v", "ON_ERROR_STOP=1"],
                env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
            )

    def rows(self, sql, params=()):
        """Rows of text (PostgreSQL) or SQLite values; `?` placeholders with simple literals."""
        if BACKEND == "sqlite":
            return self.conn.execute(sql, params).fetchall()
        for p in params:
            literal = str(p) if isinstance(p, (int, float)) else "'" + str(p).replace("'", "''") + "'"
            sql = sql.replace("?", literal, 1)
        self.psql.stdin.write(sql.rstrip().rstrip(";") + ";\n\\echo __end__\n")
        self.psql.stdin.flush()
        rows = []
        while True:
            line = self.psql.stdout.readline()
            if not line:
                raise SystemExit(f"psql ended on: {sql}")
            line = line.rstrip("\n")
            if line == "__end__":
                return rows
            if line:
                rows.append(tuple(line.split("\t")))

    def one(self, sql, params=()):
        return self.rows(sql, params)[0]


def ints(row):
    return [int(v or 0) for v in row]


def channel(db, org, channel_id, page_id):
    # Timestamps copied from the org row, so they are in whatever form the store writes.
    db.rows(
        "INSERT INTO channels (id, org_id, platform, account_id, server_url, handle, display_name, status,"
        " credentials, key_id, created_at, updated_at)"
        " SELECT ?, id, 'facebook', ?, '', 'Bench Shop Page', 'Bench Shop Page', 'active', 'bench-not-sealed',"
        " 'bench', created_at, created_at FROM organizations WHERE id = ?",
        (channel_id, page_id, org),
    )
    (count,) = ints(db.one("SELECT count(*) FROM channels WHERE id = ?", (channel_id,)))
    if count != 1:
        raise SystemExit(f"the channel was not inserted (org {org} not found?)")


def baseline(db):
    last_id, messages = ints(db.one("SELECT (SELECT coalesce(max(id), 0) FROM inbound_events), (SELECT count(*) FROM messages)"))
    print(last_id, messages)


def sample(db, interval):
    while True:
        events, pending = ints(db.one(
            "SELECT (SELECT coalesce(max(id), 0) FROM inbound_events),"
            " (SELECT count(*) FROM inbound_events WHERE state = 'pending')"
        ))
        print(f"{time.time():.3f} {events} {pending}", flush=True)
        time.sleep(interval)


def seconds(text):
    """A stored timestamp (SQLite text in RFC 3339 form, UTC) as Unix seconds."""
    s = text.replace(" ", "T")
    base = dt.datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc).timestamp()
    frac = ""
    if len(s) > 19 and s[19] == ".":
        for ch in s[20:]:
            if not ch.isdigit():
                break
            frac += ch
    rest = s[20 + len(frac):] if frac else s[19:]
    if rest not in ("", "Z", "+00:00"):
        raise ValueError(f"not UTC: {text}")
    return base + (float("0." + frac) if frac else 0.0)


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def wait(db, expected, base_id, base_messages, timeout):
    # Each poll is cheap (the primary key's last id and one probe of the state index), so the
    # polling itself does not slow the processing it watches; rows are counted once at the end.
    processed_at = None
    polls = 0
    deadline = time.time() + timeout
    while time.time() < deadline:
        if isinstance(expected, str):  # "@file": started early, the count comes later
            try:
                expected = int(open(expected[1:]).read())
            except (OSError, ValueError):
                time.sleep(0.01)
                continue
        polls += 1
        last_id, pending = ints(db.one(
            "SELECT (SELECT coalesce(max(id), 0) FROM inbound_events),"
            " (SELECT count(*) FROM (SELECT 1 FROM inbound_events WHERE state = 'pending' AND id > ? LIMIT 1) p)",
            (base_id,),
        ))
        now = time.time()
        if last_id - base_id >= expected and pending == 0:
            (events,) = ints(db.one("SELECT count(*) FROM inbound_events WHERE id > ?", (base_id,)))
            if events >= expected:
                processed_at = now
                break
        time.sleep(0.05)
    (messages_now,) = ints(db.one("SELECT count(*) FROM messages"))
    visible_at = processed_at if processed_at and messages_now - base_messages >= expected else None

    events, processed, dead, items, unmatched, unknown, retried = ints(db.one(
        "SELECT count(*), sum(CASE WHEN state = 'processed' THEN 1 ELSE 0 END),"
        " sum(CASE WHEN state = 'dead' THEN 1 ELSE 0 END), sum(items), sum(unmatched_items), sum(unknown_items),"
        " sum(CASE WHEN attempts > 1 OR last_error IS NOT NULL THEN 1 ELSE 0 END)"
        " FROM inbound_events WHERE id > ?",
        (base_id,),
    ))
    errors = [r[0] for r in db.rows(
        "SELECT last_error FROM inbound_events WHERE id > ? AND last_error IS NOT NULL ORDER BY id LIMIT 3", (base_id,)
    )]
    messages, distinct_ids, conv_total, conversations = ints(db.one(
        "SELECT (SELECT count(*) FROM messages), (SELECT count(DISTINCT platform_message_id) FROM messages),"
        " (SELECT coalesce(sum(message_count), 0) FROM conversations), (SELECT count(*) FROM conversations)"
    ))
    row_messages = messages - base_messages
    if BACKEND == "sqlite":
        times = [
            (seconds(r), seconds(p))
            for r, p in db.rows("SELECT received_at, processed_at FROM inbound_events WHERE id > ? AND processed_at IS NOT NULL", (base_id,))
        ]
        delays = sorted((p - r) * 1000 for r, p in times)
        d50, d99, dmax = percentile(delays, 50), percentile(delays, 99), (delays[-1] if delays else None)
        first_received = min((r for r, _ in times), default=None)
        last_received = max((r for r, _ in times), default=None)
        last_processed = max((p for _, p in times), default=None)
    else:
        d50, d99, dmax, first_received, last_received, last_processed = (
            float(v) if v else None
            for v in db.one(
                "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY d), percentile_disc(0.99) WITHIN GROUP (ORDER BY d), max(d),"
                " extract(epoch FROM min(r)), extract(epoch FROM max(r)), extract(epoch FROM max(p))"
                " FROM (SELECT extract(epoch FROM processed_at - received_at) * 1000 AS d, received_at AS r, processed_at AS p"
                " FROM inbound_events WHERE id > ? AND processed_at IS NOT NULL) x",
                (base_id,),
            )
        )
    print(json.dumps({
        "expected": expected,
        "settled": processed_at is not None,
        "visible_at": visible_at,
        "processed_at": processed_at,
        "polls": polls,
        "events": events,
        "processed": processed,
        "dead": dead,
        "items": items,
        "unmatched": unmatched,
        "unknown": unknown,
        "retried": retried,
        "errors": errors,
        "messages": row_messages,
        "duplicate_ids": messages - distinct_ids,
        "conversation_count_mismatch": conv_total - messages,
        "conversations": conversations,
        "delay_p50_ms": None if d50 is None else round(d50, 1),
        "delay_p99_ms": None if d99 is None else round(d99, 1),
        "delay_max_ms": None if dmax is None else round(dmax, 1),
        "first_received_at": first_received,
        "last_received_at": last_received,
        "last_processed_at": last_processed,
    }))


def main():
    db = Db()
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "channel":
        channel(db, *args)
    elif cmd == "baseline":
        baseline(db)
    elif cmd == "sample":
        sample(db, float(args[0]))
    elif cmd == "wait":
        expected = args[0] if args[0].startswith("@") else int(args[0])
        wait(db, expected, int(args[1]), int(args[2]), float(args[3]) if len(args) > 3 else 300)
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
