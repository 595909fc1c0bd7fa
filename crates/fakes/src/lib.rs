//! Fake platform servers for tests and benchmarks. Each checks requests the way its platform
//! does (a wrong header or body gets the platform's real error) and answers with the
//! platform's documented responses. Faults can be injected: 401 expired token, 429 with reset
//! headers, 5xx, a fixed latency, and a dropped connection after the request was processed
//! (the post exists, the client never hears so).

pub mod faults;
pub mod server;

pub mod bluesky;
pub mod linkedin;
pub mod mastodon;
pub mod meta;
pub mod x;

pub use faults::{Fault, Faults};
pub use server::FakeServer;
