//! Unique constraints by name. PostgreSQL reports the index name; SQLite reports the
//! columns ("UNIQUE constraint failed: users.email") or, for expression indexes, the
//! index name. Both are mapped to one `Unique` value; the app layer turns it into a CONFLICT
//! with its own words, so the names live here only.

/// A unique constraint of the schema (the same on both backends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    UserEmail,
    Membership,
    PendingInvite,
    InviteToken,
    ClientName,
    RefreshToken,
    PasswordReset,
    JobUniqueKey,
    ChannelAccount,
    PostVariantChannel,
    SandboxPostKey,
    CalendarFeedToken,
}

impl Unique {
    const ALL: [Unique; 12] = [
        Unique::UserEmail,
        Unique::Membership,
        Unique::PendingInvite,
        Unique::InviteToken,
        Unique::ClientName,
        Unique::RefreshToken,
        Unique::PasswordReset,
        Unique::JobUniqueKey,
        Unique::ChannelAccount,
        Unique::PostVariantChannel,
        Unique::SandboxPostKey,
        Unique::CalendarFeedToken,
    ];

    /// The constraint's (or unique index's) name in both schemas.
    pub fn name(self) -> &'static str {
        match self {
            Unique::UserEmail => "uq_users_email",
            Unique::Membership => "memberships_pkey",
            Unique::PendingInvite => "uq_invites_pending",
            Unique::InviteToken => "uq_invites_token",
            Unique::ClientName => "uq_clients_org_name",
            Unique::RefreshToken => "uq_refresh_tokens_hash",
            Unique::PasswordReset => "uq_password_resets_hash",
            Unique::JobUniqueKey => "uq_jobs_unique_key",
            Unique::ChannelAccount => "uq_channels_account",
            Unique::PostVariantChannel => "uq_post_variants_channel",
            Unique::SandboxPostKey => "uq_sandbox_posts_key",
            Unique::CalendarFeedToken => "uq_calendar_feeds_token",
        }
    }

    /// What SQLite says after "UNIQUE constraint failed: ".
    fn sqlite_columns(self) -> &'static str {
        match self {
            Unique::UserEmail => "users.email",
            Unique::Membership => "memberships.org_id, memberships.user_id",
            Unique::PendingInvite => "invites.org_id, invites.email",
            Unique::InviteToken => "invites.token_hash",
            Unique::ClientName => "clients.org_id, clients.name_key",
            Unique::RefreshToken => "refresh_tokens.token_hash",
            Unique::PasswordReset => "password_resets.token_hash",
            Unique::JobUniqueKey => "jobs.unique_key",
            Unique::ChannelAccount => "channels.org_id, channels.platform, channels.server_url, channels.account_id",
            Unique::PostVariantChannel => "post_variants.post_id, post_variants.channel_id",
            Unique::SandboxPostKey => "sandbox_posts.channel_id, sandbox_posts.idempotency_key",
            Unique::CalendarFeedToken => "calendar_feeds.token_hash",
        }
    }
}

impl std::fmt::Display for Unique {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

pub(crate) fn identify(pg_constraint: Option<&str>, message: &str) -> Option<Unique> {
    if let Some(name) = pg_constraint {
        return Unique::ALL.into_iter().find(|u| u.name() == name);
    }
    let cols = message.strip_prefix("UNIQUE constraint failed: ")?;
    Unique::ALL.into_iter().find(|u| u.sqlite_columns() == cols)
}

#[cfg(test)]
mod tests {
    use super::{identify, Unique};

    #[test]
    fn maps_both_backends_to_one_name() {
        assert_eq!(identify(Some("uq_users_email"), ""), Some(Unique::UserEmail));
        assert_eq!(identify(None, "UNIQUE constraint failed: users.email"), Some(Unique::UserEmail));
        assert_eq!(identify(None, "something else"), None);
        assert_eq!(identify(Some("uq_not_ours"), ""), None);
    }

    #[test]
    fn every_constraint_is_known_by_both_backends_and_names_are_distinct() {
        for u in Unique::ALL {
            assert_eq!(identify(Some(u.name()), ""), Some(u), "{u}");
            assert_eq!(identify(None, &format!("UNIQUE constraint failed: {}", u.sqlite_columns())), Some(u), "{u}");
        }
        let mut names: Vec<&str> = Unique::ALL.iter().map(|u| u.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Unique::ALL.len());
    }
}
