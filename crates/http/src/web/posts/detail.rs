//! One post, `/o/{org_id}/posts/{post_id}`: its text and media, each channel's status with the
//! platform's link or error and the attempts made, and the buttons of what can be done with it
//! now (their handlers are in `actions`).

use crate::state::AppState;
use crate::web::compose::media::thumbnail_path;
use crate::web::error::WebResult;
use crate::web::layout::{self, Nav};
use crate::web::scope::OrgScope;
use crate::web::ui;
use crate::web::ui::{excerpt, platform_label, post_badge};
use axum::extract::{Path, State};
use maud::{html, Markup};
use sellcast_app::media;
use sellcast_app::posts::{self, PostView, VariantView};
use sellcast_domain::Permission;

/// A button in its own POST form.
fn action(scope: &OrgScope, path: &str, label: &str, class: &str, confirm: Option<&str>) -> Markup {
    html! {
        form method="post" action=(scope.path(path)) {
            (ui::csrf(&scope.shell.csrf))
            button class=(class) type="submit" data-confirm=[confirm] { (label) }
        }
    }
}

fn actions(scope: &OrgScope, v: &PostView) -> Markup {
    let id = &v.post.id;
    let status = v.post.status;
    let can = |p| scope.shell.can(p);
    html! {
        div.actions {
            @if status.can_edit() && can(Permission::PostUpdate) {
                a.button.primary href=(scope.path(&format!("/posts/{id}/edit"))) { "Edit" }
            }
            @if status.can_schedule() && !v.variants.is_empty() && can(Permission::PostPublish) {
                (action(scope, &format!("/posts/{id}/publish"), "Publish now", "",
                    Some("Publish this post to its channels now?")))
            }
            @if status.can_unschedule() && can(Permission::PostUpdate) {
                (action(scope, &format!("/posts/{id}/unschedule"), "Unschedule", "", None))
            }
            @if can(Permission::PostCreate) {
                (action(scope, &format!("/posts/{id}/duplicate"), "Duplicate", "", None))
            }
            @if can(Permission::PostDelete) {
                (action(scope, &format!("/posts/{id}/delete"), "Delete", "danger",
                    Some("Delete this post? This cannot be undone.")))
            }
        }
    }
}

fn attempts(scope: &OrgScope, v: &VariantView) -> Markup {
    let tz = &scope.shell.timezone;
    html! {
        @if v.variant.attempts > 0 {
            span { (v.variant.attempts) @if v.variant.attempts == 1 { " attempt" } @else { " attempts" } }
            @if let Some(at) = v.variant.first_attempt_at { br; span.muted { "First " (ui::time(at, tz)) } }
        } @else {
            span.muted { "Not tried yet" }
        }
        @if let Some(at) = v.variant.published_at { br; span.muted { "Published " (ui::time(at, tz)) } }
    }
}

fn variant_row(scope: &OrgScope, post: &PostView, v: &VariantView) -> Markup {
    let platform = platform_label(&v.platform);
    html! {
        tr data-variant-id=(v.variant.id) {
            th scope="row" { (platform) span.muted { " · " (v.channel_handle) } }
            td { (ui::status_badge(v.variant.status)) }
            td.variant-text {
                @match &v.variant.text { Some(t) => { (excerpt(t, 140)) }, None => { span.muted { "Main text" } } }
                @if let Some(c) = &v.variant.first_comment { br; span.muted { "First comment: " (excerpt(c, 80)) } }
            }
            td {
                a data-platform-link href=(v.variant.platform_url.as_deref().unwrap_or("#")) hidden[v.variant.platform_url.is_none()]
                    rel="noopener noreferrer" target="_blank" { "View on " (platform) }
                @if let Some(e) = &v.variant.error { p.variant-error role="note" { (e) } }
            }
            td { (attempts(scope, v)) }
            td {
                @if v.variant.status.can_retry() && scope.shell.can(Permission::PostUpdate) {
                    form method="post" action=(scope.path(&format!("/posts/{}/retry", post.post.id))) {
                        (ui::csrf(&scope.shell.csrf))
                        input type="hidden" name="variant_id" value=(v.variant.id);
                        button.small type="submit" { "Retry" }
                    }
                }
            }
        }
    }
}

fn body(scope: &OrgScope, v: &PostView, media_rows: &[sellcast_app::media::Media]) -> Markup {
    let tz = &scope.shell.timezone;
    html! {
        div.post-detail data-post-id=(v.post.id) {
            div.page-head {
                div {
                    p.muted { a href=(scope.path("/posts")) { "Posts" } " /" }
                    h1 { "Post " (post_badge(v.post.status)) }
                }
                (actions(scope, v))
            }
            div.post-grid {
                section.card {
                    h2 { "Text" }
                    div.post-body { (v.post.text) }
                    dl.post-facts {
                        @if let Some(at) = v.post.scheduled_at { dt { "Scheduled for" } dd { (ui::time(at, tz)) } }
                        @if let Some(at) = v.post.published_at { dt { "Published" } dd { (ui::time(at, tz)) } }
                        dt { "Created" } dd { (ui::time(v.post.created_at, tz)) }
                        @if !v.post.tags.is_empty() {
                            dt { "Tags" } dd { @for t in &v.post.tags { span.tag { "#" (t) } " " } }
                        }
                        @if let Some(c) = &v.post.campaign { dt { "Campaign" } dd { (c) } }
                    }
                }
                @if !media_rows.is_empty() {
                    section.card {
                        h2 { "Media" }
                        ul.post-media {
                            @for m in media_rows {
                                li {
                                    @if m.kind == "image" {
                                        img src=(thumbnail_path(scope, &m.id))
                                            alt=(if m.alt_text.is_empty() { &m.filename } else { &m.alt_text })
                                            width="120" height="120" loading="lazy";
                                    } @else { span.media-video aria-hidden="true" { "▶" } }
                                    span.truncate { (m.filename) }
                                }
                            }
                        }
                    }
                }
            }
            section.card {
                h2 { "Channels" }
                @if v.variants.is_empty() {
                    p.muted { "This post has no channel yet. Edit it to choose where it goes." }
                } @else {
                    div.table-wrap tabindex="0" role="region" aria-label="Status per channel" {
                        table.variants-table {
                            thead { tr { th scope="col" { "Channel" } th scope="col" { "Status" } th scope="col" { "Text" }
                                th scope="col" { "Result" } th scope="col" { "Attempts" } th scope="col" { span.visually-hidden { "Actions" } } } }
                            tbody { @for var in &v.variants { (variant_row(scope, v, var)) } }
                        }
                    }
                }
            }
        }
    }
}

pub async fn show(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, post_id)): Path<(String, String)>,
) -> WebResult<Markup> {
    let v = posts::get(&state.app, scope.actor(), scope.org_id(), &post_id).await?;
    let mut rows = Vec::new();
    for id in &v.media_ids {
        if let Ok(m) = media::get(&state.app, scope.actor(), scope.org_id(), id).await {
            rows.push(m);
        }
    }
    let title = format!("Post: {}", excerpt(&v.post.text, 40));
    Ok(layout::page_with(&scope.shell, Nav::Posts, &title, body(&scope, &v, &rows), &["posts.css"]))
}
