//! A channel's state machine: a connected account publishes while active; a refused token makes
//! it need a reconnect (its posts are held, not failed); disconnecting forgets the credentials.

crate::text_enum! {
    pub enum ChannelStatus {
        Active = "active",
        NeedsReconnect = "needs_reconnect",
        Disconnected = "disconnected",
    }
}

impl ChannelStatus {
    /// Publish jobs may call the platform.
    pub fn can_publish(self) -> bool {
        self == Self::Active
    }

    /// Posts can target it (a channel needing a reconnect takes drafts, not schedules).
    pub fn can_target(self, scheduling: bool) -> bool {
        match self {
            Self::Active => true,
            Self::NeedsReconnect => !scheduling,
            Self::Disconnected => false,
        }
    }

    /// The status once the platform refuses its token: None when it already needs a reconnect
    /// (nothing to do, nobody to notify again).
    pub fn on_token_refused(self) -> Option<ChannelStatus> {
        (self != Self::NeedsReconnect).then_some(Self::NeedsReconnect)
    }
}

#[cfg(test)]
mod tests {
    use super::ChannelStatus::{self, *};

    /// status, can_publish, can_target (draft), can_target (schedule), on_token_refused
    const TABLE: [(ChannelStatus, bool, bool, bool, Option<ChannelStatus>); 3] = [
        (Active, true, true, true, Some(NeedsReconnect)),
        (NeedsReconnect, false, true, false, None),
        (Disconnected, false, false, false, Some(NeedsReconnect)),
    ];

    #[test]
    fn what_each_status_allows() {
        assert_eq!(TABLE.len(), ChannelStatus::ALL.len());
        for (s, publish, draft, schedule, refused) in TABLE {
            assert_eq!(
                (s.can_publish(), s.can_target(false), s.can_target(true), s.on_token_refused()),
                (publish, draft, schedule, refused),
                "{s}"
            );
        }
    }
}
