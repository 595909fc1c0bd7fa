//! A message's delivery state machine. Platforms report statuses at least once and out of
//! order; a status never moves a message backwards (read does not become delivered), and a
//! failure after the platform confirmed delivery is not believed.

crate::text_enum! {
    pub enum MessageDirection {
        /// From the customer (or anyone not on the team).
        Inbound = "inbound",
        /// From the team: a reply from Sellcast, or one sent from the platform's own app.
        Outbound = "outbound",
    }
}

crate::text_enum! {
    pub enum DeliveryState {
        /// Waits for its send job.
        Queued = "queued",
        /// The platform accepted it.
        Sent = "sent",
        Delivered = "delivered",
        Read = "read",
        Failed = "failed",
    }
}

impl DeliveryState {
    /// Progress order; `Failed` ranks with `Sent` (it can replace queued or sent only).
    fn rank(self) -> u8 {
        match self {
            Self::Queued => 0,
            Self::Sent | Self::Failed => 1,
            Self::Delivered => 2,
            Self::Read => 3,
        }
    }

    /// The state after the platform reports `reported`; `None` when the report changes
    /// nothing (a duplicate, or older news than what is known).
    pub fn advance(self, reported: DeliveryState) -> Option<DeliveryState> {
        if reported == self {
            return None;
        }
        let forward = reported.rank() > self.rank();
        let fails_an_unconfirmed_send = reported == Self::Failed && matches!(self, Self::Queued | Self::Sent);
        // A send that failed and was then delivered after all (a retry on the platform's side).
        let recovers = self == Self::Failed && reported.rank() >= Self::Delivered.rank();
        (forward || fails_an_unconfirmed_send || recovers).then_some(reported)
    }

    /// The send job has nothing left to do.
    pub fn is_settled(self) -> bool {
        self != Self::Queued
    }
}

#[cfg(test)]
mod tests {
    use super::DeliveryState::{self, *};

    #[test]
    fn states_never_move_backwards() {
        // from, reported, result
        let table: [(DeliveryState, DeliveryState, Option<DeliveryState>); 16] = [
            (Queued, Sent, Some(Sent)),
            (Queued, Read, Some(Read)),
            (Queued, Failed, Some(Failed)),
            (Sent, Sent, None),
            (Sent, Delivered, Some(Delivered)),
            (Sent, Failed, Some(Failed)),
            (Sent, Queued, None),
            (Delivered, Sent, None),
            (Delivered, Read, Some(Read)),
            (Delivered, Failed, None),
            (Read, Delivered, None),
            (Read, Sent, None),
            (Read, Failed, None),
            (Failed, Sent, None),
            (Failed, Delivered, Some(Delivered)),
            (Failed, Read, Some(Read)),
        ];
        for (from, reported, want) in table {
            assert_eq!(from.advance(reported), want, "{from} + {reported}");
        }
    }

    #[test]
    fn only_queued_waits_for_its_job() {
        assert!(!Queued.is_settled());
        assert!(DeliveryState::ALL.iter().filter(|s| **s != Queued).all(|s| s.is_settled()));
    }
}
