//! The composer page put together: the choices it offers (active channels, recent media,
//! clients) around the form as typed, its errors, and the post being edited if any.

use super::form::ComposeForm;
use super::view::{self, ComposePage};
use crate::state::AppState;
use crate::web::error::WebResult;
use crate::web::layout::{self, Nav};
use crate::web::scope::OrgScope;
use crate::web::ui::Errors;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::Markup;
use sellcast_app::channels::{Channel, ChannelQuery};
use sellcast_app::media;
use sellcast_app::media::Media;
use sellcast_app::posts::PostView;
use sellcast_app::{channels, clients, AppError};
use sellcast_domain::pagination::Page;

/// Most channels and clients a workspace shows in the composer.
pub(super) const LIST_MAX: u32 = 200;
/// The most recent uploads offered to attach.
const MEDIA_SHOWN: u32 = 48;

struct Choices {
    channels: Vec<Channel>,
    media: Vec<Media>,
    clients: Vec<sellcast_app::clients::Client>,
}

/// Active channels (and the ones the post already targets), recent media (the attached ones
/// first, in order) and the clients.
async fn choices(state: &AppState, scope: &OrgScope, form: &ComposeForm) -> WebResult<Choices> {
    let (app, actor, org) = (&state.app, scope.actor(), scope.org_id());
    let (all, _) = channels::list(app, actor, org, &ChannelQuery::default(), &Page::first(LIST_MAX)).await?;
    let mut chans: Vec<Channel> = all
        .into_iter()
        .filter(|c| c.publishes())
        .filter(|c| c.status == sellcast_domain::ChannelStatus::Active || form.channels.contains(&c.id))
        .collect();
    chans.sort_by(|a, b| (&a.platform, &a.handle).cmp(&(&b.platform, &b.handle)));
    let (recent, _) = media::list(app, actor, org, None, &Page::first(MEDIA_SHOWN)).await?;
    let mut shown = Vec::new();
    for id in &form.media {
        match recent.iter().find(|m| &m.id == id) {
            Some(m) => shown.push(m.clone()),
            None => {
                if let Ok(m) = media::get(app, actor, org, id).await {
                    shown.push(m);
                }
            }
        }
    }
    shown.extend(recent.into_iter().filter(|m| !form.media.contains(&m.id)));
    let clients = match clients::list(app, actor, org, Some(false), None, &Page::first(LIST_MAX)).await {
        Ok((rows, _)) => rows,
        Err(AppError::Forbidden(_)) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    Ok(Choices { channels: chans, media: shown, clients })
}

pub(super) async fn render(
    state: &AppState,
    scope: &OrgScope,
    post: Option<&PostView>,
    form: &ComposeForm,
    errors: &Errors,
    general: Option<String>,
) -> WebResult<Markup> {
    let c = choices(state, scope, form).await?;
    let (action, return_to) = match post {
        Some(v) => {
            let p = scope.path(&format!("/posts/{}/edit", v.post.id));
            (p.clone(), p)
        }
        None => (scope.path("/compose"), scope.path("/compose")),
    };
    let page = ComposePage {
        shell: &scope.shell,
        action,
        upload_action: scope.path("/compose/media"),
        return_to,
        post,
        form,
        channels: &c.channels,
        media: &c.media,
        clients: &c.clients,
        errors,
        general,
        media_path: scope.path("/compose/media"),
    };
    let title = if post.is_some() { "Edit post" } else { "New post" };
    Ok(layout::page_with(&scope.shell, Nav::Compose, title, view::render(&page), &["compose.css", "compose.js"]))
}

pub(super) async fn rerender(
    state: &AppState,
    scope: &OrgScope,
    post: Option<&PostView>,
    form: &ComposeForm,
    errors: &Errors,
    general: Option<String>,
) -> WebResult<Response> {
    let page = render(state, scope, post, form, errors, general).await?;
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}
