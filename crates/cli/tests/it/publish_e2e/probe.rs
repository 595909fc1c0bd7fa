//! What the platforms hold, read while the test runs: the fakes' counts, and the database
//! (the sandbox's posts, the variants in doubt).

use crate::publish_e2e::world::World;
use sqlx::Connection;
use std::time::Duration;

/// What the platforms hold so far.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    pub sandbox: i64,
    pub mastodon: usize,
    pub bluesky: usize,
}

impl Progress {
    pub fn total(&self) -> usize {
        self.sandbox as usize + self.mastodon + self.bluesky
    }
}

impl std::fmt::Display for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sandbox {}, mastodon {}, bluesky {}", self.sandbox, self.mastodon, self.bluesky)
    }
}

/// Reads straight from the database, on one connection kept open: the sandbox network's
/// posts (the sandbox's "platform side") and the variants whose calls were under way.
pub enum Probe {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Probe {
    pub async fn open(w: &World) -> Probe {
        match (w.sqlite_path(), w.database_url()) {
            (Some(path), _) => {
                let options =
                    sqlx::sqlite::SqliteConnectOptions::new().filename(path).busy_timeout(Duration::from_secs(30));
                Probe::Sqlite(sqlx::SqliteConnection::connect_with(&options).await.expect("open SQLite"))
            }
            (None, Some(url)) => Probe::Postgres(sqlx::PgConnection::connect(url).await.expect("PostgreSQL")),
            (None, None) => panic!("no database to probe"),
        }
    }

    async fn count(&mut self, sql: &str, arg: &str) -> i64 {
        match self {
            Probe::Sqlite(c) => sqlx::query_scalar(sql).bind(arg).fetch_one(c).await,
            Probe::Postgres(c) => sqlx::query_scalar(sql).bind(arg).fetch_one(c).await,
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Top-level sandbox posts of `channel` (deleted ones included: they went out).
    pub async fn sandbox_posts(&mut self, channel: &str) -> i64 {
        self.count("SELECT COUNT(*) FROM sandbox_posts WHERE channel_id = $1 AND reply_to IS NULL", channel).await
    }

    /// Variants of `channel` whose platform call may be under way or may have gone through
    /// unanswered (`publishing`, `unconfirmed`).
    pub async fn variants_in_doubt(&mut self, channel: &str) -> i64 {
        let sql =
            "SELECT COUNT(*) FROM post_variants WHERE channel_id = $1 AND status IN ('publishing', 'unconfirmed')";
        self.count(sql, channel).await
    }

    pub async fn progress(&mut self, w: &World) -> Progress {
        Progress {
            sandbox: self.sandbox_posts(&w.channels.sandbox).await,
            mastodon: w.mastodon_state.count(),
            bluesky: w.bluesky_state.count(),
        }
    }
}
