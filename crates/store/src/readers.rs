//! SQLite reads on plain blocking connections: a whole page read in one go on one of a few
//! reader threads, rows decoded in place. Through sqlx-sqlite every statement is a message to the connection's
//! worker thread, every row a channel send and every value a copy (`sqlite3_value_dup`); for a
//! page of posts that per-row cost was most of the request (ADR 0013, bench/README.md). The
//! connections are `rusqlite` over the same bundled SQLite, read-only; writes stay on sqlx's
//! one writer.

use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, NaiveDateTime, Utc};
use rusqlite::types::Type;
use rusqlite::{Connection, OpenFlags, Row};
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// Reader threads, each with its own connection: at most this many reads at once. Without a
/// bound, 256 waiting requests opened 256 connections (381 MiB peak RSS in the bench); on
/// tokio's blocking pool the reads spread over a dozen threads, each keeping its allocator
/// pages (bench/README.md).
const READER_THREADS: usize = 4;

/// A read to run on a reader thread, given its connection (or why it could not be opened).
type Job = Box<dyn FnOnce(rusqlite::Result<&Connection>) + Send>;

pub(crate) struct Readers {
    /// Taken by whichever reader thread is free; the threads stop when this is dropped.
    jobs: mpsc::Sender<Job>,
}

impl Readers {
    /// Readers of the database file at `path`; None for an in-memory database, which another
    /// connection cannot see.
    pub(crate) fn for_file(path: &Path, url: &str) -> Option<Arc<Readers>> {
        let name = path.to_string_lossy();
        if name.is_empty() || name == ":memory:" || url.contains(":memory:") || url.contains("mode=memory") {
            return None;
        }
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..READER_THREADS {
            let (path, queue) = (path.to_path_buf(), queue.clone());
            let spawned =
                std::thread::Builder::new().name(format!("sqlite-reader-{i}")).spawn(move || serve(&path, &queue));
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "could not start a SQLite reader thread");
            }
        }
        Some(Arc::new(Readers { jobs }))
    }

    /// Run `read` on a reader thread.
    pub(crate) async fn run<T, F>(self: &Arc<Self>, read: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let _ = done.send(conn.and_then(read));
        });
        self.jobs.send(job).map_err(|_| StoreError::Blocking("the SQLite readers have stopped".into()))?;
        let out = result.await.map_err(|_| StoreError::Blocking("a SQLite read did not finish".into()))?;
        Ok(out?)
    }
}

/// A reader thread: its connection, opened at the first read (the file may not exist before).
fn serve(path: &Path, queue: &Mutex<mpsc::Receiver<Job>>) {
    let mut conn: Option<Connection> = None;
    loop {
        let job = match queue.lock().unwrap_or_else(|p| p.into_inner()).recv() {
            Ok(job) => job,
            Err(_) => return, // the Db is gone
        };
        if conn.is_none() {
            match open(path) {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    job(Err(e));
                    continue;
                }
            }
        }
        if let Some(c) = &conn {
            // A read that panics fails its request (its result is never sent), not the thread.
            let _ = std::panic::catch_unwind(AssertUnwindSafe(|| job(Ok(c))));
        }
    }
}

fn open(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    let c = Connection::open_with_flags(path, flags)?;
    c.busy_timeout(Duration::from_secs(30))?;
    c.set_prepared_statement_cache_capacity(64);
    Ok(c)
}

fn conversion(i: usize, e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(i, Type::Text, e.into())
}

/// A timestamp as sqlx writes it (RFC 3339) or as SQLite's own functions do (`YYYY-MM-DD HH:MM:SS`).
fn parse_time(i: usize, s: &str) -> rusqlite::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%:z") {
        return Ok(t.with_timezone(&Utc));
    }
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .map(|t| t.and_utc())
        .ok_or_else(|| conversion(i, format!("'{s}' is not a timestamp")))
}

pub(crate) fn time(r: &Row, i: usize) -> rusqlite::Result<DateTime<Utc>> {
    parse_time(i, r.get_ref(i)?.as_str()?)
}

pub(crate) fn time_opt(r: &Row, i: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    match r.get_ref(i)?.as_str_or_null()? {
        Some(s) => parse_time(i, s).map(Some),
        None => Ok(None),
    }
}

/// A JSON column.
pub(crate) fn json<T: serde::de::DeserializeOwned>(r: &Row, i: usize) -> rusqlite::Result<T> {
    serde_json::from_str(r.get_ref(i)?.as_str()?).map_err(|e| conversion(i, e))
}

pub(crate) fn json_opt<T: serde::de::DeserializeOwned>(r: &Row, i: usize) -> rusqlite::Result<Option<T>> {
    match r.get_ref(i)?.as_str_or_null()? {
        Some(s) => serde_json::from_str(s).map(Some).map_err(|e| conversion(i, e)),
        None => Ok(None),
    }
}

/// A text column holding one of a domain enum's words.
pub(crate) fn word<T>(r: &Row, i: usize) -> rusqlite::Result<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let s = r.get_ref(i)?.as_str()?;
    s.parse().map_err(|e: T::Err| conversion(i, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_parse_as_sqlx_and_sqlite_write_them() {
        let t = Utc.with_ymd_and_hms(2026, 12, 3, 14, 16, 41).unwrap();
        for s in
            ["2026-12-03T14:16:41+00:00", "2026-12-03T14:16:41Z", "2026-12-03 14:16:41", "2026-12-03 14:16:41+00:00"]
        {
            assert_eq!(parse_time(0, s).unwrap(), t, "{s}");
        }
        let nanos = parse_time(0, "2026-12-03T14:16:41.123456789+00:00").unwrap();
        assert_eq!(nanos.timestamp_subsec_nanos(), 123_456_789);
        assert_eq!(parse_time(0, "2026-12-03T16:16:41+02:00").unwrap(), t);
        assert!(parse_time(0, "yesterday").is_err());
    }
}
