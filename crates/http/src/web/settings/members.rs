//! Settings → Members: who is in the workspace with which role, pending invites, and the
//! invite form. Role choices only offer what the viewer may grant (the app layer decides).

use super::frame::{self, Tab};
use crate::state::AppState;
use crate::web::error::{user_error, WebResult};
use crate::web::scope::OrgScope;
use crate::web::session::{redirect_with_flash, Form, Nothing};
use crate::web::ui::{self, Errors, Field};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use sellcast_app::orgs::Member;
use sellcast_app::{invites, orgs, AppError};
use sellcast_domain::pagination::Page;
use sellcast_domain::roles::can_grant;
use sellcast_domain::{Permission, Role};
use serde::Deserialize;

const MEMBERS_PAGE: u32 = 100;
const INVITES_SHOWN: u32 = 100;

/// The invite form as typed, with what was wrong with it.
#[derive(Default)]
struct InviteState {
    email: String,
    role: String,
    errors: Errors,
    /// A message about the whole page (a refused role change, …).
    general: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    cursor: Option<String>,
}

/// Roles `mine` may hand out, highest first.
fn grantable(mine: Role) -> Vec<Role> {
    Role::ALL.into_iter().filter(|r| can_grant(mine, *r)).collect()
}

fn role_options(roles: &[Role], selected: Role) -> Markup {
    html! {
        @for r in roles {
            option value=(r.as_str()) selected[*r == selected] { (crate::web::ui::capitalize(r.as_str())) }
        }
    }
}

fn member_row(scope: &OrgScope, m: &Member) -> Markup {
    let me = m.user_id == scope.actor().user_id;
    let base = scope.path(&format!("/settings/members/{}", m.user_id));
    let mut roles = grantable(scope.role);
    if !roles.contains(&m.role) {
        roles.push(m.role);
    }
    let select_id = format!("role-{}", m.user_id);
    html! {
        tr data-user-id=(m.user_id) {
            td { strong { (m.name) } @if me { " " span.badge { "you" } } br; span.muted { (m.email) } }
            td {
                @if scope.shell.can(Permission::TeamManage) && !me {
                    form.inline-form method="post" action={ (base) "/role" } {
                        (ui::csrf(&scope.shell.csrf))
                        label.visually-hidden for=(select_id) { "Role of " (m.name) }
                        select id=(select_id) name="role" { (role_options(&roles, m.role)) }
                        button.small type="submit" { "Change" }
                    }
                } @else {
                    span.badge.role { (m.role) }
                }
            }
            td { (ui::time(m.created_at, &scope.shell.timezone)) }
            td {
                @if me {
                    form method="post" action={ (base) "/remove" } {
                        (ui::csrf(&scope.shell.csrf))
                        button.small.ghost type="submit" data-confirm={ "Leave " (scope.org.name) "?" } { "Leave workspace" }
                    }
                } @else if scope.shell.can(Permission::TeamManage) {
                    form method="post" action={ (base) "/remove" } {
                        (ui::csrf(&scope.shell.csrf))
                        button.small.ghost type="submit" data-confirm={ "Remove " (m.name) " from " (scope.org.name) "?" } {
                            "Remove" span.visually-hidden { " " (m.name) }
                        }
                    }
                }
            }
        }
    }
}

async fn render(state: &AppState, scope: &OrgScope, form: &InviteState, cursor: Option<String>) -> WebResult<Markup> {
    let app = &state.app;
    let page = Page { limit: MEMBERS_PAGE, before: cursor.filter(|c| !c.is_empty()) };
    let (members, next) = orgs::members(app, scope.actor(), scope.org_id(), &page).await?;
    let can_invite = scope.shell.can(Permission::TeamInvite);
    let pending = if can_invite {
        invites::list(app, scope.actor(), scope.org_id(), false, &Page::first(INVITES_SHOWN)).await?.0
    } else {
        Vec::new()
    };
    let now = app.clock.now();
    let tz = &scope.shell.timezone;
    let roles = grantable(scope.role);
    let default_role = form.role.parse::<Role>().unwrap_or(Role::Editor);
    let role_error = form.errors.get("role");
    let content = html! {
        @if let Some(m) = &form.general {
            div.alert.error role="alert" { (m) }
        }
        section.card aria-labelledby="members-heading" {
            h2 #members-heading { "Members" }
            div.table-wrap tabindex="0" role="region" aria-labelledby="members-heading" {
                table {
                    thead { tr {
                        th scope="col" { "Person" } th scope="col" { "Role" } th scope="col" { "Joined" }
                        th scope="col" { span.visually-hidden { "Actions" } }
                    } }
                    tbody { @for m in &members { (member_row(scope, m)) } }
                }
            }
            @if let Some(c) = next {
                a.button href={ (scope.path("/settings/members")) "?cursor=" (c) } { "More members" }
            }
        }
        @if can_invite {
            section.card aria-labelledby="invites-heading" {
                h2 #invites-heading { "Pending invitations" }
                @if pending.is_empty() {
                    p.muted { "No pending invitations." }
                } @else {
                    div.table-wrap tabindex="0" role="region" aria-labelledby="invites-heading" {
                        table #pending-invites {
                            thead { tr {
                                th scope="col" { "Email" } th scope="col" { "Role" } th scope="col" { "Expires" }
                                th scope="col" { span.visually-hidden { "Actions" } }
                            } }
                            tbody {
                                @for i in &pending {
                                    tr data-invite-id=(i.id) {
                                        td { (i.email) }
                                        td { span.badge.role { (i.role) } }
                                        td {
                                            (ui::time(i.expires_at, tz))
                                            @if i.expires_at <= now { " " span.badge.status-failed { "expired" } }
                                        }
                                        td {
                                            form method="post" action=(scope.path(&format!("/settings/invites/{}/revoke", i.id))) {
                                                (ui::csrf(&scope.shell.csrf))
                                                button.small.ghost type="submit" data-confirm={ "Revoke the invitation of " (i.email) "?" } {
                                                    "Revoke" span.visually-hidden { " " (i.email) }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            section.card.narrow aria-labelledby="invite-heading" {
                h2 #invite-heading { "Invite someone" }
                p.muted { "They get an email with a link valid 7 days." }
                (ui::form_errors(&form.errors, None))
                form #invite-form method="post" action=(scope.path("/settings/invites")) novalidate {
                    (ui::csrf(&scope.shell.csrf))
                    (Field::new("email", "Email").kind("email").value(&form.email).autocomplete("off").render(&form.errors))
                    div.field.has-error[role_error.is_some()] {
                        label for="f-role" { "Role" }
                        select #f-role name="role" aria-invalid=[role_error.map(|_| "true")]
                            aria-describedby=[role_error.map(|_| "f-role-error")] {
                            (role_options(&roles, default_role))
                        }
                        @if let Some(m) = role_error {
                            p.field-error #f-role-error { (crate::web::ui::capitalize(m)) }
                        }
                    }
                    button.primary type="submit" { "Send invitation" }
                }
            }
        }
    };
    Ok(frame::page(scope, Tab::Members, "Members", content))
}

pub async fn show(State(state): State<AppState>, scope: OrgScope, Query(q): Query<ShowQuery>) -> WebResult<Markup> {
    render(&state, &scope, &InviteState::default(), q.cursor).await
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

pub async fn invite(State(state): State<AppState>, scope: OrgScope, Form(f): Form<InviteForm>) -> WebResult<Response> {
    let mut form = InviteState { email: f.email.clone(), role: f.role.clone(), ..Default::default() };
    let Ok(role) = f.role.parse::<Role>() else {
        form.errors = Errors::one("role", "choose one of the roles offered");
        return Ok(render(&state, &scope, &form, None).await?.into_response());
    };
    match invites::create(&state.app, scope.actor(), scope.org_id(), &f.email, role).await {
        Ok(created) => {
            let message = format!("Invitation sent to {}.", created.invite.email);
            Ok(redirect_with_flash(&state, &scope.path("/settings/members"), &message))
        }
        Err(AppError::Validation(e)) => {
            form.errors = Errors::from_validation(&e);
            Ok(render(&state, &scope, &form, None).await?.into_response())
        }
        Err(AppError::Conflict(m)) => {
            form.errors = Errors::one("email", m);
            Ok(render(&state, &scope, &form, None).await?.into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

/// Show the members page again with a message about what could not be done.
async fn refused(state: &AppState, scope: &OrgScope, e: AppError) -> WebResult<Response> {
    match user_error(&e) {
        Some(m) => {
            let form = InviteState { general: Some(m), ..Default::default() };
            Ok(render(state, scope, &form, None).await?.into_response())
        }
        None => Err(e.into()),
    }
}

pub async fn change_role(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, user_id)): Path<(String, String)>,
    Form(f): Form<RoleForm>,
) -> WebResult<Response> {
    let Ok(role) = f.role.parse::<Role>() else {
        return refused(&state, &scope, AppError::validation("role", "is not a role")).await;
    };
    match orgs::change_role(&state.app, scope.actor(), scope.org_id(), &user_id, role).await {
        Ok(m) => {
            let message = format!("{} is now {}.", m.name, role.as_str());
            Ok(redirect_with_flash(&state, &scope.path("/settings/members"), &message))
        }
        Err(e) => refused(&state, &scope, e).await,
    }
}

pub async fn remove(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, user_id)): Path<(String, String)>,
    Form(_): Form<Nothing>,
) -> WebResult<Response> {
    let leaving = user_id == scope.actor().user_id;
    match orgs::remove_member(&state.app, scope.actor(), scope.org_id(), &user_id).await {
        Ok(()) if leaving => Ok(redirect_with_flash(&state, "/", &format!("You left {}.", scope.org.name))),
        Ok(()) => Ok(redirect_with_flash(&state, &scope.path("/settings/members"), "Member removed.")),
        Err(e) => refused(&state, &scope, e).await,
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, invite_id)): Path<(String, String)>,
    Form(_): Form<Nothing>,
) -> WebResult<Response> {
    match invites::revoke(&state.app, scope.actor(), scope.org_id(), &invite_id).await {
        Ok(()) => Ok(redirect_with_flash(&state, &scope.path("/settings/members"), "Invitation revoked.")),
        Err(e) => refused(&state, &scope, e).await,
    }
}
