//! Accepting an invite from the emailed link: see what it is for, then join (signing in or up
//! first when needed).

use super::error::WebResult;
use super::layout;
use super::session::{redirect_with_flash, Form, MaybeViewer, Viewer};
use super::ui;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use sellcast_app::{invites, AppError};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

fn encoded(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn invalid_page() -> Markup {
    layout::bare(
        "Invite not valid",
        html! {
            div.auth-card {
                h1 { "This invite is no longer valid" }
                p.lead { "It may have expired, been revoked, or already been used. Ask the person who invited you for a new one." }
                a.button.primary.wide href="/" { "Go to Sellcast" }
            }
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    MaybeViewer(viewer): MaybeViewer,
    Query(q): Query<TokenQuery>,
) -> WebResult<Response> {
    let token = q.token.unwrap_or_default();
    let preview = match invites::preview(&state.app, &token).await {
        Ok(p) => p,
        Err(AppError::NotFound(_)) => return Ok(invalid_page().into_response()),
        Err(e) => return Err(e.into()),
    };
    let here = format!("/invites/accept?token={}", encoded(&token));
    let body = html! {
        div.auth-card {
            h1 { "Join " (preview.organization_name) }
            p.lead { "You were invited as " strong { (preview.role) } " (" (preview.email) ")." }
            @if let Some(v) = &viewer {
                form method="post" action="/invites/accept" {
                    (ui::csrf(&v.csrf))
                    input type="hidden" name="token" value=(token);
                    button.primary.wide type="submit" { "Accept and join as " (v.user.name) }
                }
                p.hint.center { "Not you? Sign out from the account menu first." }
            } @else {
                a.button.primary.wide href={ "/signup?invite=" (encoded(&token)) } { "Create an account to join" }
                a.button.wide href={ "/signin?next=" (encoded(&here)) } { "I already have an account" }
            }
        }
    };
    Ok(layout::bare("Accept invite", body).into_response())
}

#[derive(Deserialize)]
pub struct AcceptInput {
    #[serde(default)]
    token: String,
}

pub async fn accept(State(state): State<AppState>, viewer: Viewer, Form(f): Form<AcceptInput>) -> WebResult<Response> {
    match invites::accept(&state.app, &viewer.actor, &f.token).await {
        Ok((org, role)) => {
            let message = format!("Welcome to {}. You joined as {role}.", org.name);
            Ok(redirect_with_flash(&state, &format!("/o/{}", org.id), &message))
        }
        Err(AppError::Validation(_) | AppError::NotFound(_)) => Ok(invalid_page().into_response()),
        Err(e) => Err(e.into()),
    }
}
