//! A conversation's state machine (the unified inbox): one per channel, participant and kind.
//! Open until someone answers or resolves it; a new message from the customer reopens it.

use chrono::{DateTime, Utc};

crate::text_enum! {
    /// What a conversation gathers: private messages, the comments on one published post, or
    /// the posts that mention the account.
    pub enum ConversationKind {
        Direct = "direct",
        Comment = "comment",
        Mention = "mention",
    }
}

crate::text_enum! {
    pub enum ConversationStatus {
        /// Waiting for the team.
        Open = "open",
        /// Waiting for the customer (or a third party).
        Pending = "pending",
        /// Out of sight until `snoozed_until`, then open again.
        Snoozed = "snoozed",
        Resolved = "resolved",
    }
}

crate::text_enum! {
    pub enum ConversationPriority {
        None = "none",
        Low = "low",
        Medium = "medium",
        High = "high",
        Urgent = "urgent",
    }
}

/// Why a status change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusChangeError {
    #[error("snoozing needs a time in the future (snoozed_until)")]
    SnoozeNeedsFutureTime,
    #[error("snoozed_until is only for status \"snoozed\"")]
    UntilWithoutSnooze,
}

impl ConversationStatus {
    /// The status after a message from the customer arrives: anything not open opens again
    /// (a snoozed or resolved conversation comes back when the customer writes).
    pub fn on_inbound(self) -> ConversationStatus {
        Self::Open
    }

    /// The status after the team replies: an open conversation now waits for the customer;
    /// the others keep what the team chose.
    pub fn on_reply(self) -> ConversationStatus {
        match self {
            Self::Open => Self::Pending,
            other => other,
        }
    }

    /// The status once the clock passes `snoozed_until`.
    pub fn on_wake(self) -> ConversationStatus {
        match self {
            Self::Snoozed => Self::Open,
            other => other,
        }
    }

    /// Check a change asked for by a member; returns the `snoozed_until` to store.
    pub fn change_to(
        target: ConversationStatus,
        until: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StatusChangeError> {
        match (target, until) {
            (Self::Snoozed, Some(t)) if t > now => Ok(Some(t)),
            (Self::Snoozed, _) => Err(StatusChangeError::SnoozeNeedsFutureTime),
            (_, Some(_)) => Err(StatusChangeError::UntilWithoutSnooze),
            (_, None) => Ok(None),
        }
    }

    /// Shown in the default ("active") inbox views.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Open | Self::Pending)
    }
}

#[cfg(test)]
mod tests {
    use super::ConversationStatus::{self, *};
    use super::StatusChangeError;
    use chrono::{Duration, Utc};

    /// status, on_inbound, on_reply, on_wake, is_active
    const TABLE: [(ConversationStatus, ConversationStatus, ConversationStatus, ConversationStatus, bool); 4] = [
        (Open, Open, Pending, Open, true),
        (Pending, Open, Pending, Pending, true),
        (Snoozed, Open, Snoozed, Open, false),
        (Resolved, Open, Resolved, Resolved, false),
    ];

    #[test]
    fn what_each_status_becomes() {
        assert_eq!(TABLE.len(), ConversationStatus::ALL.len());
        for (s, inbound, reply, wake, active) in TABLE {
            assert_eq!(
                (s.on_inbound(), s.on_reply(), s.on_wake(), s.is_active()),
                (inbound, reply, wake, active),
                "{s}"
            );
        }
    }

    #[test]
    fn snoozing_needs_a_future_time() {
        let now = Utc::now();
        let later = now + Duration::hours(1);
        assert_eq!(ConversationStatus::change_to(Snoozed, Some(later), now), Ok(Some(later)));
        assert_eq!(ConversationStatus::change_to(Snoozed, None, now), Err(StatusChangeError::SnoozeNeedsFutureTime));
        assert_eq!(
            ConversationStatus::change_to(Snoozed, Some(now), now),
            Err(StatusChangeError::SnoozeNeedsFutureTime)
        );
        assert_eq!(
            ConversationStatus::change_to(Resolved, Some(later), now),
            Err(StatusChangeError::UntilWithoutSnooze)
        );
        assert_eq!(ConversationStatus::change_to(Resolved, None, now), Ok(None));
    }
}
