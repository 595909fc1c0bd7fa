-- The durable job queue (docs/adr/0005-job-queue.md). A job is claimable when its state is
-- available, scheduled or retryable and its run_at has come; running jobs hold a lease.

CREATE TABLE jobs (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    kind              TEXT NOT NULL,
    queue             TEXT NOT NULL,
    args              TEXT NOT NULL,
    priority          INTEGER NOT NULL DEFAULT 0,
    state             TEXT NOT NULL CHECK (state IN ('scheduled', 'available', 'running', 'retryable', 'completed', 'cancelled', 'dead')),
    run_at            TEXT NOT NULL,
    attempt           INTEGER NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    max_attempts      INTEGER NOT NULL CHECK (max_attempts > 0),
    errors            TEXT NOT NULL,
    unique_key        TEXT,
    timeout_ms        INTEGER,
    tags              TEXT NOT NULL,
    meta              TEXT NOT NULL,
    lease_owner       TEXT,
    lease_expires_at  TEXT,
    created_at        TEXT NOT NULL,
    attempted_at      TEXT,
    finished_at       TEXT,
    CONSTRAINT jobs_lease_iff_running CHECK ((state = 'running') = (lease_owner IS NOT NULL))
);
CREATE INDEX ix_jobs_claim ON jobs (queue, priority, run_at, id) WHERE state IN ('available', 'scheduled', 'retryable');
CREATE UNIQUE INDEX uq_jobs_unique_key ON jobs (unique_key) WHERE unique_key IS NOT NULL AND state NOT IN ('completed', 'cancelled', 'dead');
CREATE INDEX ix_jobs_lease ON jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX ix_jobs_lease_owner ON jobs (lease_owner) WHERE state = 'running';
CREATE INDEX ix_jobs_finished ON jobs (finished_at) WHERE state IN ('completed', 'cancelled', 'dead');
CREATE INDEX ix_jobs_state_kind ON jobs (state, kind, id);

-- One row per periodic job tick, so a tick is enqueued once however many processes race.
CREATE TABLE periodic_ticks (
    name     TEXT NOT NULL,
    tick_at  TEXT NOT NULL,
    job_id   INTEGER,
    CONSTRAINT periodic_ticks_pkey PRIMARY KEY (name, tick_at)
);
