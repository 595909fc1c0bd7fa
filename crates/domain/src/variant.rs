//! A variant's state machine: one post's publication to one channel, from draft to published
//! or failed, exactly once (ADR 0007).

crate::text_enum! {
    pub enum VariantStatus {
        Draft = "draft",
        /// Waits for its publish job.
        Scheduled = "scheduled",
        /// A publish attempt is under way.
        Publishing = "publishing",
        /// An attempt may have reached the platform (answer lost, crash mid-call): the next
        /// attempt asks the platform before publishing again.
        Unconfirmed = "unconfirmed",
        /// Its channel needs reconnecting; it goes out once it is.
        Held = "held",
        Published = "published",
        Failed = "failed",
    }
}

impl VariantStatus {
    /// Nothing is left for a publish job to do.
    pub fn is_settled(self) -> bool {
        matches!(self, Self::Published | Self::Failed | Self::Draft)
    }

    /// An earlier attempt may have reached the platform.
    pub fn maybe_sent(self) -> bool {
        matches!(self, Self::Publishing | Self::Unconfirmed)
    }

    /// On its way out: its channel cannot be disconnected.
    pub fn is_pending(self) -> bool {
        matches!(self, Self::Scheduled | Self::Publishing | Self::Unconfirmed | Self::Held)
    }

    /// Only a failed variant can be tried again by hand.
    pub fn can_retry(self) -> bool {
        self == Self::Failed
    }

    /// The status once its post is scheduled: an unconfirmed attempt stays in doubt.
    pub fn on_schedule(self) -> VariantStatus {
        if self == Self::Unconfirmed {
            self
        } else {
            Self::Scheduled
        }
    }

    /// The status once its post goes back to draft: an unconfirmed attempt stays in doubt.
    pub fn on_unschedule(self) -> VariantStatus {
        if self == Self::Unconfirmed {
            self
        } else {
            Self::Draft
        }
    }

    /// The status while an attempt runs: one in doubt stays in doubt until the platform says.
    pub fn on_attempt(self) -> VariantStatus {
        if self.maybe_sent() {
            self
        } else {
            Self::Publishing
        }
    }

    /// The status after an attempt that will be retried: in doubt when the platform may have
    /// the post, otherwise waiting again.
    pub fn on_retryable_failure(in_doubt: bool) -> VariantStatus {
        if in_doubt {
            Self::Unconfirmed
        } else {
            Self::Scheduled
        }
    }
}

#[cfg(test)]
mod tests {
    use super::VariantStatus::{self, *};

    /// status, settled, maybe_sent, pending, can_retry, on_schedule, on_unschedule, on_attempt
    type Row = (VariantStatus, bool, bool, bool, bool, VariantStatus, VariantStatus, VariantStatus);

    #[rustfmt::skip]
    const TABLE: [Row; 7] = [
        (Draft,       true,  false, false, false, Scheduled,   Draft,       Publishing),
        (Scheduled,   false, false, true,  false, Scheduled,   Draft,       Publishing),
        (Publishing,  false, true,  true,  false, Scheduled,   Draft,       Publishing),
        (Unconfirmed, false, true,  true,  false, Unconfirmed, Unconfirmed, Unconfirmed),
        (Held,        false, false, true,  false, Scheduled,   Draft,       Publishing),
        (Published,   true,  false, false, false, Scheduled,   Draft,       Publishing),
        (Failed,      true,  false, false, true,  Scheduled,   Draft,       Publishing),
    ];

    #[test]
    fn what_each_status_allows_and_becomes() {
        assert_eq!(TABLE.len(), VariantStatus::ALL.len());
        for (s, settled, sent, pending, retry, sched, unsched, attempt) in TABLE {
            assert_eq!(
                (s.is_settled(), s.maybe_sent(), s.is_pending(), s.can_retry()),
                (settled, sent, pending, retry),
                "{s}"
            );
            assert_eq!((s.on_schedule(), s.on_unschedule(), s.on_attempt()), (sched, unsched, attempt), "{s}");
        }
    }

    #[test]
    fn retryable_failures() {
        assert_eq!(VariantStatus::on_retryable_failure(true), Unconfirmed);
        assert_eq!(VariantStatus::on_retryable_failure(false), Scheduled);
    }
}
