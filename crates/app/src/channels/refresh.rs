//! Keeping tokens alive: a sweep every ten minutes enqueues a refresh for each channel whose
//! token expires within a day (Instagram: a long-lived token older than 24 h and within 7
//! days of expiry). A channel whose token cannot be refreshed becomes `needs_reconnect`, its
//! scheduled posts are held (not failed) and the org's admins are notified; reconnecting
//! releases them.

use super::credentials;
use crate::error::{AppError, AppResult};
use crate::notifications::{self, Notice};
use crate::platforms::configured_app;
use crate::App;
use chrono::{DateTime, Duration, Utc};
use sellcast_domain::{Platform, VariantStatus};
use sellcast_platforms::{Credentials, OAuthApp, PlatformError};
use sellcast_queue::{ops as jobs, JobArgs, NewJob, Outcome};
use sellcast_store::channels::{self, ChannelRow};
use sellcast_store::{posts, Conn};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Serialize, Deserialize)]
pub struct RefreshSweep {}

impl JobArgs for RefreshSweep {
    const KIND: &'static str = "channels.refresh_sweep";
    const MAX_ATTEMPTS: i32 = 3;
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RefreshChannel {
    pub channel_id: String,
}

impl JobArgs for RefreshChannel {
    const KIND: &'static str = "channels.refresh";
    const MAX_ATTEMPTS: i32 = 5;
}

/// Whether a channel's token should be renewed now.
pub fn due(
    platform: Platform,
    issued_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    let Some(expires) = expires_at else { return false };
    if platform == Platform::Instagram {
        // Instagram long-lived tokens can only be refreshed once at least 24 h old.
        let old_enough = issued_at.is_none_or(|i| now - i >= Duration::hours(24));
        return old_enough && expires - now <= Duration::days(7);
    }
    expires - now <= Duration::days(1)
}

/// Enqueue a refresh for every channel that is due.
pub async fn sweep(app: &App) -> AppResult<usize> {
    let now = app.clock.now();
    let candidates = {
        let mut c = app.db.read().await?;
        channels::expiring(c.conn(), now + Duration::days(7), 1000).await?
    };
    let due: Vec<&ChannelRow> = candidates
        .iter()
        .filter(|ch| ch.platform.parse().is_ok_and(|p| due(p, ch.token_issued_at, ch.token_expires_at, now)))
        .collect();
    let mut tx = app.db.begin().await?;
    for ch in &due {
        let job = NewJob::of(&RefreshChannel { channel_id: ch.id.clone() }).unique_key(format!("refresh:{}", ch.id));
        jobs::enqueue(tx.conn(), &job, now).await?;
    }
    tx.commit().await?;
    Ok(due.len())
}

fn oauth_app_for(app: &App, platform: Platform) -> OAuthApp {
    configured_app(&app.config, platform).unwrap_or_default()
}

/// Refresh one channel's token now; the fresh credentials, or the platform's refusal.
pub async fn refresh_now(app: &App, channel: &ChannelRow) -> AppResult<Result<Credentials, PlatformError>> {
    let platform = super::platform_of(&channel.platform)?;
    let creds = credentials::open(app, channel)?;
    let oauth_app = if platform == Platform::Mastodon {
        let mut c = app.db.read().await?;
        match channels::mastodon_app(c.conn(), &channel.server_url).await? {
            Some(row) => OAuthApp { client_id: row.client_id, client_secret: app.secretbox.open(&row.client_secret)? },
            None => OAuthApp::default(),
        }
    } else {
        oauth_app_for(app, platform)
    };
    let adapter = super::adapter(app, platform)?;
    let tokens = match adapter.refresh(&oauth_app, &creds).await {
        Ok(t) => t,
        Err(e) => return Ok(Err(e)),
    };
    let fresh = credentials::merge(creds, tokens);
    let (sealed, key_id) = credentials::seal(app, &fresh)?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let Some(mut row) = channels::by_id(tx.conn(), &channel.org_id, &channel.id).await? else {
        return Err(AppError::NotFound("channel"));
    };
    row.credentials = sealed;
    row.key_id = key_id;
    row.token_expires_at = fresh.expires_at;
    row.token_issued_at = Some(now);
    row.last_refresh_at = Some(now);
    row.last_error = None;
    row.updated_at = now;
    channels::update(tx.conn(), &row).await?;
    tx.commit().await?;
    Ok(Ok(fresh))
}

/// The refresh job: Auth refusals disable the channel; other failures retry.
pub async fn run(app: &App, channel_id: &str) -> Outcome {
    let channel = {
        let Ok(mut c) = app.db.read().await else { return Outcome::Retry("database unavailable".into()) };
        match channels::by_id_any_org(c.conn(), channel_id).await {
            Ok(Some(ch)) if ch.status.can_publish() => ch,
            Ok(_) => return Outcome::Done,
            Err(e) => return Outcome::Retry(e.to_string()),
        }
    };
    match refresh_now(app, &channel).await {
        Ok(Ok(_)) => Outcome::Done,
        Ok(Err(PlatformError::Auth { message })) | Ok(Err(PlatformError::Permanent { message, .. })) => {
            match needs_reconnect(app, &channel, &message).await {
                Ok(()) => Outcome::Done,
                Err(e) => Outcome::Retry(e.to_string()),
            }
        }
        Ok(Err(PlatformError::RateLimited { retry_at: Some(at), .. })) => Outcome::Snooze(at),
        Ok(Err(e)) => Outcome::Retry(e.to_string()),
        Err(e) => Outcome::Retry(e.to_string()),
    }
}

/// Mark the channel `needs_reconnect` and tell the org's admins (in the app and by email).
pub async fn needs_reconnect(app: &App, channel: &ChannelRow, reason: &str) -> AppResult<()> {
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let Some(mut row) = channels::by_id(tx.conn(), &channel.org_id, &channel.id).await? else { return Ok(()) };
    let Some(status) = row.status.on_token_refused() else { return Ok(()) };
    row.status = status;
    row.last_error = Some(reason.chars().take(1000).collect());
    row.updated_at = now;
    channels::update(tx.conn(), &row).await?;
    let admins = notifications::org_admins(tx.conn(), &row.org_id).await?;
    let label = row.platform.parse::<Platform>().map(|p| p.label()).unwrap_or("the platform");
    let title = format!("Reconnect {} ({label})", row.handle);
    let body = format!(
        "Sellcast can no longer publish to {} on {label}: {reason}. Scheduled posts to it are on hold until you reconnect it.",
        row.handle
    );
    let ids: Vec<String> = admins.iter().map(|(id, _)| id.clone()).collect();
    let notice = Notice {
        org_id: Some(&row.org_id),
        kind: "channel.needs_reconnect",
        title: title.clone(),
        body: body.clone(),
        link: Some(format!("/o/{}/channels", row.org_id)),
        data: json!({"channel_id": row.id}),
    };
    notifications::notify(tx.conn(), &ids, &notice, now).await?;
    for (_, email) in &admins {
        app.mailer.queue(tx.conn(), email, &title, &body, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A reconnected channel: its held variants are scheduled again, to go out now.
pub async fn release_held(mut c: Conn<'_>, channel_id: &str, now: DateTime<Utc>) -> AppResult<usize> {
    let held = posts::variants_of_channel(c.re(), channel_id, VariantStatus::Held).await?;
    let mut post_ids: Vec<&str> = Vec::new();
    for mut v in held.iter().cloned() {
        v.status = VariantStatus::Scheduled;
        v.error = None;
        v.updated_at = now;
        posts::update_variant(c.re(), &v).await?;
        crate::posts::enqueue::enqueue(c.re(), &v.id, now, now).await?;
    }
    // One post:status per post whose variants were released.
    for v in &held {
        if !post_ids.contains(&v.post_id.as_str()) {
            post_ids.push(&v.post_id);
        }
    }
    for post_id in post_ids {
        if let Some(post) = posts::by_id_any_org(c.re(), post_id).await? {
            let variants = posts::variants_of(c.re(), post_id).await?;
            crate::posts::status_event::emit_for_rows(c.re(), &post, &variants, now).await?;
        }
    }
    Ok(held.len())
}
