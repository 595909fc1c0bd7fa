-- The organizations' event stream (GET /api/v1/orgs/{org_id}/events). An event is written in
-- the transaction of the change it reports and read by subscribers with `id > last seen`;
-- AUTOINCREMENT keeps ids growing even after pruning empties the table. `user_id` set: only
-- that member sees it (their notifications).

CREATE TABLE org_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id     TEXT REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    data        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX ix_org_events_org ON org_events (org_id, id);
CREATE INDEX ix_org_events_created ON org_events (created_at);
-- Deleting a user deletes their events; only notification events carry one.
CREATE INDEX ix_org_events_user ON org_events (user_id) WHERE user_id IS NOT NULL;
