//! Storage for SQLite and PostgreSQL behind one API.
//!
//! Every repository function is written once: the `on!` macro expands its body for each
//! backend's connection type, so the same SQL text (with `$N` placeholders, which both
//! drivers accept) and the same row mapping serve both.

mod constraints;
mod db;
mod error;
mod filter_sql;
mod many;
mod readers;
pub mod schema;

pub mod audit;
pub mod calendar;
pub mod calendar_page;
pub mod channels;
pub mod clients;
pub mod events;
pub mod inbox;
pub mod invites;
pub mod listen;
pub mod media;
pub mod notifications;
pub mod orgs;
pub mod outbox;
pub mod post_page;
pub mod posts;
pub mod publishing;
pub mod sandbox;
pub mod sessions;
pub mod signed_in;
pub mod users;

pub use constraints::Unique;
pub use db::{Backend, Conn, Db, DbOptions, PoolConn, Tx};
pub use error::{StoreError, StoreResult};

/// Run `$body` with `$c` bound to the backend-specific `&mut Connection`.
#[macro_export]
macro_rules! on {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::Conn::Sqlite($c) => $body,
            $crate::Conn::Pg($c) => $body,
        }
    };
}

/// Run a statement on either backend; evaluates to `Result<rows_affected, sqlx::Error>`.
#[macro_export]
macro_rules! exec {
    ($conn:expr, $query:expr) => {
        match $conn {
            $crate::Conn::Sqlite(c) => $query.execute(c).await.map(|r| r.rows_affected()),
            $crate::Conn::Pg(c) => $query.execute(c).await.map(|r| r.rows_affected()),
        }
    };
}
