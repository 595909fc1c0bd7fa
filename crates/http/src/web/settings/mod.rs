//! Workspace settings: tabs for General (name, deletion), Members (roles, invites), Clients
//! and the audit log. Controls a role cannot use are hidden; the app layer checks again, so a
//! form posted directly by a role without the permission gets the 403 page.

pub mod audit;
pub mod clients;
pub mod members;

use crate::state::AppState;
use crate::web::error::WebResult;
use crate::web::layout::{self, Nav};
use crate::web::scope::OrgScope;
use crate::web::session::{redirect_with_flash, Form};
use crate::web::ui::{self, Errors, Field};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use sellcast_app::{orgs, AppError};
use sellcast_domain::Permission;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/o/{org_id}/settings", get(general))
        .route("/o/{org_id}/settings/rename", post(rename))
        .route("/o/{org_id}/settings/delete", post(delete))
        .merge(members::router())
        .merge(clients::router())
        .merge(audit::router())
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    General,
    Members,
    Clients,
    Audit,
}

fn tabs(scope: &OrgScope, active: Tab) -> Markup {
    let mut items = vec![(Tab::General, "", "General"), (Tab::Members, "/members", "Members")];
    if scope.shell.can(Permission::ClientRead) {
        items.push((Tab::Clients, "/clients", "Clients"));
    }
    if scope.shell.can(Permission::AuditView) {
        items.push((Tab::Audit, "/audit", "Audit log"));
    }
    html! {
        nav.tabs aria-label="Settings sections" {
            @for (tab, rest, label) in items {
                a.tab href=(scope.path(&format!("/settings{rest}"))) aria-current=[(tab == active).then_some("page")] { (label) }
            }
        }
    }
}

/// A settings page: the heading, the tabs, the content.
pub fn page(scope: &OrgScope, tab: Tab, title: &str, content: Markup) -> Markup {
    let body = html! {
        div.page-head {
            div {
                h1 { "Settings" }
                p.muted { (scope.org.name) " · your role: " (scope.role) }
            }
        }
        (tabs(scope, tab))
        (content)
    };
    layout::page_with(&scope.shell, Nav::Settings, title, body, &["settings.css"])
}

/// An error message a user can act on (shown on the page); None for the ones that get an
/// error page of their own (403, 404, …).
pub fn user_error(e: &AppError) -> Option<String> {
    match e {
        AppError::Validation(v) => Some(crate::web::error::capitalize(&v.to_string())),
        AppError::Conflict(m) => Some(crate::web::error::capitalize(m)),
        _ => None,
    }
}

fn general_page(scope: &OrgScope, name: &str, errors: &Errors, general: Option<&str>) -> Markup {
    let content = html! {
        section.card.narrow aria-labelledby="name-heading" {
            h2 #name-heading { "Workspace" }
            @if scope.shell.can(Permission::SettingsUpdate) {
                (ui::form_errors(errors, general))
                form method="post" action=(scope.path("/settings/rename")) novalidate {
                    (ui::csrf(&scope.shell.csrf))
                    (Field::new("name", "Workspace name").value(name).autocomplete("organization").render(errors))
                    button.primary type="submit" { "Save name" }
                }
            } @else {
                p { strong { "Name: " } (scope.org.name) }
                p.muted { "Only owners and admins change the workspace's settings." }
            }
            p.muted { "Created " (ui::time(scope.org.created_at, &scope.shell.timezone)) }
        }
        @if scope.shell.can(Permission::OrgDelete) {
            section.card.narrow.danger-zone aria-labelledby="delete-heading" {
                h2 #delete-heading { "Delete this workspace" }
                p { "Deleting removes its channels, posts, clients, members and history for good." }
                form method="post" action=(scope.path("/settings/delete")) {
                    (ui::csrf(&scope.shell.csrf))
                    button.danger type="submit"
                        data-confirm={ "Delete " (scope.org.name) " and everything in it? This cannot be undone." } {
                        "Delete workspace"
                    }
                }
            }
        }
    };
    page(scope, Tab::General, "Settings", content)
}

pub async fn general(scope: OrgScope) -> WebResult<Markup> {
    Ok(general_page(&scope, &scope.org.name, &Errors::default(), None))
}

#[derive(Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    name: String,
}

pub async fn rename(State(state): State<AppState>, scope: OrgScope, Form(f): Form<RenameForm>) -> WebResult<Response> {
    match orgs::rename(&state.app, scope.actor(), scope.org_id(), &f.name).await {
        Ok(org) => Ok(redirect_with_flash(&state, &scope.path("/settings"), &format!("Renamed to {}.", org.name))),
        Err(AppError::Validation(e)) => {
            Ok(general_page(&scope, &f.name, &Errors::from_validation(&e), None).into_response())
        }
        Err(e) => match user_error(&e) {
            Some(m) => Ok(general_page(&scope, &f.name, &Errors::default(), Some(&m)).into_response()),
            None => Err(e.into()),
        },
    }
}

#[derive(Deserialize)]
pub struct Nothing {}

pub async fn delete(State(state): State<AppState>, scope: OrgScope, Form(_): Form<Nothing>) -> WebResult<Response> {
    orgs::delete(&state.app, scope.actor(), scope.org_id()).await?;
    Ok(redirect_with_flash(&state, "/", &format!("Workspace {} deleted.", scope.org.name)))
}
