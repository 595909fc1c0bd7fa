//! Hearing other processes' events: a PostgreSQL `LISTEN` on the event channel. SQLite has one
//! process per database, whose commits the `Db` announces itself (`events_committed`).

use crate::db::Db;
use crate::events::CHANNEL;
use sqlx::postgres::PgListener;
use std::time::Duration;

/// An event another (or this) process committed, as announced by NOTIFY.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announced {
    pub org_id: String,
    pub id: i64,
}

/// What waiting on the listener gave.
pub enum Heard {
    Event(Announced),
    /// The connection was lost (or there is none on SQLite): whatever was committed meanwhile
    /// must be read some other way; `connect` again.
    Lost,
    /// The database was closed: stop.
    Closed,
}

/// A `LISTEN` connection, or none (SQLite, or PostgreSQL while reconnecting).
#[derive(Default)]
pub struct EventListener {
    inner: Option<PgListener>,
}

impl EventListener {
    /// Listen on PostgreSQL; on SQLite (or when LISTEN fails, logged) an idle listener.
    pub async fn connect(db: &Db) -> EventListener {
        let Some(pool) = db.pg_pool() else { return EventListener::default() };
        let listener = match PgListener::connect_with(pool).await {
            Ok(mut l) => match l.listen(CHANNEL).await {
                Ok(()) => Some(l),
                Err(e) => {
                    tracing::warn!(error = %e, "LISTEN for stream events failed; polling meanwhile");
                    None
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, "LISTEN for stream events failed; polling meanwhile");
                None
            }
        };
        EventListener { inner: listener }
    }

    pub fn is_listening(&self) -> bool {
        self.inner.is_some()
    }

    /// The next announced event. Without a connection this waits a second and says `Lost`, so
    /// the caller's retry loop keeps its pace.
    pub async fn recv(&mut self) -> Heard {
        let Some(l) = self.inner.as_mut() else {
            tokio::time::sleep(Duration::from_secs(1)).await;
            return Heard::Lost;
        };
        match l.try_recv().await {
            Ok(Some(n)) => match parse(n.payload()) {
                Some(a) => Heard::Event(a),
                None => Heard::Lost,
            },
            Ok(None) => {
                self.inner = None;
                Heard::Lost
            }
            Err(sqlx::Error::PoolClosed) => Heard::Closed,
            Err(e) => {
                tracing::warn!(error = %e, "the LISTEN connection for stream events failed");
                self.inner = None;
                tokio::time::sleep(Duration::from_secs(1)).await;
                Heard::Lost
            }
        }
    }
}

/// `<org_id> <event id>`, as `events::insert` sends it.
fn parse(payload: &str) -> Option<Announced> {
    let (org, id) = payload.split_once(' ')?;
    Some(Announced { org_id: org.to_string(), id: id.parse().ok()? })
}

#[cfg(test)]
mod tests {
    #[test]
    fn payloads_name_org_and_id() {
        assert_eq!(super::parse("o1 42"), Some(super::Announced { org_id: "o1".into(), id: 42 }));
        assert_eq!(super::parse("o1 x"), None);
        assert_eq!(super::parse("nothing"), None);
    }
}
