//! Posts: one text with ordered media, tags, campaign and client, and a variant per target
//! channel. Scheduling lives in `schedule`, per-platform checks in `validate`, the publish
//! job in `publish`.

pub mod publish;
pub mod schedule;
pub mod validate;

use crate::audit::{self, Entry};
use crate::authorize::authorize;
use crate::context::Actor;
use crate::error::{AppError, AppResult};
use crate::App;
use sellcast_domain::pagination::Page;
use sellcast_domain::{ids, Permission};
use sellcast_store::channels::{self, ChannelRow};
use sellcast_store::posts::{self, PostFilter, PostRow, VariantRow};
use sellcast_store::{clients, Conn};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::types::Json;

pub const TEXT_MAX: usize = 63_206;
pub const TAGS_MAX: usize = 30;

#[derive(Debug, Default, Clone)]
pub struct VariantInput {
    pub channel_id: String,
    /// None: the post's text.
    pub text: Option<String>,
    /// None: all the post's media; Some: this subset, in this order.
    pub media_ids: Option<Vec<String>>,
    pub first_comment: Option<String>,
    pub options: Option<Value>,
}

/// A create or update; `None` leaves a field as it is (update) or empty (create).
#[derive(Debug, Default, Clone)]
pub struct PostInput {
    pub text: Option<String>,
    pub media_ids: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    pub campaign: Option<Option<String>>,
    pub client_id: Option<Option<String>>,
    /// The full set of targets; replaces the current one.
    pub variants: Option<Vec<VariantInput>>,
}

/// A variant with what the reader needs about its channel.
#[derive(Debug, Clone, Serialize)]
pub struct VariantView {
    #[serde(flatten)]
    pub row: VariantRow,
    pub platform: String,
    pub channel_handle: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PostView {
    #[serde(flatten)]
    pub post: PostRow,
    pub media_ids: Vec<String>,
    pub variants: Vec<VariantView>,
}

pub(crate) async fn load_view(mut c: Conn<'_>, post: PostRow) -> AppResult<PostView> {
    let media_ids = posts::media_of(c.re(), &post.id).await?;
    let mut variants = Vec::new();
    for v in posts::variants_of(c.re(), &post.id).await? {
        let ch = channels::by_id(c.re(), &post.org_id, &v.channel_id).await?;
        let (platform, channel_handle) = ch.map(|c| (c.platform, c.handle)).unwrap_or_default();
        variants.push(VariantView { row: v, platform, channel_handle });
    }
    Ok(PostView { post, media_ids, variants })
}

fn clean_tags(tags: &[String]) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim().trim_start_matches('#').to_lowercase();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > 50 || t.chars().any(|c| c.is_control()) {
            return Err(AppError::validation("tags", "each tag must be at most 50 characters"));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > TAGS_MAX {
        return Err(AppError::validation("tags", format!("at most {TAGS_MAX} tags")));
    }
    Ok(out)
}

fn clean_campaign(c: &Option<String>) -> AppResult<Option<String>> {
    let c = c.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if c.is_some_and(|c| c.chars().count() > 100) {
        return Err(AppError::validation("campaign", "must be at most 100 characters"));
    }
    Ok(c.map(str::to_string))
}

pub async fn create(app: &App, actor: &Actor, org_id: &str, input: PostInput) -> AppResult<PostView> {
    create_scheduled(app, actor, org_id, input, None).await
}

/// Create the post and, with `at`, schedule it, in one transaction: a post that cannot be
/// scheduled is not stored either.
pub async fn create_scheduled(
    app: &App,
    actor: &Actor,
    org_id: &str,
    input: PostInput,
    at: Option<chrono::DateTime<chrono::Utc>>,
) -> AppResult<PostView> {
    authorize(app, actor, org_id, Permission::PostCreate).await?;
    if at.is_some() {
        authorize(app, actor, org_id, Permission::PostUpdate).await?;
    }
    let now = app.clock.now();
    let at = at.map(|at| schedule::check_time(at, now)).transpose()?;
    let mut tx = app.db.begin().await?;
    let mut view = create_in(tx.conn(), actor, org_id, input, now).await?;
    if let Some(at) = at {
        view = schedule::schedule_in(tx.conn(), actor, org_id, &view.post.id, at, now, "post.schedule").await?;
    }
    tx.commit().await?;
    if at.is_some() {
        app.db.job_wakeup().notify_waiters();
    }
    Ok(view)
}

async fn create_in(
    mut c: Conn<'_>,
    actor: &Actor,
    org_id: &str,
    input: PostInput,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<PostView> {
    let text = input.text.clone().unwrap_or_default();
    let mut post = PostRow {
        id: ids::new_id(),
        org_id: org_id.to_string(),
        client_id: None,
        author_id: Some(actor.user_id.clone()),
        search_text: text.to_lowercase(),
        text,
        tags: Json(clean_tags(input.tags.as_deref().unwrap_or_default())?),
        campaign: clean_campaign(&input.campaign.clone().flatten())?,
        status: "draft".into(),
        scheduled_at: None,
        published_at: None,
        created_at: now,
        updated_at: now,
    };
    if let Some(cid) = input.client_id.clone().flatten() {
        check_client(c.re(), org_id, &cid).await?;
        post.client_id = Some(cid);
    }
    let media_ids = input.media_ids.clone().unwrap_or_default();
    let variants = input.variants.clone().unwrap_or_default();
    validate::check(c.re(), &post, &media_ids, &variants).await?;
    posts::insert(c.re(), &post).await?;
    posts::set_media(c.re(), &post.id, &media_ids).await?;
    replace_variants(c.re(), &post, &variants, now).await?;
    record(c.re(), actor, &post, "post.create", json!({"text": post.text.chars().take(200).collect::<String>()}))
        .await?;
    let view = load_view(c.re(), post).await?;
    crate::events::post_status(c, &view.post, view.variants.iter().map(|v| &v.row), now).await?;
    Ok(view)
}

async fn check_client(c: Conn<'_>, org_id: &str, client_id: &str) -> AppResult<()> {
    clients::by_id(c, org_id, client_id)
        .await?
        .map(|_| ())
        .ok_or_else(|| AppError::validation("client_id", "no such client in this organization"))
}

/// Replace the post's targets: variants for channels no longer listed are removed, existing
/// ones keep their status, new ones start as drafts.
async fn replace_variants(
    mut c: Conn<'_>,
    post: &PostRow,
    inputs: &[VariantInput],
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let existing = posts::variants_of(c.re(), &post.id).await?;
    for v in &existing {
        if !inputs.iter().any(|i| i.channel_id == v.channel_id) {
            posts::delete_variant(c.re(), &v.id).await?;
        }
    }
    for input in inputs {
        let media = input.media_ids.clone().map(Json);
        let options = Json(input.options.clone().unwrap_or_else(|| json!({})));
        let first_comment = input.first_comment.clone().filter(|s| !s.trim().is_empty());
        match existing.iter().find(|v| v.channel_id == input.channel_id) {
            Some(v) => {
                let mut v = v.clone();
                v.text = input.text.clone();
                v.media_ids = media;
                v.first_comment = first_comment;
                v.options = options;
                v.updated_at = now;
                posts::update_variant(c.re(), &v).await?;
            }
            None => {
                let status = if post.status == "scheduled" { "scheduled" } else { "draft" };
                let v = VariantRow {
                    id: ids::new_id(),
                    post_id: post.id.clone(),
                    org_id: post.org_id.clone(),
                    channel_id: input.channel_id.clone(),
                    text: input.text.clone(),
                    media_ids: media,
                    first_comment,
                    options,
                    status: status.into(),
                    platform_post_id: None,
                    platform_url: None,
                    error: None,
                    attempts: 0,
                    first_attempt_at: None,
                    published_at: None,
                    created_at: now,
                    updated_at: now,
                };
                posts::insert_variant(c.re(), &v).await?;
                if let (Some(at), "scheduled") = (post.scheduled_at, status) {
                    publish::enqueue(c.re(), &v.id, at, now).await?;
                }
            }
        }
    }
    Ok(())
}

pub async fn get(app: &App, actor: &Actor, org_id: &str, id: &str) -> AppResult<PostView> {
    authorize(app, actor, org_id, Permission::PostRead).await?;
    let mut c = app.db.read().await?;
    let post = posts::by_id(c.conn(), org_id, id).await?.ok_or(AppError::NotFound("post"))?;
    load_view(c.conn(), post).await
}

pub async fn list(
    app: &App,
    actor: &Actor,
    org_id: &str,
    filter: &PostFilter<'_>,
    page: &Page,
) -> AppResult<(Vec<PostView>, Option<String>)> {
    authorize(app, actor, org_id, Permission::PostRead).await?;
    let mut c = app.db.read().await?;
    let rows = posts::list(c.conn(), org_id, filter, page.before.as_deref(), page.fetch_limit()).await?;
    let (rows, next) = page.finish(rows, |r| &r.id);
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(load_view(c.conn(), r).await?);
    }
    Ok((out, next))
}

/// Posts that can still be edited: not while going out, not once out.
fn editable(status: &str) -> bool {
    matches!(status, "draft" | "scheduled" | "failed" | "changes_requested")
}

pub async fn update(app: &App, actor: &Actor, org_id: &str, id: &str, input: PostInput) -> AppResult<PostView> {
    authorize(app, actor, org_id, Permission::PostUpdate).await?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let mut post = posts::by_id(tx.conn(), org_id, id).await?.ok_or(AppError::NotFound("post"))?;
    if !editable(&post.status) {
        return Err(AppError::Conflict(format!("a {} post cannot be edited; duplicate it instead", post.status)));
    }
    if let Some(t) = &input.text {
        post.text = t.clone();
        post.search_text = t.to_lowercase();
    }
    if let Some(tags) = &input.tags {
        post.tags = Json(clean_tags(tags)?);
    }
    if let Some(c) = &input.campaign {
        post.campaign = clean_campaign(c)?;
    }
    if let Some(cid) = &input.client_id {
        if let Some(cid) = cid {
            check_client(tx.conn(), org_id, cid).await?;
        }
        post.client_id = cid.clone();
    }
    let media_ids = match &input.media_ids {
        Some(m) => m.clone(),
        None => posts::media_of(tx.conn(), id).await?,
    };
    let variants = match &input.variants {
        Some(v) => v.clone(),
        None => current_inputs(tx.conn(), id).await?,
    };
    validate::check(tx.conn(), &post, &media_ids, &variants).await?;
    post.updated_at = now;
    posts::update(tx.conn(), &post).await?;
    posts::set_media(tx.conn(), id, &media_ids).await?;
    if input.variants.is_some() {
        schedule::drop_removed_jobs(tx.conn(), &post, &variants, now).await?;
        replace_variants(tx.conn(), &post, &variants, now).await?;
    }
    record(tx.conn(), actor, &post, "post.update", json!({"fields": changed_fields(&input)})).await?;
    let view = load_view(tx.conn(), post).await?;
    if input.variants.is_some() {
        // Targets added or removed: the set of variant statuses changed.
        crate::events::post_status(tx.conn(), &view.post, view.variants.iter().map(|v| &v.row), now).await?;
    }
    tx.commit().await?;
    Ok(view)
}

fn changed_fields(i: &PostInput) -> Vec<&'static str> {
    let mut f = Vec::new();
    for (set, name) in [
        (i.text.is_some(), "text"),
        (i.media_ids.is_some(), "media_ids"),
        (i.tags.is_some(), "tags"),
        (i.campaign.is_some(), "campaign"),
        (i.client_id.is_some(), "client_id"),
        (i.variants.is_some(), "variants"),
    ] {
        if set {
            f.push(name);
        }
    }
    f
}

pub(crate) async fn current_inputs(c: Conn<'_>, post_id: &str) -> AppResult<Vec<VariantInput>> {
    Ok(posts::variants_of(c, post_id)
        .await?
        .into_iter()
        .map(|v| VariantInput {
            channel_id: v.channel_id,
            text: v.text,
            media_ids: v.media_ids.map(|m| m.0),
            first_comment: v.first_comment,
            options: Some(v.options.0),
        })
        .collect())
}

/// A new draft with the same content and targets.
pub async fn duplicate(app: &App, actor: &Actor, org_id: &str, id: &str) -> AppResult<PostView> {
    let source = get(app, actor, org_id, id).await?;
    let variants = source
        .variants
        .iter()
        .map(|v| VariantInput {
            channel_id: v.row.channel_id.clone(),
            text: v.row.text.clone(),
            media_ids: v.row.media_ids.clone().map(|m| m.0),
            first_comment: v.row.first_comment.clone(),
            options: Some(v.row.options.0.clone()),
        })
        .collect();
    let input = PostInput {
        text: Some(source.post.text.clone()),
        media_ids: Some(source.media_ids.clone()),
        tags: Some(source.post.tags.0.clone()),
        campaign: Some(source.post.campaign.clone()),
        client_id: Some(source.post.client_id.clone()),
        variants: Some(variants),
    };
    create(app, actor, org_id, input).await
}

/// Delete a post that is not going out right now (its waiting jobs are cancelled).
pub async fn delete(app: &App, actor: &Actor, org_id: &str, id: &str) -> AppResult<()> {
    authorize(app, actor, org_id, Permission::PostDelete).await?;
    let mut tx = app.db.begin().await?;
    let mut post = posts::by_id(tx.conn(), org_id, id).await?.ok_or(AppError::NotFound("post"))?;
    schedule::cancel_jobs(tx.conn(), &post).await?;
    post.updated_at = app.clock.now();
    posts::delete(tx.conn(), org_id, id).await?;
    record(tx.conn(), actor, &post, "post.delete", json!({"status": post.status})).await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn record(c: Conn<'_>, actor: &Actor, post: &PostRow, action: &str, changes: Value) -> AppResult<()> {
    audit::record(
        c,
        Some(actor),
        post.updated_at,
        Entry { org_id: Some(&post.org_id), action, entity_type: "post", entity_id: Some(&post.id), changes },
    )
    .await
}

/// The channels of the org by id (for validation and views).
pub(crate) async fn channel(c: Conn<'_>, org_id: &str, id: &str) -> AppResult<ChannelRow> {
    channels::by_id(c, org_id, id)
        .await?
        .ok_or_else(|| AppError::validation("variants", format!("channel {id} is not connected to this organization")))
}
