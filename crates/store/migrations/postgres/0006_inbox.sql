-- The unified inbox (issue 13): WhatsApp joins the platforms, raw inbound events, conversations,
-- messages, statuses that came early, and per-member read marks.

ALTER TABLE channels DROP CONSTRAINT channels_platform_check;
ALTER TABLE channels ADD CONSTRAINT channels_platform_check
    CHECK (platform IN ('sandbox', 'bluesky', 'mastodon', 'x', 'linkedin', 'facebook', 'instagram', 'threads', 'whatsapp'));
-- Webhooks name the account, not the org: find its channels by platform and account id.
CREATE INDEX ix_channels_platform_account ON channels (platform, account_id);

-- Every webhook delivery (and every sandbox "receive") exactly as it came, written before it
-- is acknowledged; a queue job turns it into messages. Kept after processing so an admin can
-- see what was unmatched, unknown or dead, with the raw body.
CREATE TABLE inbound_events (
    id               BIGSERIAL PRIMARY KEY,
    source           TEXT NOT NULL,
    body             BYTEA NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'processed', 'dead')),
    items            INTEGER NOT NULL DEFAULT 0,
    unmatched_items  INTEGER NOT NULL DEFAULT 0,
    unknown_items    INTEGER NOT NULL DEFAULT 0,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    received_at      TIMESTAMPTZ NOT NULL,
    processed_at     TIMESTAMPTZ
);
CREATE INDEX ix_inbound_events_state ON inbound_events (state, id);
CREATE INDEX ix_inbound_events_flagged ON inbound_events (id) WHERE unmatched_items > 0 OR unknown_items > 0;

-- A conversation per channel, participant, kind and thread (the post a comment thread hangs
-- on; '' for direct messages and mentions).
CREATE TABLE conversations (
    id                    TEXT PRIMARY KEY,
    org_id                TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    channel_id            TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    platform              TEXT NOT NULL,
    kind                  TEXT NOT NULL CHECK (kind IN ('direct', 'comment', 'mention')),
    thread_key            TEXT NOT NULL,
    participant_id        TEXT NOT NULL,
    participant_name      TEXT,
    participant_username  TEXT,
    post_id               TEXT REFERENCES posts (id) ON DELETE SET NULL,
    status                TEXT NOT NULL CHECK (status IN ('open', 'pending', 'snoozed', 'resolved')),
    snoozed_until         TIMESTAMPTZ,
    priority              TEXT NOT NULL CHECK (priority IN ('none', 'low', 'medium', 'high', 'urgent')),
    message_count         INTEGER NOT NULL DEFAULT 0,
    preview               TEXT NOT NULL DEFAULT '',
    last_message_at       TIMESTAMPTZ NOT NULL,
    last_inbound_at       TIMESTAMPTZ,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX uq_conversations_thread ON conversations (channel_id, kind, participant_id, thread_key);
CREATE INDEX ix_conversations_org_activity ON conversations (org_id, last_message_at DESC, id DESC);
CREATE INDEX ix_conversations_snoozed ON conversations (snoozed_until) WHERE status = 'snoozed';

-- One message per (channel, platform message id): deliveries repeat, the row does not.
-- `delivery` is the state of what the team sent (NULL for what customers sent).
CREATE TABLE messages (
    id                   TEXT PRIMARY KEY,
    org_id               TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    conversation_id      TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    channel_id           TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    platform_message_id  TEXT,
    direction            TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    author_user_id       TEXT REFERENCES users (id) ON DELETE SET NULL,
    shape                TEXT NOT NULL,
    text                 TEXT,
    attachments          JSONB NOT NULL,
    reply_to_id          TEXT,
    reactions            JSONB NOT NULL,
    delivery             TEXT CHECK (delivery IN ('queued', 'sent', 'delivered', 'read', 'failed')),
    error_code           TEXT,
    error_message        TEXT,
    idempotency_key      TEXT,
    template             JSONB,
    sent_at              TIMESTAMPTZ NOT NULL,
    edited_at            TIMESTAMPTZ,
    deleted_at           TIMESTAMPTZ,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX uq_messages_platform_id ON messages (channel_id, platform_message_id) WHERE platform_message_id IS NOT NULL;
CREATE UNIQUE INDEX uq_messages_idempotency ON messages (conversation_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX ix_messages_thread ON messages (conversation_id, sent_at, id);

-- Statuses that arrived before their message (at least once, out of order): applied when
-- the message is stored, then deleted.
CREATE TABLE early_statuses (
    channel_id           TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    platform_message_id  TEXT NOT NULL,
    delivery             TEXT NOT NULL CHECK (delivery IN ('sent', 'delivered', 'read', 'failed')),
    error_code           TEXT,
    error_message        TEXT,
    reported_at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (channel_id, platform_message_id, delivery)
);

-- What each member has read: a conversation is unread for them while its last inbound
-- message is newer than their mark (or they have none).
CREATE TABLE conversation_reads (
    conversation_id  TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    read_at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX ix_conversation_reads_user ON conversation_reads (user_id);

-- Networks without webhooks (Bluesky, Mastodon, X) are polled: where each channel's last poll
-- ended and when the next may run (the network's rate-limit reset pushes it back).
CREATE TABLE inbox_cursors (
    channel_id      TEXT PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
    cursor          TEXT,
    next_poll_at    TIMESTAMPTZ NOT NULL,
    last_polled_at  TIMESTAMPTZ,
    failures        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT
);
CREATE INDEX ix_inbox_cursors_due ON inbox_cursors (next_poll_at);
