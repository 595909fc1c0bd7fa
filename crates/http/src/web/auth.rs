//! Signing in (with the TOTP step), signing up, signing out, password reset.

use super::error::WebResult;
use super::layout;
use super::session::{set_cookie, Anonymous, Form, MaybeViewer, Nothing, Viewer, SESSION_COOKIE};
use super::ui::{self, Errors, Field};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use sellcast_app::accounts::{self, RegisterInput, TokenPair, REFRESH_TOKEN_DAYS};
use sellcast_app::{web_session, AppError};
use serde::Deserialize;

/// Only paths on this site are followed after sign-in (no open redirect).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".into(),
    }
}

/// Redirect to `to` with a fresh session cookie.
fn signed_in(state: &AppState, tokens: &TokenPair, to: &str) -> WebResult<Response> {
    let value = web_session::cookie_for(&state.app, tokens)?;
    let mut res = Redirect::to(to).into_response();
    let max_age = REFRESH_TOKEN_DAYS * 24 * 3600;
    res.headers_mut().append(header::SET_COOKIE, set_cookie(state, SESSION_COOKIE, &value, max_age));
    Ok(res)
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
    invite: Option<String>,
}

fn auth_card(title: &str, subtitle: &str, body: Markup, footer: Markup) -> Markup {
    layout::bare(
        title,
        html! {
            div.auth-card {
                h1 { (title) }
                p.lead { (subtitle) }
                (body)
            }
            p.auth-footer { (footer) }
        },
    )
}

fn signin_page(anon: &Anonymous, email: &str, next: &str, errors: &Errors, general: Option<&str>) -> Markup {
    let body = html! {
        @if let Some(m) = &anon.flash { div.flash role="status" { (m) } }
        (ui::form_errors(errors, general))
        form method="post" action="/signin" novalidate {
            (ui::csrf(&anon.csrf))
            input type="hidden" name="next" value=(next);
            (Field::new("email", "Email").kind("email").value(email).autocomplete("username").render(errors))
            (Field::new("password", "Password").kind("password").autocomplete("current-password").render(errors))
            button.primary.wide type="submit" { "Sign in" }
        }
        p.center { a href="/forgot-password" { "Forgot your password?" } }
    };
    let footer = html! { "New to Sellcast? " a href="/signup" { "Create an account" } };
    auth_card("Sign in", "Welcome back. Sign in to plan, publish and sell.", body, footer)
}

pub async fn signin_form(
    State(state): State<AppState>,
    MaybeViewer(viewer): MaybeViewer,
    anon: Anonymous,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    if viewer.is_some() {
        return Redirect::to(&next).into_response();
    }
    anon.respond(&state, signin_page(&anon, "", &next, &Errors::default(), None))
}

#[derive(Deserialize)]
pub struct SigninInput {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn signin(State(state): State<AppState>, anon: Anonymous, Form(f): Form<SigninInput>) -> WebResult<Response> {
    let next = safe_next(f.next.as_deref());
    match accounts::login(&state.app, &anon.meta, &f.email, &f.password, None).await {
        Ok(done) => signed_in(&state, &done.tokens, &next),
        Err(AppError::MfaRequired) => {
            let proof = web_session::mfa_pending(&state.app, &f.email);
            Ok(mfa_page(&anon, &f.email, &proof, &next, None).into_response())
        }
        Err(AppError::Unauthorized(m)) => {
            Ok(signin_page(&anon, &f.email, &next, &Errors::default(), Some(&error_text(&m))).into_response())
        }
        Err(AppError::RateLimited { message, .. }) => {
            Ok(signin_page(&anon, &f.email, &next, &Errors::default(), Some(&error_text(&message))).into_response())
        }
        Err(AppError::Validation(e)) => {
            Ok(signin_page(&anon, &f.email, &next, &Errors::from_validation(&e), None).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

fn error_text(m: &str) -> String {
    let s = super::ui::capitalize(m);
    if s.ends_with('.') {
        s
    } else {
        format!("{s}.")
    }
}

fn mfa_page(anon: &Anonymous, email: &str, proof: &str, next: &str, error: Option<&str>) -> Markup {
    let errors = match error {
        Some(m) => Errors::one("code", m),
        None => Errors::default(),
    };
    let body = html! {
        form method="post" action="/signin/mfa" novalidate {
            (ui::csrf(&anon.csrf))
            input type="hidden" name="email" value=(email);
            input type="hidden" name="proof" value=(proof);
            input type="hidden" name="next" value=(next);
            (Field::new("code", "Authentication code").autocomplete("one-time-code")
                .hint("The 6-digit code from your authenticator app, or one of your recovery codes.").render(&errors))
            button.primary.wide type="submit" { "Verify and sign in" }
        }
    };
    let footer = html! { a href="/signin" { "Start over" } };
    auth_card("Two-factor authentication", "One more step to keep your account safe.", body, footer)
}

#[derive(Deserialize)]
pub struct MfaInput {
    #[serde(default)]
    email: String,
    #[serde(default)]
    proof: String,
    #[serde(default)]
    code: String,
    next: Option<String>,
}

pub async fn signin_mfa(
    State(state): State<AppState>,
    anon: Anonymous,
    Form(f): Form<MfaInput>,
) -> WebResult<Response> {
    let next = safe_next(f.next.as_deref());
    match web_session::finish_mfa(&state.app, &anon.meta, &f.email, &f.proof, f.code.trim()).await {
        Ok(done) => signed_in(&state, &done.tokens, &next),
        Err(AppError::InvalidToken | AppError::TokenExpired) => {
            let message = "That sign-in took too long. Enter your password again.";
            Ok(signin_page(&anon, &f.email, &next, &Errors::default(), Some(message)).into_response())
        }
        Err(AppError::Unauthorized(_)) => {
            let m = "That code is not right. Check the time on your phone and try again.";
            Ok(mfa_page(&anon, &f.email, &f.proof, &next, Some(m)).into_response())
        }
        Err(AppError::RateLimited { message, .. }) => {
            Ok(signin_page(&anon, &f.email, &next, &Errors::default(), Some(&error_text(&message))).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct SignupInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    organization_name: String,
    invite: Option<String>,
}

fn signup_page(anon: &Anonymous, f: &SignupInput, errors: &Errors) -> Markup {
    let invite = f.invite.as_deref().filter(|i| !i.is_empty());
    let body = html! {
        (ui::form_errors(errors, None))
        form method="post" action="/signup" novalidate {
            (ui::csrf(&anon.csrf))
            @if let Some(token) = invite { input type="hidden" name="invite" value=(token); }
            (Field::new("name", "Your name").value(&f.name).autocomplete("name").render(errors))
            (Field::new("email", "Work email").kind("email").value(&f.email).autocomplete("email").render(errors))
            (Field::new("password", "Password").kind("password").autocomplete("new-password")
                .hint("At least 8 characters, with an upper-case letter, a lower-case letter and a digit.").render(errors))
            @if invite.is_none() {
                (Field::new("organization_name", "Workspace name").value(&f.organization_name).autocomplete("organization")
                    .hint("Your business or agency. You can add more workspaces later.").render(errors))
            }
            button.primary.wide type="submit" { "Create account" }
        }
    };
    let footer = html! { "Already have an account? " a href="/signin" { "Sign in" } };
    let subtitle = if invite.is_some() {
        "Create your account to join your team."
    } else {
        "Plan, publish and sell from one place. Free and self-hosted."
    };
    auth_card("Create your account", subtitle, body, footer)
}

pub async fn signup_form(
    State(state): State<AppState>,
    MaybeViewer(viewer): MaybeViewer,
    anon: Anonymous,
    Query(q): Query<NextQuery>,
) -> Response {
    if viewer.is_some() {
        return Redirect::to("/").into_response();
    }
    let f = SignupInput { invite: q.invite, ..Default::default() };
    anon.respond(&state, signup_page(&anon, &f, &Errors::default()))
}

pub async fn signup(State(state): State<AppState>, anon: Anonymous, Form(f): Form<SignupInput>) -> WebResult<Response> {
    let invite = f.invite.clone().filter(|i| !i.is_empty());
    let input = RegisterInput {
        email: f.email.clone(),
        password: f.password.clone(),
        name: f.name.clone(),
        organization_name: if invite.is_some() { None } else { Some(f.organization_name.clone()) },
        invite_token: invite.clone(),
    };
    match accounts::register(&state.app, &anon.meta, input).await {
        Ok(done) => {
            let to = if invite.is_some() { format!("/o/{}", done.organization.id) } else { "/onboarding".to_string() };
            signed_in(&state, &done.tokens, &to)
        }
        Err(AppError::Validation(e)) => Ok(signup_page(&anon, &f, &Errors::from_validation(&e)).into_response()),
        Err(AppError::Conflict(m)) => Ok(signup_page(&anon, &f, &Errors::one("email", m)).into_response()),
        Err(e) => Err(e.into()),
    }
}

pub async fn signout(State(state): State<AppState>, viewer: Viewer, Form(_): Form<Nothing>) -> WebResult<Response> {
    accounts::logout(&state.app, &viewer.actor).await?;
    let mut res = Redirect::to("/signin").into_response();
    res.headers_mut().append(header::SET_COOKIE, set_cookie(&state, SESSION_COOKIE, "", 0));
    Ok(res)
}

fn forgot_page(anon: &Anonymous, sent: bool, email: &str, errors: &Errors) -> Markup {
    let body = html! {
        @if sent {
            div.alert.success role="status" {
                "If an account exists for " strong { (email) } ", we have sent it a link to choose a new password. The link works for an hour."
            }
        } @else {
            form method="post" action="/forgot-password" novalidate {
                (ui::csrf(&anon.csrf))
                (Field::new("email", "Email").kind("email").value(email).autocomplete("email").render(errors))
                button.primary.wide type="submit" { "Send reset link" }
            }
        }
    };
    let footer = html! { a href="/signin" { "Back to sign in" } };
    auth_card("Reset your password", "We will email you a link to choose a new one.", body, footer)
}

pub async fn forgot_form(State(state): State<AppState>, anon: Anonymous) -> Response {
    anon.respond(&state, forgot_page(&anon, false, "", &Errors::default()))
}

#[derive(Deserialize)]
pub struct ForgotInput {
    #[serde(default)]
    email: String,
}

pub async fn forgot(State(state): State<AppState>, anon: Anonymous, Form(f): Form<ForgotInput>) -> WebResult<Markup> {
    match accounts::forgot_password(&state.app, &anon.meta, &f.email).await {
        Ok(()) => Ok(forgot_page(&anon, true, &f.email, &Errors::default())),
        Err(AppError::Validation(e)) => Ok(forgot_page(&anon, false, &f.email, &Errors::from_validation(&e))),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

fn reset_page(anon: &Anonymous, token: &str, errors: &Errors, general: Option<&str>) -> Markup {
    let body = html! {
        (ui::form_errors(errors, general))
        form method="post" action="/reset-password" novalidate {
            (ui::csrf(&anon.csrf))
            input type="hidden" name="token" value=(token);
            (Field::new("password", "New password").kind("password").autocomplete("new-password")
                .hint("At least 8 characters, with an upper-case letter, a lower-case letter and a digit. Every other session will be signed out.").render(errors))
            button.primary.wide type="submit" { "Set new password" }
        }
    };
    let footer = html! { a href="/forgot-password" { "Need a new link?" } };
    auth_card("Choose a new password", "Almost done.", body, footer)
}

pub async fn reset_form(State(state): State<AppState>, anon: Anonymous, Query(q): Query<TokenQuery>) -> Response {
    let token = q.token.unwrap_or_default();
    anon.respond(&state, reset_page(&anon, &token, &Errors::default(), None))
}

#[derive(Deserialize)]
pub struct ResetInput {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

pub async fn reset(State(state): State<AppState>, anon: Anonymous, Form(f): Form<ResetInput>) -> WebResult<Response> {
    match accounts::reset_password(&state.app, &anon.meta, &f.token, &f.password).await {
        Ok(()) => Ok(super::session::redirect_with_flash(
            &state,
            "/signin",
            "Your password was changed. Sign in with the new one.",
        )),
        Err(AppError::Validation(e)) => {
            let errors = Errors::from_validation(&e);
            // A bad token is not a field the user can fix here.
            let general = errors.get("token").map(|_| "This reset link is invalid or has expired. Ask for a new one.");
            Ok(reset_page(&anon, &f.token, &errors, general).into_response())
        }
        Err(AppError::InvalidToken | AppError::TokenExpired | AppError::NotFound(_)) => {
            let m = "This reset link is invalid or has expired. Ask for a new one.";
            Ok(reset_page(&anon, &f.token, &Errors::default(), Some(m)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `/` sends people where they belong: their first workspace, onboarding, or sign-in.
pub async fn home(State(state): State<AppState>, MaybeViewer(viewer): MaybeViewer) -> WebResult<Response> {
    let Some(viewer) = viewer else { return Ok(Redirect::to("/signin").into_response()) };
    let page = sellcast_domain::pagination::Page::first(1);
    let (orgs, _) = sellcast_app::orgs::list_mine(&state.app, &viewer.actor, &page).await?;
    Ok(match orgs.first() {
        Some(o) => Redirect::to(&format!("/o/{}", o.id)).into_response(),
        None => Redirect::to("/onboarding").into_response(),
    })
}
