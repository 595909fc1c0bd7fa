//! Creating, reading, editing, duplicating and deleting posts.

use super::enqueue;
use super::input::{clean_campaign, clean_tags, PostInput, VariantInput};
use super::load::{assemble, current_inputs, load_view, record};
use super::schedule;
use super::status_event::emit_for_view;
use super::validate;
use super::view::{PostQuery, PostView};
use crate::authorize::authorize;
use crate::context::Actor;
use crate::error::{AppError, AppResult};
use crate::App;
use sellcast_domain::pagination::Page;
use sellcast_domain::{ids, Permission, VariantStatus};
use sellcast_store::posts::{self, PostRow, VariantRow};
use sellcast_store::{clients, post_page, Conn};
use serde_json::json;

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
        tags: clean_tags(input.tags.as_deref().unwrap_or_default())?,
        campaign: clean_campaign(&input.campaign.clone().flatten())?,
        status: sellcast_domain::PostStatus::Draft,
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
    emit_for_view(c, &view, now).await?;
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
        let media = input.media_ids.clone();
        let options = input.options.clone().unwrap_or_else(|| json!({}));
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
                let status = post.status.new_target_status();
                let v = VariantRow {
                    id: ids::new_id(),
                    post_id: post.id.clone(),
                    org_id: post.org_id.clone(),
                    channel_id: input.channel_id.clone(),
                    text: input.text.clone(),
                    media_ids: media,
                    first_comment,
                    options,
                    status,
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
                if let (Some(at), VariantStatus::Scheduled) = (post.scheduled_at, status) {
                    enqueue::enqueue(c.re(), &v.id, at, now).await?;
                }
            }
        }
    }
    Ok(())
}

pub async fn get(app: &App, actor: &Actor, org_id: &str, id: &str) -> AppResult<PostView> {
    authorize(app, actor, org_id, Permission::PostRead).await?;
    // The post and everything its view shows in one read (on SQLite, one blocking reader).
    let page = post_page::read_one(&app.db, org_id, id).await?.ok_or(AppError::NotFound("post"))?;
    assemble(page.posts, page.variants, page.media).pop().ok_or(AppError::NotFound("post"))
}

pub async fn list(
    app: &App,
    actor: &Actor,
    org_id: &str,
    query: &PostQuery<'_>,
    page: &Page,
) -> AppResult<(Vec<PostView>, Option<String>)> {
    authorize(app, actor, org_id, Permission::PostRead).await?;
    // The page and everything its views show in one read (on SQLite, one blocking reader).
    let read = post_page::read(&app.db, org_id, &query.into(), page.before.as_deref(), page.fetch_limit()).await?;
    let (rows, next) = page.finish(read.posts, |r| &r.id);
    Ok((assemble(rows, read.variants, read.media), next))
}

pub async fn update(app: &App, actor: &Actor, org_id: &str, id: &str, input: PostInput) -> AppResult<PostView> {
    authorize(app, actor, org_id, Permission::PostUpdate).await?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let mut post = posts::by_id(tx.conn(), org_id, id).await?.ok_or(AppError::NotFound("post"))?;
    if !post.status.can_edit() {
        return Err(AppError::Conflict(format!("a {} post cannot be edited; duplicate it instead", post.status)));
    }
    if let Some(t) = &input.text {
        post.text = t.clone();
        post.search_text = t.to_lowercase();
    }
    if let Some(tags) = &input.tags {
        post.tags = clean_tags(tags)?;
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
        enqueue::drop_removed_jobs(tx.conn(), &post, &variants, now).await?;
        replace_variants(tx.conn(), &post, &variants, now).await?;
    }
    record(tx.conn(), actor, &post, "post.update", json!({"fields": changed_fields(&input)})).await?;
    let view = load_view(tx.conn(), post).await?;
    if input.variants.is_some() {
        // Targets added or removed: the set of variant statuses changed.
        emit_for_view(tx.conn(), &view, now).await?;
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

/// A new draft with the same content and targets.
pub async fn duplicate(app: &App, actor: &Actor, org_id: &str, id: &str) -> AppResult<PostView> {
    let source = get(app, actor, org_id, id).await?;
    let variants = source
        .variants
        .iter()
        .map(|v| VariantInput {
            channel_id: v.variant.channel_id.clone(),
            text: v.variant.text.clone(),
            media_ids: v.variant.media_ids.clone(),
            first_comment: v.variant.first_comment.clone(),
            options: Some(v.variant.options.clone()),
        })
        .collect();
    let input = PostInput {
        text: Some(source.post.text.clone()),
        media_ids: Some(source.media_ids.clone()),
        tags: Some(source.post.tags.clone()),
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
    enqueue::cancel_jobs(tx.conn(), &post).await?;
    post.updated_at = app.clock.now();
    posts::delete(tx.conn(), org_id, id).await?;
    record(tx.conn(), actor, &post, "post.delete", json!({"status": post.status})).await?;
    tx.commit().await?;
    Ok(())
}
