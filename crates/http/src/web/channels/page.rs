//! The Channels page, `/o/{org_id}/channels`: the workspace's connected accounts with their
//! health, the forms to reconnect, disconnect or assign a client, and the connect cards.

use super::connect_ui::{self, FormState};
use crate::state::AppState;
use crate::web::error::WebResult;
use crate::web::layout::{self, Nav};
use crate::web::scope::OrgScope;
use crate::web::ui;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use sellcast_app::channels;
use sellcast_app::channels::{Channel, ChannelQuery};
use sellcast_app::clients::Client;
use sellcast_app::{clients, AppError};
use sellcast_domain::pagination::Page;
use sellcast_domain::ChannelStatus;
use sellcast_domain::Permission;
use serde::Deserialize;

/// Channels per page (an org with more pages through them).
const PAGE_SIZE: u32 = 100;
/// Clients offered in the "assign to client" selects.
const CLIENTS_MAX: u32 = 200;

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
    let (rows, next) = channels::list(app, scope.actor(), scope.org_id(), &ChannelQuery::default(), &page).await?;
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

fn channel_row(
    scope: &OrgScope,
    row: &Channel,
    client_rows: &[Client],
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
                    span.platform-tag { (ui::platform_label(&row.platform)) }
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
                @if can_manage && row.status != ChannelStatus::Disconnected {
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
            td { (ui::status_badge(row.status)) }
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
                        @if row.status != ChannelStatus::Disconnected {
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
                        @if row.status != ChannelStatus::Disconnected {
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
pub(super) fn back_with_error(scope: &OrgScope, message: &str) -> Response {
    let encoded: String = url::form_urlencoded::byte_serialize(message.as_bytes()).collect();
    Redirect::to(&format!("{}?error={encoded}", scope.path("/channels"))).into_response()
}

/// The message of an error a user can act on; None for the ones that get an error page.
pub(super) fn user_error(e: &AppError) -> Option<String> {
    match e {
        AppError::Validation(v) => Some(v.to_string()),
        AppError::Conflict(m) => Some(m.clone()),
        AppError::Platform(m) => Some(format!("the platform could not be reached or failed: {m}")),
        _ => None,
    }
}
