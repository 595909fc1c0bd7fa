//! An inbound event's life: stored as received (pending), then processed, or dead once its
//! attempts are spent (kept, with the raw body, for instance admins).

crate::text_enum! {
    pub enum InboundState {
        Pending = "pending",
        Processed = "processed",
        Dead = "dead",
    }
}
