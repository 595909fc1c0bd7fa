//! A background job's state machine (the durable queue, ADR 0005): waiting, running, retried,
//! and finished one of three ways.

crate::text_enum! {
    pub enum JobState {
        /// Waiting for a future run_at.
        Scheduled = "scheduled",
        /// Ready to run.
        Available = "available",
        /// Claimed by a worker holding a lease.
        Running = "running",
        /// Failed an attempt; runs again at run_at.
        Retryable = "retryable",
        Completed = "completed",
        Cancelled = "cancelled",
        /// Out of attempts or discarded: the dead-letter state.
        Dead = "dead",
    }
}

impl JobState {
    /// It will not run again by itself.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Completed | Self::Cancelled | Self::Dead)
    }

    /// An administrator may run it again now: anything not running right now.
    pub fn can_retry(self) -> bool {
        !matches!(self, Self::Running | Self::Available)
    }

    /// An administrator may cancel it: anything that may still run.
    pub fn can_cancel(self) -> bool {
        !self.is_finished()
    }
}

#[cfg(test)]
mod tests {
    use super::JobState::{self, *};

    /// state, finished, can_retry, can_cancel
    const TABLE: [(JobState, bool, bool, bool); 7] = [
        (Scheduled, false, true, true),
        (Available, false, false, true),
        (Running, false, false, true),
        (Retryable, false, true, true),
        (Completed, true, true, false),
        (Cancelled, true, true, false),
        (Dead, true, true, false),
    ];

    #[test]
    fn what_each_state_allows() {
        assert_eq!(TABLE.len(), JobState::ALL.len());
        for (s, finished, retry, cancel) in TABLE {
            assert_eq!((s.is_finished(), s.can_retry(), s.can_cancel()), (finished, retry, cancel), "{s}");
        }
    }
}
