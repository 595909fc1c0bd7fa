//! Unique constraints by name. PostgreSQL reports the index name; SQLite reports the
//! columns ("UNIQUE constraint failed: users.email") or, for expression indexes, the
//! index name. Both are mapped to the one name the app layer turns into a CONFLICT.

/// (constraint name, what SQLite says after "UNIQUE constraint failed: ").
const UNIQUE: &[(&str, &str)] = &[
    ("uq_users_email", "users.email"),
    ("memberships_pkey", "memberships.org_id, memberships.user_id"),
    ("uq_invites_pending", "invites.org_id, invites.email"),
    ("uq_invites_token", "invites.token_hash"),
    ("uq_clients_org_name", "clients.org_id, clients.name_key"),
    ("uq_refresh_tokens_hash", "refresh_tokens.token_hash"),
    ("uq_password_resets_hash", "password_resets.token_hash"),
    ("uq_jobs_unique_key", "jobs.unique_key"),
    ("uq_channels_account", "channels.org_id, channels.platform, channels.server_url, channels.account_id"),
    ("uq_post_variants_channel", "post_variants.post_id, post_variants.channel_id"),
    ("uq_sandbox_posts_key", "sandbox_posts.channel_id, sandbox_posts.idempotency_key"),
    ("uq_calendar_feeds_token", "calendar_feeds.token_hash"),
];

pub(crate) fn identify(pg_constraint: Option<&str>, message: &str) -> Option<&'static str> {
    if let Some(name) = pg_constraint {
        return UNIQUE.iter().find(|(n, _)| *n == name).map(|(n, _)| *n);
    }
    let cols = message.strip_prefix("UNIQUE constraint failed: ")?;
    UNIQUE.iter().find(|(_, c)| *c == cols).map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    #[test]
    fn maps_both_backends_to_one_name() {
        assert_eq!(super::identify(Some("uq_users_email"), ""), Some("uq_users_email"));
        assert_eq!(super::identify(None, "UNIQUE constraint failed: users.email"), Some("uq_users_email"));
        assert_eq!(super::identify(None, "something else"), None);
    }
}
