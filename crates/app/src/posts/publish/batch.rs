//! Group commit for the publish job. The attempt marks and results of the publishes running
//! at the same moment are written together: one read of what they need, then one transaction
//! with one statement per kind of write, where each publish alone took a transaction of seven
//! statements. Requests that arrive while rounds are being written wait for the next round, so
//! a busy process writes large rounds and an idle one answers at once.
//!
//! Each request keeps its own condition (ADR 0007): an attempt is marked only on the row as it
//! was read, a result only on a variant without a platform id. What a round cannot take — a
//! channel that needs reconnecting, the last allowed run, a row changed since it was read, a
//! failed round — goes back to the caller, which takes the one-at-a-time path.

use super::{count_attempt, next_status, settled, Loaded};
use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::events::EventData;
use crate::posts::status_event::PostStatusChanged;
use chrono::{DateTime, Utc};
use sellcast_domain::VariantStatus;
use sellcast_platforms::Published;
use sellcast_store::channels::{self, ChannelRow};
use sellcast_store::events::{self as store_events, NewEvent};
use sellcast_store::posts::{self, PostRow, VariantRow};
use sellcast_store::publishing::{self as bulk, AttemptMark, PostStatusMark, PublishedMark};
use sellcast_store::Db;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot, Semaphore};

/// Most requests written in one round.
const MAX_ROUND: usize = 256;
/// Rounds in flight: one reads while another writes (SQLite), or both write on their own
/// connections (PostgreSQL; posts are locked in id order, so they cannot deadlock).
const ROUNDS_AT_ONCE: usize = 2;

/// What a batched attempt start came to.
pub(super) enum Begun {
    /// Marked in the database: publish it.
    Ready(Box<Loaded>),
    /// Nothing to do (published, failed, a draft again, or gone).
    Nothing,
    /// Not taken by the round: use the one-at-a-time path.
    Single,
}

struct Begin {
    variant_id: String,
    reply: oneshot::Sender<Begun>,
}

struct Finish {
    variant_id: String,
    post_id: String,
    published: Published,
    /// True once written.
    reply: oneshot::Sender<bool>,
}

enum Request {
    Begin(Begin),
    Finish(Finish),
}

/// The process's publish group committer; its task starts on first use.
#[derive(Default)]
pub struct GroupCommit {
    sender: OnceLock<mpsc::UnboundedSender<Request>>,
}

impl GroupCommit {
    fn send(&self, db: &Db, clock: &Clock, req: Request) -> bool {
        let sender = self.sender.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(run(db.clone(), clock.clone(), rx));
            tx
        });
        sender.send(req).is_ok()
    }

    /// Mark the start of an attempt on `variant_id` in the next round.
    pub(super) async fn begin(&self, db: &Db, clock: &Clock, variant_id: &str) -> Begun {
        let (reply, answer) = oneshot::channel();
        if !self.send(db, clock, Request::Begin(Begin { variant_id: variant_id.to_string(), reply })) {
            return Begun::Single;
        }
        answer.await.unwrap_or(Begun::Single)
    }

    /// Record the platform's answer for `l` in the next round; false when the round could not
    /// (the caller writes it alone).
    pub(super) async fn finish(&self, db: &Db, clock: &Clock, l: &Loaded, published: &Published) -> bool {
        let (reply, answer) = oneshot::channel();
        let req = Finish {
            variant_id: l.variant.id.clone(),
            post_id: l.post.id.clone(),
            published: published.clone(),
            reply,
        };
        self.send(db, clock, Request::Finish(req)) && answer.await.unwrap_or(false)
    }
}

async fn run(db: Db, clock: Clock, mut rx: mpsc::UnboundedReceiver<Request>) {
    let rounds = Arc::new(Semaphore::new(ROUNDS_AT_ONCE));
    while let Some(first) = rx.recv().await {
        // Requests keep arriving while this waits for a round to end: they join this round.
        let Ok(permit) = rounds.clone().acquire_owned().await else { return };
        let (mut begins, mut finishes) = (Vec::new(), Vec::new());
        let mut next = Some(first);
        let mut taken = 0;
        while let Some(req) = next.take() {
            match req {
                Request::Begin(b) => begins.push(b),
                Request::Finish(f) => finishes.push(f),
            }
            taken += 1;
            if taken < MAX_ROUND {
                next = rx.try_recv().ok();
            }
        }
        let (db, now) = (db.clone(), clock.now());
        tokio::spawn(async move {
            round(&db, now, begins, finishes).await;
            drop(permit);
        });
    }
}

/// An attempt the round will try to mark.
struct Candidate {
    loaded: Loaded,
    after: VariantRow,
    maybe_sent: bool,
    reply: oneshot::Sender<Begun>,
}

async fn round(db: &Db, now: DateTime<Utc>, begins: Vec<Begin>, finishes: Vec<Finish>) {
    let ids: Vec<String> = begins.iter().map(|b| b.variant_id.clone()).collect();
    let mut found = match preload(db, &ids).await {
        Ok(found) => Some(found),
        Err(e) => {
            tracing::warn!(error = %e, "reading a publish round failed; its attempts go one at a time");
            None
        }
    };
    let mut candidates = Vec::new();
    let mut seen = HashSet::new();
    for b in begins {
        let Some(found) = found.as_mut() else {
            let _ = b.reply.send(Begun::Single);
            continue;
        };
        if !seen.insert(b.variant_id.clone()) {
            let _ = b.reply.send(Begun::Single);
            continue;
        }
        let Some(loaded) = found.remove(&b.variant_id) else {
            let _ = b.reply.send(Begun::Nothing);
            continue;
        };
        let mut after = loaded.variant.clone();
        let maybe_sent = count_attempt(&mut after, now);
        // Holding a variant or giving up on it notifies people: the one-at-a-time path does that.
        if !loaded.channel.status.can_publish() || after.status == VariantStatus::Failed {
            let _ = b.reply.send(Begun::Single);
            continue;
        }
        candidates.push(Candidate { loaded, after, maybe_sent, reply: b.reply });
    }
    match write(db, now, &candidates, &finishes).await {
        Ok((marked, mut posts)) => {
            for c in candidates {
                let answer = if marked.contains(&c.after.id) {
                    let mut l = c.loaded;
                    if let Some(post) = posts.remove(&l.post.id) {
                        l.post = post;
                    }
                    l.variant = c.after;
                    l.maybe_sent = c.maybe_sent;
                    Begun::Ready(Box::new(l))
                } else {
                    Begun::Single
                };
                let _ = c.reply.send(answer);
            }
            for f in finishes {
                let _ = f.reply.send(true);
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "writing a publish round failed; its requests go one at a time");
            for c in candidates {
                let _ = c.reply.send(Begun::Single);
            }
            for f in finishes {
                let _ = f.reply.send(false);
            }
        }
    }
}

fn unique(ids: impl Iterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = ids.collect();
    v.sort();
    v.dedup();
    v
}

/// Each unsettled variant's post, channel and media, read outside any transaction (so the
/// writer is held only for the writes), by variant id.
async fn preload(db: &Db, ids: &[String]) -> AppResult<HashMap<String, Loaded>> {
    let mut c = db.read().await?;
    let variants: Vec<VariantRow> =
        posts::variants_by_ids(c.conn(), ids).await?.into_iter().filter(|v| !settled(v)).collect();
    let post_ids = unique(variants.iter().map(|v| v.post_id.clone()));
    let channel_ids = unique(variants.iter().map(|v| v.channel_id.clone()));
    let media_post_ids = unique(variants.iter().filter(|v| v.media_ids.is_none()).map(|v| v.post_id.clone()));
    let posts: HashMap<String, PostRow> =
        posts::by_ids(c.conn(), &post_ids, false).await?.into_iter().map(|p| (p.id.clone(), p)).collect();
    let channels: HashMap<String, ChannelRow> =
        channels::by_ids(c.conn(), &channel_ids).await?.into_iter().map(|ch| (ch.id.clone(), ch)).collect();
    let mut media: HashMap<String, Vec<String>> = HashMap::new();
    for (post_id, media_id) in posts::media_of_posts(c.conn(), &media_post_ids).await? {
        media.entry(post_id).or_default().push(media_id);
    }
    let mut out = HashMap::with_capacity(variants.len());
    for variant in variants {
        let Some(post) = posts.get(&variant.post_id) else { continue };
        let Some(channel) = channels.get(&variant.channel_id).filter(|ch| ch.org_id == variant.org_id) else {
            continue;
        };
        let media_ids = match &variant.media_ids {
            Some(ids) => ids.clone(),
            None => media.get(&variant.post_id).cloned().unwrap_or_default(),
        };
        let loaded = Loaded { post: post.clone(), channel: channel.clone(), variant, media_ids, maybe_sent: false };
        out.insert(loaded.variant.id.clone(), loaded);
    }
    Ok(out)
}

/// One transaction: the attempt marks, the results, the posts' statuses and their
/// `post:status` events. The ids of the attempts marked, and the posts as they now are.
async fn write(
    db: &Db,
    now: DateTime<Utc>,
    candidates: &[Candidate],
    finishes: &[Finish],
) -> AppResult<(HashSet<String>, HashMap<String, PostRow>)> {
    if candidates.is_empty() && finishes.is_empty() {
        return Ok(Default::default());
    }
    let mut tx = db.begin().await?;
    let marks: Vec<AttemptMark<'_>> =
        candidates.iter().map(|c| AttemptMark { after: &c.after, before: &c.loaded.variant }).collect();
    let marked: HashSet<String> = bulk::mark_attempts(tx.conn(), &marks, now).await?.into_iter().collect();
    let results: Vec<PublishedMark<'_>> = finishes
        .iter()
        .map(|f| PublishedMark {
            variant_id: &f.variant_id,
            platform_post_id: &f.published.platform_post_id,
            url: f.published.url.as_deref(),
        })
        .collect();
    // A variant that already had an id keeps it: a variant is published once, with one id.
    bulk::mark_published(tx.conn(), &results, now).await?;

    // The posts whose variants changed; locked (PostgreSQL) before their variants are read, so
    // concurrent writers of a post's other variants see each other's commits (see
    // `set_post_status`).
    let changed = candidates.iter().filter(|c| marked.contains(&c.after.id)).map(|c| c.loaded.post.id.clone());
    let post_ids = unique(changed.chain(finishes.iter().map(|f| f.post_id.clone())));
    let posts = posts::by_ids(tx.conn(), &post_ids, true).await?;
    let mut variants: HashMap<String, Vec<VariantRow>> = HashMap::new();
    for v in posts::variants_of_posts(tx.conn(), &post_ids).await? {
        variants.entry(v.post_id.clone()).or_default().push(v);
    }
    let mut after: Vec<(PostRow, Vec<VariantRow>, bool)> = Vec::with_capacity(posts.len());
    for mut post in posts {
        let vs = variants.remove(&post.id).unwrap_or_default();
        let (status, published_at) = next_status(&post, &vs, now);
        let changed = status != post.status || published_at != post.published_at;
        if changed {
            post.status = status;
            post.published_at = published_at;
            post.updated_at = now;
        }
        after.push((post, vs, changed));
    }
    let statuses: Vec<PostStatusMark<'_>> = after
        .iter()
        .filter(|(_, _, changed)| *changed)
        .map(|(p, _, _)| PostStatusMark { post_id: &p.id, status: p.status, published_at: p.published_at })
        .collect();
    bulk::set_post_statuses(tx.conn(), &statuses, now).await?;
    let mut events = Vec::with_capacity(after.len());
    for (post, vs, _) in &after {
        let data = serde_json::to_value(PostStatusChanged::of(post, vs)).map_err(AppError::internal)?;
        events.push(NewEvent { org_id: &post.org_id, user_id: None, kind: PostStatusChanged::KIND, data });
    }
    store_events::insert_many(tx.conn(), &events, now).await?;
    tx.commit().await?;
    Ok((marked, after.into_iter().map(|(p, _, _)| (p.id.clone(), p)).collect()))
}
