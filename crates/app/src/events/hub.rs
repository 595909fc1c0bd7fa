//! The process-wide hub that wakes subscribers of the event stream after commit, and the
//! subscriptions themselves.
//!
//! Wake-ups come from: on SQLite, the store's after-commit signal of this process's writer;
//! on PostgreSQL, `LISTEN sellcast_events` (every process hears every commit, in commit
//! order); on both, a slow poll of the highest id, for writers in other processes (SQLite)
//! or a LISTEN connection that was lost (PostgreSQL). A wake-up only makes subscribers
//! read: the table is the truth.
//!
//! PostgreSQL hands out ids before commit, so two transactions may commit out of id order and
//! a reader may see id 11 before id 10 exists. The NOTIFY of id 10 then arrives after the
//! subscriber moved past it; the subscriber fetches such a late id by itself.

use crate::error::AppResult;
use sellcast_store::events::{self, EventRow};
use sellcast_store::listen::{EventListener, Heard};
use sellcast_store::{orgs, Backend, Db};
use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, Once, Weak};
use std::time::Duration;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

/// Events read per query.
const BATCH: i64 = 200;
/// Ids a subscriber remembers having delivered, to recognise a late NOTIFY of one of them.
const REMEMBERED: usize = 1024;
/// How often a subscriber checks that its user is still a member (and reads once more).
const RECHECK: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
enum Signal {
    /// Something may have been committed; everyone reads.
    Any,
    /// This event of this org was committed (PostgreSQL, in commit order).
    Event(Arc<str>, i64),
}

/// Wakes this process's subscribers; one per `App`.
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    signal: broadcast::Sender<Signal>,
    closed: watch::Sender<bool>,
    started: Once,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            inner: Arc::new(Inner {
                signal: broadcast::channel(4096).0,
                closed: watch::Sender::new(false),
                started: Once::new(),
            }),
        }
    }
}

impl Hub {
    /// End every stream (the server is shutting down); later subscriptions end at once.
    pub fn close(&self) {
        self.inner.closed.send_replace(true);
    }

    /// A subscription to `org_id` for `user_id` (membership is the caller's check).
    pub(crate) async fn subscribe(
        &self,
        db: &Db,
        org_id: &str,
        user_id: &str,
        last_event_id: Option<i64>,
    ) -> AppResult<Subscription> {
        self.inner.started.call_once(|| {
            tokio::spawn(pump(Arc::downgrade(&self.inner), db.clone()));
        });
        // Listen before reading the position, so nothing committed in between is missed.
        let rx = self.inner.signal.subscribe();
        let max = {
            let mut c = db.read().await?;
            events::max_id(c.conn()).await?
        };
        // An id from the future (another database, a forged header) would silence the stream.
        let last = last_event_id.map_or(max, |id| id.clamp(0, max));
        Ok(Subscription {
            db: db.clone(),
            org_id: org_id.into(),
            user_id: user_id.to_string(),
            last,
            dirty: last_event_id.is_some(),
            late: Vec::new(),
            delivered: BTreeSet::new(),
            ready: VecDeque::new(),
            rx,
            closed: self.inner.closed.subscribe(),
            recheck_at: Instant::now() + RECHECK,
        })
    }
}

/// Turn commits into signals until the hub is dropped or closed, or the database closes.
async fn pump(hub: Weak<Inner>, db: Db) {
    let poll = match db.backend() {
        Backend::Sqlite => Duration::from_secs(2),
        Backend::Postgres => Duration::from_secs(15),
    };
    let mut commits = db.events_committed();
    let mut listener = EventListener::default();
    let mut seen_max = 0i64;
    let mut next_poll = Instant::now() + poll;
    let Some(mut closed) = hub.upgrade().map(|h| h.closed.subscribe()) else { return };
    loop {
        if *closed.borrow() {
            return;
        }
        if db.backend() == Backend::Postgres && !listener.is_listening() {
            if db.is_closed() {
                return;
            }
            listener = EventListener::connect(&db).await;
            // Whatever was committed while not listening is read now.
            send(&hub, Signal::Any);
        }
        tokio::select! {
            gone = closed.changed() => {
                if gone.is_err() {
                    return;
                }
            }
            changed = commits.changed() => {
                if changed.is_err() {
                    return;
                }
                send(&hub, Signal::Any);
            }
            heard = listener.recv() => match heard {
                Heard::Event(a) => send(&hub, Signal::Event(a.org_id.into(), a.id)),
                Heard::Lost => {}
                Heard::Closed => return,
            },
            _ = tokio::time::sleep_until(next_poll) => {
                next_poll = Instant::now() + poll;
                let Some(h) = hub.upgrade() else { return };
                if h.signal.receiver_count() == 0 {
                    continue;
                }
                let max = match db.read().await {
                    Ok(mut c) => events::max_id(c.conn()).await.unwrap_or(seen_max),
                    Err(_) => seen_max,
                };
                if max > seen_max {
                    seen_max = max;
                    let _ = h.signal.send(Signal::Any);
                }
            }
        }
    }
}

fn send(hub: &Weak<Inner>, s: Signal) {
    if let Some(h) = hub.upgrade() {
        // No receivers is fine: nobody is subscribed.
        let _ = h.signal.send(s);
    }
}

/// One client's view of one org's stream.
pub struct Subscription {
    db: Db,
    org_id: Arc<str>,
    user_id: String,
    /// The highest id delivered (or the starting point).
    last: i64,
    /// Read `id > last` before waiting again.
    dirty: bool,
    /// Ids at or below `last` whose commit was announced after the reader moved past them.
    late: Vec<i64>,
    delivered: BTreeSet<i64>,
    ready: VecDeque<EventRow>,
    rx: broadcast::Receiver<Signal>,
    closed: watch::Receiver<bool>,
    recheck_at: Instant,
}

impl Subscription {
    /// The next event; None when the stream is over (shutdown, or the user left the org).
    pub async fn next(&mut self) -> AppResult<Option<EventRow>> {
        loop {
            if *self.closed.borrow() {
                return Ok(None);
            }
            if let Some(e) = self.ready.pop_front() {
                return Ok(Some(e));
            }
            if self.dirty || !self.late.is_empty() {
                self.read().await?;
                continue;
            }
            tokio::select! {
                _ = self.closed.changed() => return Ok(None),
                s = self.rx.recv() => match s {
                    Ok(Signal::Any) | Err(broadcast::error::RecvError::Lagged(_)) => self.dirty = true,
                    Ok(Signal::Event(org, id)) if org == self.org_id => {
                        if id > self.last {
                            self.dirty = true;
                        } else if !self.delivered.contains(&id) {
                            self.late.push(id);
                        }
                    }
                    Ok(Signal::Event(..)) => {}
                    Err(broadcast::error::RecvError::Closed) => return Ok(None),
                },
                _ = tokio::time::sleep_until(self.recheck_at) => {
                    self.recheck_at = Instant::now() + RECHECK;
                    if !self.still_member().await? {
                        return Ok(None);
                    }
                    self.dirty = true;
                }
            }
        }
    }

    /// The late ids first (they were committed before what comes next), then `id > last`.
    async fn read(&mut self) -> AppResult<()> {
        let mut c = self.db.read().await?;
        for id in std::mem::take(&mut self.late) {
            if self.delivered.contains(&id) {
                continue;
            }
            if let Some(e) = events::one(c.conn(), &self.org_id, &self.user_id, id).await? {
                self.remember(e.id);
                self.ready.push_back(e);
            }
        }
        let rows = events::after(c.conn(), &self.org_id, &self.user_id, self.last, BATCH).await?;
        self.dirty = rows.len() as i64 == BATCH;
        for e in rows {
            self.last = self.last.max(e.id);
            self.remember(e.id);
            self.ready.push_back(e);
        }
        Ok(())
    }

    fn remember(&mut self, id: i64) {
        self.delivered.insert(id);
        if self.delivered.len() > REMEMBERED {
            self.delivered.pop_first();
        }
    }

    async fn still_member(&self) -> AppResult<bool> {
        let mut c = self.db.read().await?;
        Ok(orgs::role_of(c.conn(), &self.org_id, &self.user_id).await?.is_some())
    }
}
