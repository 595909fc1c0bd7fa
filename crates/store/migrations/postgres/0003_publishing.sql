-- Channels, media, posts with per-channel variants, notifications and the sandbox network
-- (issue 4). Tokens are sealed (AES-256-GCM) by the app; `key_id` names the key so
-- `sellcast admin rotate-key` can find what to re-encrypt.

CREATE TABLE channels (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    client_id         TEXT REFERENCES clients (id) ON DELETE SET NULL,
    platform          TEXT NOT NULL CHECK (platform IN ('sandbox', 'bluesky', 'mastodon', 'x', 'linkedin', 'facebook', 'instagram', 'threads')),
    account_id        TEXT NOT NULL,
    server_url        TEXT NOT NULL DEFAULT '',
    handle            TEXT NOT NULL,
    display_name      TEXT,
    avatar_url        TEXT,
    profile_url       TEXT,
    status            TEXT NOT NULL CHECK (status IN ('active', 'needs_reconnect', 'disconnected')),
    credentials       TEXT NOT NULL,
    key_id            TEXT NOT NULL,
    token_expires_at  TIMESTAMPTZ,
    token_issued_at   TIMESTAMPTZ,
    last_refresh_at   TIMESTAMPTZ,
    last_error        TEXT,
    connected_by      TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX uq_channels_account ON channels (org_id, platform, server_url, account_id);
CREATE INDEX ix_channels_org ON channels (org_id, id);
CREATE INDEX ix_channels_expiry ON channels (token_expires_at) WHERE status = 'active';

-- One row per connect attempt through OAuth; the state is single-use and expires.
CREATE TABLE oauth_states (
    state_hash      TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id      TEXT,
    platform        TEXT NOT NULL,
    server_url      TEXT NOT NULL DEFAULT '',
    client_id       TEXT,
    channel_id      TEXT,
    code_verifier   TEXT,
    key_id          TEXT NOT NULL,
    redirect_after  TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    used_at         TIMESTAMPTZ
);

-- Sellcast's app registration on each Mastodon server, made once and reused.
CREATE TABLE mastodon_apps (
    server_url     TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL,
    client_secret  TEXT NOT NULL,
    key_id         TEXT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE media (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    client_id    TEXT REFERENCES clients (id) ON DELETE SET NULL,
    uploaded_by  TEXT REFERENCES users (id) ON DELETE SET NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('image', 'video')),
    mime         TEXT NOT NULL,
    bytes        BIGINT NOT NULL,
    width        INTEGER,
    height       INTEGER,
    filename     TEXT NOT NULL,
    alt_text     TEXT NOT NULL DEFAULT '',
    blob_key     TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('processing', 'ready', 'failed')),
    variants     JSONB NOT NULL,
    error        TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX ix_media_org ON media (org_id, id);

CREATE TABLE posts (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    client_id     TEXT REFERENCES clients (id) ON DELETE SET NULL,
    author_id     TEXT REFERENCES users (id) ON DELETE SET NULL,
    text          TEXT NOT NULL,
    search_text   TEXT NOT NULL,
    tags          JSONB NOT NULL,
    campaign      TEXT,
    status        TEXT NOT NULL CHECK (status IN ('draft', 'pending_approval', 'changes_requested', 'approved', 'scheduled', 'publishing', 'published', 'partially_published', 'failed')),
    scheduled_at  TIMESTAMPTZ,
    published_at  TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX ix_posts_org ON posts (org_id, id);
CREATE INDEX ix_posts_org_scheduled ON posts (org_id, scheduled_at);

CREATE TABLE post_tags (
    post_id  TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    tag      TEXT NOT NULL,
    PRIMARY KEY (post_id, tag)
);
CREATE INDEX ix_post_tags_tag ON post_tags (tag);

CREATE TABLE post_media (
    post_id   TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    media_id  TEXT NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, position)
);
CREATE INDEX ix_post_media_media ON post_media (media_id);

-- What goes to one channel: its own text and media subset (NULL: the post's), its status,
-- and, once published, the platform's id and URL.
CREATE TABLE post_variants (
    id                TEXT PRIMARY KEY,
    post_id           TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    org_id            TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    channel_id        TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    text              TEXT,
    media_ids         JSONB,
    first_comment     TEXT,
    options           JSONB NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('draft', 'scheduled', 'publishing', 'unconfirmed', 'held', 'published', 'failed')),
    platform_post_id  TEXT,
    platform_url      TEXT,
    error             TEXT,
    attempts          INTEGER NOT NULL DEFAULT 0,
    first_attempt_at  TIMESTAMPTZ,
    published_at      TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX uq_post_variants_channel ON post_variants (post_id, channel_id);
CREATE INDEX ix_post_variants_channel ON post_variants (channel_id, status);

CREATE TABLE notifications (
    id          TEXT PRIMARY KEY,
    org_id      TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    link        TEXT,
    data        JSONB NOT NULL,
    read_at     TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX ix_notifications_user ON notifications (user_id, id);

-- A per-user secret for the iCal feed of scheduled posts (only its hash is kept).
CREATE TABLE calendar_feeds (
    user_id     TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX uq_calendar_feeds_token ON calendar_feeds (token_hash);

-- The sandbox network: posts "published" into Sellcast itself.
CREATE TABLE sandbox_posts (
    id               TEXT PRIMARY KEY,
    channel_id       TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    idempotency_key  TEXT NOT NULL,
    text             TEXT NOT NULL,
    media            JSONB NOT NULL,
    reply_to         TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    deleted_at       TIMESTAMPTZ
);
CREATE UNIQUE INDEX uq_sandbox_posts_key ON sandbox_posts (channel_id, idempotency_key);
