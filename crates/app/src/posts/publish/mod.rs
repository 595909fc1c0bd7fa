//! The publish job: one per (post, variant), unique per variant. Exactly once:
//! - a variant that already has a platform id is done;
//! - an attempt that may have reached the platform (answer lost, or a crash mid-call) leaves
//!   the variant `unconfirmed`/`publishing`, and the next attempt asks the platform first,
//!   publishing again only when the post provably does not exist;
//! - the platform id is recorded in the same transaction that marks the variant published;
//! - the platform's own idempotency key (Mastodon) or a deterministic record key (Bluesky)
//!   is sent with every attempt.

use crate::channels::{credentials, refresh};
use crate::error::{AppError, AppResult};
use crate::notifications::{self, Notice};
use crate::App;
use chrono::{DateTime, Duration, Utc};
use sellcast_domain::{PostStatus, VariantStatus};
use sellcast_platforms::{PlatformError, PublishRequest, Published};
use sellcast_queue::Outcome;
use sellcast_store::channels::{self, ChannelRow};
use sellcast_store::posts::{self, PostRow, VariantRow};
use sellcast_store::{users, Conn};
use serde_json::json;

mod batch;

pub use batch::GroupCommit;

/// Handler runs (snoozes included) after which a rate-limited variant stops waiting.
const MAX_RUNS: i32 = 30;

/// The job's entry point: every error becomes a retry (the variant keeps its state).
pub async fn run(app: &App, variant_id: &str, attempt: i32, max_attempts: i32) -> Outcome {
    match run_attempt(app, variant_id, attempt >= max_attempts).await {
        Ok(o) => o,
        Err(e) => Outcome::Retry(e.to_string()),
    }
}

struct Loaded {
    post: PostRow,
    variant: VariantRow,
    channel: ChannelRow,
    /// The variant's media (its own list, or the post's).
    media_ids: Vec<String>,
    /// A previous attempt may have reached the platform.
    maybe_sent: bool,
}

async fn run_attempt(app: &App, variant_id: &str, last_attempt: bool) -> AppResult<Outcome> {
    let l = match app.publish_commit.begin(&app.db, &app.clock, variant_id).await {
        batch::Begun::Ready(l) => *l,
        batch::Begun::Nothing => return Ok(Outcome::Done),
        batch::Begun::Single => match begin_attempt(app, variant_id).await? {
            Some(l) => l,
            None => return Ok(Outcome::Done),
        },
    };
    let platform = crate::channels::platform_of(&l.channel.platform)?;
    let adapter = crate::channels::adapter(app, platform)?;
    let req = build_request(app, &l, platform).await?;
    let mut creds = credentials::open(app, &l.channel)?;
    if l.maybe_sent {
        match adapter.find_published(&creds, &req).await {
            Ok(Some(found)) => return finish_published(app, &l, found).await,
            Ok(None) => {}
            Err(e) => return failed_attempt(app, &l, e, true, last_attempt).await,
        }
    }
    let mut result = adapter.publish(&creds, &req).await;
    if let Err(PlatformError::Auth { message }) = &result {
        // Refresh once; a refused refresh means the user must reconnect.
        match refresh::refresh_now(app, &l.channel).await? {
            Ok(fresh) => {
                creds = fresh;
                result = adapter.publish(&creds, &req).await;
            }
            Err(e) => {
                let why = format!("{message} (refreshing the token failed too: {})", e.message());
                refresh::needs_reconnect(app, &l.channel, &why).await?;
                return hold(app, variant_id, &why).await;
            }
        }
    }
    match result {
        Ok(published) => finish_published(app, &l, published).await,
        Err(e) => failed_attempt(app, &l, e, false, last_attempt).await,
    }
}

/// Nothing left to do for this variant.
fn settled(v: &VariantRow) -> bool {
    v.platform_post_id.is_some() || v.status.is_settled()
}

/// Count the attempt on `v`; true when an earlier attempt may have reached the platform.
fn count_attempt(v: &mut VariantRow, now: DateTime<Utc>) -> bool {
    let maybe_sent = v.status.maybe_sent();
    v.first_attempt_at = v.first_attempt_at.or(Some(now));
    v.attempts += 1;
    if v.attempts > MAX_RUNS {
        v.status = VariantStatus::Failed;
        v.error = Some("gave up after too many attempts".into());
    } else {
        v.status = v.status.on_attempt();
    }
    v.updated_at = now;
    maybe_sent
}

/// The variant, its post, channel and media as they are now, read outside any transaction
/// (so the writer is held only for the writes); None when there is nothing to do.
async fn preload(app: &App, variant_id: &str) -> AppResult<Option<Loaded>> {
    let mut c = app.db.read().await?;
    let Some(variant) = posts::variant(c.conn(), variant_id).await? else { return Ok(None) };
    if settled(&variant) {
        return Ok(None);
    }
    let Some(post) = posts::by_id_any_org(c.conn(), &variant.post_id).await? else { return Ok(None) };
    let Some(channel) = channels::by_id(c.conn(), &variant.org_id, &variant.channel_id).await? else {
        return Ok(None);
    };
    let media_ids = match &variant.media_ids {
        Some(ids) => ids.clone(),
        None => posts::media_of(c.conn(), &post.id).await?,
    };
    Ok(Some(Loaded { post, variant, channel, media_ids, maybe_sent: false }))
}

/// Mark the attempt (the variant `publishing`, its post too); None when there is nothing to do.
/// The common case is one conditional update of the row as it was read; when something
/// changed it in between, the row is locked and read again.
async fn begin_attempt(app: &App, variant_id: &str) -> AppResult<Option<Loaded>> {
    let Some(mut l) = preload(app, variant_id).await? else { return Ok(None) };
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let mut v = l.variant.clone();
    let mut maybe_sent = count_attempt(&mut v, now);
    if !l.channel.status.can_publish() || !posts::mark_attempt(tx.conn(), &v, &l.variant).await? {
        let Some(locked) = posts::variant_for_update(tx.conn(), variant_id).await? else { return Ok(None) };
        if settled(&locked) {
            return Ok(None);
        }
        v = locked;
        if !l.channel.status.can_publish() {
            v.status = VariantStatus::Held;
            v.error = Some(format!("{} needs to be reconnected; the post goes out once it is", l.channel.handle));
            v.updated_at = now;
            posts::update_variant(tx.conn(), &v).await?;
            set_post_status(tx.conn(), &mut l.post, now).await?;
            tx.commit().await?;
            return Ok(None);
        }
        maybe_sent = count_attempt(&mut v, now);
        posts::update_variant(tx.conn(), &v).await?;
        l.media_ids = match &v.media_ids {
            Some(ids) => ids.clone(),
            None => posts::media_of(tx.conn(), &l.post.id).await?,
        };
    }
    set_post_status(tx.conn(), &mut l.post, now).await?;
    tx.commit().await?;
    if v.status == VariantStatus::Failed {
        notify_failure(app, &l.post, &l.channel, "gave up after too many attempts").await?;
        return Ok(None);
    }
    l.variant = v;
    l.maybe_sent = maybe_sent;
    Ok(Some(l))
}

async fn build_request(app: &App, l: &Loaded, platform: sellcast_domain::Platform) -> AppResult<PublishRequest> {
    let mut media = Vec::with_capacity(l.media_ids.len());
    for id in &l.media_ids {
        media.push(crate::media::publishable(app, &l.post.org_id, id, platform).await?);
    }
    Ok(PublishRequest {
        text: l.variant.text.clone().unwrap_or_else(|| l.post.text.clone()),
        media,
        first_comment: l.variant.first_comment.clone(),
        options: l.variant.options.clone(),
        idempotency_key: l.variant.id.clone(),
        first_attempt_at: l.variant.first_attempt_at.unwrap_or_else(|| app.clock.now()),
    })
}

/// The post's status and publish time once its variants are these.
fn next_status(post: &PostRow, variants: &[VariantRow], now: DateTime<Utc>) -> (PostStatus, Option<DateTime<Utc>>) {
    let status = post.status.from_variants(variants.iter().map(|v| v.status));
    let published_at = if status.is_out() { post.published_at.or(Some(now)) } else { post.published_at };
    (status, published_at)
}

async fn set_post_status(mut c: Conn<'_>, post: &mut PostRow, now: DateTime<Utc>) -> AppResult<()> {
    // The post's other variants settle in concurrent transactions. Under PostgreSQL's read
    // committed, two of them reading the variants before either commits would each see the
    // other still publishing and leave the post `publishing` for good; taking the post's lock
    // first makes the last one read every variant the others committed.
    if let Some(locked) = posts::post_for_update(c.re(), &post.id).await? {
        *post = locked;
    }
    let variants = posts::variants_of(c.re(), &post.id).await?;
    let (status, published_at) = next_status(post, &variants, now);
    if status != post.status || published_at != post.published_at {
        post.status = status;
        post.published_at = published_at;
        posts::set_status(c.re(), &post.id, post.status, post.published_at, now).await?;
    }
    // Every caller has just changed a variant: tell the org's streams, in this transaction.
    crate::posts::status_event::emit_for_rows(c, post, &variants, now).await
}

/// Record the platform's id and URL and mark the variant published, in one transaction (with
/// the other results of the moment, or alone when the group commit could not).
async fn finish_published(app: &App, l: &Loaded, p: Published) -> AppResult<Outcome> {
    if app.publish_commit.finish(&app.db, &app.clock, l, &p).await {
        return Ok(Outcome::Done);
    }
    let now = app.clock.now();
    let mut post = l.post.clone();
    let mut tx = app.db.begin().await?;
    // Only when it has no platform id yet: a variant is published once, with one id.
    posts::mark_published(tx.conn(), &l.variant.id, &p.platform_post_id, p.url.as_deref(), now).await?;
    set_post_status(tx.conn(), &mut post, now).await?;
    tx.commit().await?;
    Ok(Outcome::Done)
}

/// Park the variant until its channel is reconnected.
async fn hold(app: &App, variant_id: &str, why: &str) -> AppResult<Outcome> {
    set_variant(app, variant_id, VariantStatus::Held, why).await?;
    Ok(Outcome::Done)
}

async fn set_variant(app: &App, variant_id: &str, status: VariantStatus, error: &str) -> AppResult<Option<PostRow>> {
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let Some(mut v) = posts::variant_for_update(tx.conn(), variant_id).await? else { return Ok(None) };
    if v.platform_post_id.is_some() {
        return Ok(None);
    }
    v.status = status;
    v.error = Some(error.chars().take(2000).collect());
    v.updated_at = now;
    posts::update_variant(tx.conn(), &v).await?;
    let mut post = posts::by_id_any_org(tx.conn(), &v.post_id).await?;
    if let Some(p) = post.as_mut() {
        set_post_status(tx.conn(), p, now).await?;
    }
    tx.commit().await?;
    Ok(post)
}

/// A failed call, by kind: wait (429), look before retrying (unknown outcome), retry on the
/// publish schedule (5xx, network), reconnect (auth) or fail for good (4xx).
async fn failed_attempt(
    app: &App,
    l: &Loaded,
    e: PlatformError,
    during_lookup: bool,
    last_attempt: bool,
) -> AppResult<Outcome> {
    let id = &l.variant.id;
    let now = app.clock.now();
    match e {
        PlatformError::RateLimited { message, retry_at } => {
            let at = retry_at.unwrap_or(now + Duration::seconds(60)).min(now + Duration::hours(1)).max(now);
            // A variant whose earlier attempt may have gone through stays unconfirmed.
            let status = VariantStatus::on_retryable_failure(l.maybe_sent || during_lookup);
            set_variant(app, id, status, &format!("rate limited by the platform; trying again at {at}: {message}"))
                .await?;
            Ok(Outcome::Snooze(at))
        }
        PlatformError::Auth { message } => {
            refresh::needs_reconnect(app, &l.channel, &message).await?;
            hold(app, id, &message).await
        }
        PlatformError::Permanent { message, .. } if !during_lookup => {
            if let Some(post) = set_variant(app, id, VariantStatus::Failed, &message).await? {
                notify_failure(app, &post, &l.channel, &message).await?;
            }
            Ok(Outcome::Discard(message))
        }
        other => {
            let unknown = matches!(other, PlatformError::Unknown { .. }) || l.maybe_sent || during_lookup;
            let message = other.to_string();
            if last_attempt {
                let why = if unknown {
                    format!("{message}; Sellcast could not confirm whether the post went out, check the platform")
                } else {
                    message.clone()
                };
                if let Some(post) = set_variant(app, id, VariantStatus::Failed, &why).await? {
                    notify_failure(app, &post, &l.channel, &why).await?;
                }
            } else {
                let status = VariantStatus::on_retryable_failure(unknown);
                if unknown {
                    // Operators should see these: the next attempt asks the platform first.
                    tracing::warn!(variant = %id, channel = %l.channel.id, error = %message,
                        "publish outcome unknown; the next attempt looks the post up before publishing again");
                }
                set_variant(app, id, status, &format!("will retry: {message}")).await?;
            }
            Ok(Outcome::Retry(message))
        }
    }
}

/// Tell the author, in the app and by email.
async fn notify_failure(app: &App, post: &PostRow, channel: &ChannelRow, why: &str) -> AppResult<()> {
    let Some(author) = &post.author_id else { return Ok(()) };
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let user = users::by_id(tx.conn(), author).await?.ok_or(AppError::NotFound("user"))?;
    let label = channel.platform.parse::<sellcast_domain::Platform>().map(|p| p.label()).unwrap_or("the platform");
    let title = format!("A post to {} ({label}) failed", channel.handle);
    let excerpt: String = post.text.chars().take(80).collect();
    let body = format!("\"{excerpt}\" was not published to {} on {label}: {why}", channel.handle);
    let notice = Notice {
        org_id: Some(&post.org_id),
        kind: "post.failed",
        title: title.clone(),
        body: body.clone(),
        link: Some(format!("/o/{}/posts/{}", post.org_id, post.id)),
        data: json!({"post_id": post.id, "channel_id": channel.id}),
    };
    notifications::notify(tx.conn(), std::slice::from_ref(author), &notice, now).await?;
    app.mailer.queue(tx.conn(), &user.email, &title, &body, now).await?;
    tx.commit().await?;
    Ok(())
}
