//! The Channels page: the workspace's connected accounts with their health, reconnect,
//! disconnect and client assignment, and a connect button per platform.
//!
//! OAuth platforms: the CSP has `form-action 'self'`, and browsers apply it to the redirects
//! that follow a form submission (Chrome refuses a POST answered by a 303 to another origin).
//! So connecting answers the POST with a small page holding a plain link to the platform's
//! authorize URL ("Continue to X"); following a link is not a form submission, so the CSP
//! allows it. `channels.js` follows that link at once when JavaScript runs. The platform sends
//! the user back to `/api/v1/oauth/{platform}/callback`, which answers 303 to this page with
//! `?connected=<n>` or `?error=<message>` (the `redirect_after` given when connecting started).

pub mod connect_ui;

use self::connect_ui::{ConnectForm, FormState};
use crate::state::AppState;
use crate::web::error::WebResult;
use crate::web::layout::{self, Nav};
use crate::web::scope::OrgScope;
use crate::web::session::{redirect_with_flash, Form};
use crate::web::ui;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use sellcast_app::channels::{self, connect, DISCONNECTED};
use sellcast_app::store::channels::{ChannelFilter, ChannelRow};
use sellcast_app::store::clients::ClientRow;
use sellcast_app::{clients, AppError};
use sellcast_domain::pagination::Page;
use sellcast_domain::{Permission, Platform};
use serde::Deserialize;

/// Channels per page (an org with more pages through them).
const PAGE_SIZE: u32 = 100;
/// Clients offered in the "assign to client" selects.
const CLIENTS_MAX: u32 = 200;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/o/{org_id}/channels", get(show))
        .route("/o/{org_id}/channels/connect/{platform}", post(connect_platform))
        .route("/o/{org_id}/channels/{channel_id}/reconnect", post(reconnect))
        .route("/o/{org_id}/channels/{channel_id}/disconnect", post(disconnect))
        .route("/o/{org_id}/channels/{channel_id}/client", post(assign_client))
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    /// Set by the OAuth callback: how many accounts were connected.
    connected: Option<String>,
    /// Set by the OAuth callback (or a failed action): what went wrong.
    error: Option<String>,
    /// A channel to check live against its platform.
    check: Option<String>,
    cursor: Option<String>,
}

pub async fn show(State(state): State<AppState>, scope: OrgScope, Query(q): Query<ShowQuery>) -> WebResult<Markup> {
    render(&state, &scope, &q, None).await
}

/// The page, with a connect form's errors when `form` is given.
pub(super) async fn render(
    state: &AppState,
    scope: &OrgScope,
    q: &ShowQuery,
    form: Option<&FormState>,
) -> WebResult<Markup> {
    let app = &state.app;
    let page = Page { limit: PAGE_SIZE, before: q.cursor.clone().filter(|c| !c.is_empty()) };
    let (rows, next) = channels::list(app, scope.actor(), scope.org_id(), &ChannelFilter::default(), &page).await?;
    let (client_rows, _) =
        clients::list(app, scope.actor(), scope.org_id(), Some(false), None, &Page::first(CLIENTS_MAX)).await?;
    let checked = match q.check.as_deref().filter(|id| rows.iter().any(|r| r.id == *id)) {
        Some(id) => Some((id.to_string(), channels::health(app, scope.actor(), scope.org_id(), id).await?)),
        None => None,
    };
    let can_manage = scope.shell.can(Permission::SettingsUpdate);
    let connected = q.connected.as_deref().and_then(|n| n.parse::<u32>().ok());
    let body = html! {
        div.page-head {
            div {
                h1 { "Channels" }
                p.muted { "The social accounts this workspace publishes to." }
            }
        }
        @if let Some(n) = connected {
            div.alert.success role="status" {
                @if n == 1 { "Channel connected." } @else { (n) " channels connected." }
            }
        }
        @if let Some(e) = q.error.as_deref().filter(|e| !e.is_empty()) {
            div.alert.error role="alert" { (crate::web::ui::capitalize(e)) }
        }
        section.card aria-labelledby="connected-heading" {
            h2 #connected-heading { "Connected channels" }
            @if rows.is_empty() {
                (ui::empty_state("No channels yet",
                    "Connect an account below. The sandbox needs no account: it publishes inside Sellcast, so you can try everything.",
                    None))
            } @else {
                div.table-wrap tabindex="0" role="region" aria-label="Connected channels" {
                    table.channels-table {
                        thead { tr {
                            th scope="col" { "Channel" } th scope="col" { "Client" } th scope="col" { "Status" }
                            th scope="col" { "Health" } th scope="col" { span.visually-hidden { "Actions" } }
                        } }
                        tbody {
                            @for row in &rows {
                                (channel_row(scope, row, &client_rows, can_manage, checked.as_ref()))
                            }
                        }
                    }
                }
                @if let Some(c) = next {
                    a.button href={ (scope.path("/channels")) "?cursor=" (c) } { "More channels" }
                }
            }
        }
        @if can_manage {
            (connect_ui::section(state, scope, form))
        } @else {
            p.muted { "Only owners and admins connect or change channels." }
        }
    };
    Ok(layout::page_with(&scope.shell, Nav::Channels, "Channels", body, &["settings.css"]))
}

fn platform_label(row: &ChannelRow) -> String {
    row.platform.parse::<Platform>().map(|p| p.label().to_string()).unwrap_or_else(|_| row.platform.clone())
}

fn channel_row(
    scope: &OrgScope,
    row: &ChannelRow,
    client_rows: &[ClientRow],
    can_manage: bool,
    checked: Option<&(String, channels::Health)>,
) -> Markup {
    let tz = &scope.shell.timezone;
    let base = scope.path(&format!("/channels/{}", row.id));
    let client_name = row.client_id.as_deref().and_then(|id| client_rows.iter().find(|c| c.id == id)).map(|c| &c.name);
    let select_id = format!("client-{}", row.id);
    html! {
        tr data-channel-id=(row.id) {
            td {
                div.channel-who {
                    span.platform-tag { (platform_label(row)) }
                    div {
                        @if let Some(url) = row.profile_url.as_deref().filter(|u| u.starts_with("https://") || u.starts_with("http://")) {
                            a href=(url) rel="noopener noreferrer" target="_blank" { strong { (row.display_name.as_deref().unwrap_or(&row.handle)) } }
                        } @else {
                            strong { (row.display_name.as_deref().unwrap_or(&row.handle)) }
                        }
                        br;
                        span.muted { "@" (row.handle.trim_start_matches('@')) }
                    }
                }
            }
            td {
                @if can_manage && row.status != DISCONNECTED {
                    form.inline-form method="post" action={ (base) "/client" } {
                        (ui::csrf(&scope.shell.csrf))
                        label.visually-hidden for=(select_id) { "Client of " (row.handle) }
                        select id=(select_id) name="client_id" {
                            option value="" selected[row.client_id.is_none()] { "No client" }
                            @for c in client_rows {
                                option value=(c.id) selected[row.client_id.as_deref() == Some(c.id.as_str())] { (c.name) }
                            }
                        }
                        button.small type="submit" { "Assign" }
                    }
                } @else {
                    (client_name.map(String::as_str).unwrap_or("—"))
                }
            }
            td { (ui::status_badge(&row.status)) }
            td.health {
                @if let Some(e) = &row.last_error {
                    p.health-error { "Last error: " (e) }
                }
                @if let Some(at) = row.token_expires_at {
                    p.muted { "Token expires " (ui::time(at, tz)) }
                }
                @if let Some(at) = row.last_refresh_at {
                    p.muted { "Refreshed " (ui::time(at, tz)) }
                }
                @match checked.filter(|(id, _)| *id == row.id) {
                    Some((_, h)) => {
                        p.health-check role="status" {
                            @if h.reachable { "✓ The platform accepted the stored token just now." }
                            @else { "✗ Check failed: " (h.detail.as_deref().unwrap_or("the platform did not answer")) }
                        }
                    }
                    None => {
                        @if row.status != DISCONNECTED {
                            a.small-link href={ (scope.path("/channels")) "?check=" (row.id) } { "Check now" span.visually-hidden { " " (row.handle) } }
                        }
                    }
                }
            }
            td {
                @if can_manage {
                    div.actions {
                        form method="post" action={ (base) "/reconnect" } {
                            (ui::csrf(&scope.shell.csrf))
                            button.small type="submit" { "Reconnect" span.visually-hidden { " " (row.handle) } }
                        }
                        @if row.status != DISCONNECTED {
                            form method="post" action={ (base) "/disconnect" } {
                                (ui::csrf(&scope.shell.csrf))
                                button.small.ghost type="submit"
                                    data-confirm={ "Disconnect " (row.handle) "? Sellcast forgets its credentials; published history stays." } {
                                    "Disconnect" span.visually-hidden { " " (row.handle) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Back to the page with an error message shown at the top.
fn back_with_error(scope: &OrgScope, message: &str) -> Response {
    let encoded: String = url::form_urlencoded::byte_serialize(message.as_bytes()).collect();
    Redirect::to(&format!("{}?error={encoded}", scope.path("/channels"))).into_response()
}

/// The message of an error a user can act on; None for the ones that get an error page.
fn user_error(e: &AppError) -> Option<String> {
    match e {
        AppError::Validation(v) => Some(v.to_string()),
        AppError::Conflict(m) => Some(m.clone()),
        AppError::Platform(m) => Some(format!("the platform could not be reached or failed: {m}")),
        _ => None,
    }
}

pub async fn connect_platform(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, platform)): Path<(String, String)>,
    Form(f): Form<ConnectForm>,
) -> WebResult<Response> {
    let platform: Platform = platform.parse().map_err(|_| crate::web::error::WebError::not_found())?;
    scope.require(Permission::SettingsUpdate)?;
    let input = f.input(Some(platform), scope.path("/channels"));
    match connect::start(&state.app, scope.actor(), scope.org_id(), input, None).await {
        Ok(started) => Ok(connect_ui::started(&state, &scope, platform, started)),
        Err(e) => match FormState::from_error(platform, &f, &e) {
            Some(form) => Ok(render(&state, &scope, &ShowQuery::default(), Some(&form)).await?.into_response()),
            None => Err(e.into()),
        },
    }
}

pub async fn reconnect(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, channel_id)): Path<(String, String)>,
    Form(f): Form<ConnectForm>,
) -> WebResult<Response> {
    scope.require(Permission::SettingsUpdate)?;
    let row = channels::get(&state.app, scope.actor(), scope.org_id(), &channel_id).await?;
    let platform = channels::platform_of(&row)?;
    // Bluesky needs a fresh app password: ask for it first.
    if platform == Platform::Bluesky && f.app_password.as_deref().unwrap_or("").is_empty() {
        return Ok(connect_ui::bluesky_reconnect_page(&scope, &row, &FormState::blank(platform)).into_response());
    }
    let input = f.input(None, scope.path("/channels"));
    match connect::start(&state.app, scope.actor(), scope.org_id(), input, Some(&row.id)).await {
        Ok(started) => Ok(connect_ui::started(&state, &scope, platform, started)),
        Err(e) if platform == Platform::Bluesky => match FormState::from_error(platform, &f, &e) {
            Some(form) => Ok(connect_ui::bluesky_reconnect_page(&scope, &row, &form).into_response()),
            None => Err(e.into()),
        },
        Err(e) => match user_error(&e) {
            Some(m) => Ok(back_with_error(&scope, &m)),
            None => Err(e.into()),
        },
    }
}

#[derive(Deserialize)]
pub struct Nothing {}

pub async fn disconnect(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, channel_id)): Path<(String, String)>,
    Form(_): Form<Nothing>,
) -> WebResult<Response> {
    match channels::disconnect(&state.app, scope.actor(), scope.org_id(), &channel_id).await {
        Ok(row) => Ok(redirect_with_flash(&state, &scope.path("/channels"), &format!("{} disconnected.", row.handle))),
        Err(e) => match user_error(&e) {
            Some(m) => Ok(back_with_error(&scope, &m)),
            None => Err(e.into()),
        },
    }
}

#[derive(Deserialize)]
pub struct ClientForm {
    #[serde(default)]
    client_id: String,
}

pub async fn assign_client(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, channel_id)): Path<(String, String)>,
    Form(f): Form<ClientForm>,
) -> WebResult<Response> {
    let client_id = Some(f.client_id.trim().to_string()).filter(|c| !c.is_empty());
    match channels::set_client(&state.app, scope.actor(), scope.org_id(), &channel_id, client_id).await {
        Ok(row) => Ok(redirect_with_flash(&state, &scope.path("/channels"), &format!("{} updated.", row.handle))),
        Err(e) => match user_error(&e) {
            Some(m) => Ok(back_with_error(&scope, &m)),
            None => Err(e.into()),
        },
    }
}
