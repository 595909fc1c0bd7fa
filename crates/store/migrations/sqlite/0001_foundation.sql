-- Foundation: accounts, sessions, organizations, members, invites, clients, audit, mail.
-- Ids are UUIDv7 text (the same type on both backends); times are ISO-8601 UTC text (written by the app, never by SQL).

CREATE TABLE users (
    id                 TEXT PRIMARY KEY,
    email              TEXT NOT NULL,
    name               TEXT NOT NULL,
    password_hash      TEXT NOT NULL,
    timezone           TEXT NOT NULL DEFAULT 'UTC',
    is_instance_admin  INTEGER NOT NULL DEFAULT 0,
    totp_secret        TEXT,
    totp_last_step     INTEGER,
    totp_enabled       INTEGER NOT NULL DEFAULT 0,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE UNIQUE INDEX uq_users_email ON users (email);

-- Failed logins are counted per email, whether or not an account has it, so the
-- lockout answer never tells an attacker which emails exist.
CREATE TABLE login_failures (
    email            TEXT PRIMARY KEY,
    failures         INTEGER NOT NULL,
    first_failed_at  TEXT NOT NULL,
    locked_until     TEXT
);

CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    TEXT NOT NULL,
    last_used_at  TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    revoked_at    TEXT,
    revoked_reason TEXT,
    ip            TEXT,
    user_agent    TEXT
);
CREATE INDEX ix_sessions_user ON sessions (user_id);

CREATE TABLE refresh_tokens (
    id          TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE UNIQUE INDEX uq_refresh_tokens_hash ON refresh_tokens (token_hash);
CREATE INDEX ix_refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE recovery_codes (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash   TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE INDEX ix_recovery_codes_user ON recovery_codes (user_id);

CREATE TABLE password_resets (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE UNIQUE INDEX uq_password_resets_hash ON password_resets (token_hash);
CREATE INDEX ix_password_resets_user ON password_resets (user_id);

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE memberships (
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'editor', 'viewer')),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CONSTRAINT memberships_pkey PRIMARY KEY (org_id, user_id)
);
CREATE INDEX ix_memberships_user ON memberships (user_id);

CREATE TABLE invites (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'editor', 'viewer')),
    token_hash   TEXT NOT NULL,
    invited_by   TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    accepted_at  TEXT,
    accepted_by  TEXT REFERENCES users (id) ON DELETE SET NULL,
    revoked_at   TEXT
);
CREATE UNIQUE INDEX uq_invites_token ON invites (token_hash);
CREATE UNIQUE INDEX uq_invites_pending ON invites (org_id, email) WHERE accepted_at IS NULL AND revoked_at IS NULL;
CREATE INDEX ix_invites_org ON invites (org_id, id);

CREATE TABLE clients (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    -- Lower-cased in the app (Unicode-aware, unlike SQLite's lower()) for uniqueness and search.
    name_key    TEXT NOT NULL,
    email       TEXT,
    phone       TEXT,
    website     TEXT,
    notes       TEXT NOT NULL DEFAULT '',
    archived    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX uq_clients_org_name ON clients (org_id, name_key);
CREATE INDEX ix_clients_org ON clients (org_id, id);

-- org_id is NULL for account-level events (login, password change).
CREATE TABLE audit_log (
    id           TEXT PRIMARY KEY,
    org_id       TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    actor_id     TEXT,
    action       TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    entity_id    TEXT,
    changes      TEXT NOT NULL,
    ip           TEXT,
    user_agent   TEXT,
    request_id   TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX ix_audit_log_org ON audit_log (org_id, id);
CREATE INDEX ix_audit_log_actor ON audit_log (actor_id, id);

-- Every email goes here first; a sender delivers it over SMTP when configured,
-- otherwise `sellcast admin outbox` shows it.
CREATE TABLE email_outbox (
    id          TEXT PRIMARY KEY,
    to_address  TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body_text   TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    sent_at     TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT
);
CREATE INDEX ix_email_outbox_unsent ON email_outbox (sent_at, id);
