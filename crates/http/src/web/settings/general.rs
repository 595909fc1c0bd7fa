//! Settings → General: the workspace's name, and deleting the workspace.

use super::frame::{self, Tab};
use crate::state::AppState;
use crate::web::error::{user_error, WebResult};
use crate::web::scope::OrgScope;
use crate::web::session::{redirect_with_flash, Form, Nothing};
use crate::web::ui::{self, Errors, Field};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use sellcast_app::{orgs, AppError};
use sellcast_domain::Permission;
use serde::Deserialize;

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
    frame::page(scope, Tab::General, "Settings", content)
}

pub async fn show(scope: OrgScope) -> WebResult<Markup> {
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

pub async fn delete(State(state): State<AppState>, scope: OrgScope, Form(_): Form<Nothing>) -> WebResult<Response> {
    orgs::delete(&state.app, scope.actor(), scope.org_id()).await?;
    Ok(redirect_with_flash(&state, "/", &format!("Workspace {} deleted.", scope.org.name)))
}
