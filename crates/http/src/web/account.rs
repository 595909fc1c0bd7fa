//! Account settings: profile, password, two-factor setup (QR code rendered here), sessions,
//! data export, account deletion.

use super::error::{WebError, WebResult};
use super::layout::{self, Nav};
use super::scope::Signed;
use super::session::{redirect_with_flash, set_cookie, Form, Nothing, SESSION_COOKIE};
use super::ui::{self, Errors, Field};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup, PreEscaped};
use sellcast_app::me::{self, ProfilePatch};
use sellcast_app::{mfa, AppError};
use sellcast_domain::pagination::Page;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account", get(show))
        .route("/account/profile", post(profile))
        .route("/account/password", post(password))
        .route("/account/mfa/setup", post(mfa_setup))
        .route("/account/mfa/verify", post(mfa_verify))
        .route("/account/mfa/disable", post(mfa_disable))
        .route("/account/sessions/revoke", post(revoke_session))
        .route("/account/export", get(export))
        .route("/account/delete", post(delete))
}

/// Which form on the page the errors belong to.
#[derive(PartialEq)]
enum Section {
    None,
    Profile,
    Password,
    Mfa,
    Delete,
}

async fn render(
    state: &AppState,
    s: &Signed,
    section: Section,
    errors: &Errors,
    values: Option<&ProfileInput>,
) -> WebResult<Markup> {
    let app = &state.app;
    let user = &s.viewer.user;
    let (mfa_on, recovery_left) = mfa::status(app, &s.viewer.actor).await?;
    let (sessions, _) = me::sessions(app, &s.viewer.actor, &Page::first(20)).await?;
    let tz = &s.shell.timezone;
    let err = |sec: Section| if section == sec { errors } else { &EMPTY };
    let (name, email, timezone) = match values {
        Some(v) => (v.name.as_str(), v.email.as_str(), v.timezone.as_str()),
        None => (user.name.as_str(), user.email.as_str(), user.timezone.as_str()),
    };
    let body = html! {
        div.page-head { h1 { "Account settings" } }
        @if let Some(m) = errors.get("_") { div.alert.error role="alert" { (super::ui::capitalize(m)) } }
        div.settings-grid {
            section.card #profile {
                h2 { "Profile" }
                (ui::form_errors(err(Section::Profile), None))
                form method="post" action="/account/profile" novalidate {
                    (ui::csrf(&s.shell.csrf))
                    (Field::new("name", "Name").value(name).autocomplete("name").render(err(Section::Profile)))
                    (Field::new("email", "Email").kind("email").value(email).autocomplete("email").render(err(Section::Profile)))
                    (Field::new("timezone", "Timezone").value(timezone)
                        .hint("An IANA name such as Europe/Paris or America/New_York. Times are shown and picked in it.").render(err(Section::Profile)))
                    (Field::new("current_password", "Current password").kind("password").autocomplete("current-password").optional()
                        .hint("Needed only to change your email.").render(err(Section::Profile)))
                    button.primary type="submit" { "Save profile" }
                }
            }
            section.card #password {
                h2 { "Password" }
                (ui::form_errors(err(Section::Password), None))
                form method="post" action="/account/password" novalidate {
                    (ui::csrf(&s.shell.csrf))
                    (Field::new("current_password", "Current password").kind("password").autocomplete("current-password").render(err(Section::Password)))
                    (Field::new("new_password", "New password").kind("password").autocomplete("new-password")
                        .hint("At least 8 characters, with upper- and lower-case letters and a digit. You will sign in again everywhere.").render(err(Section::Password)))
                    button.primary type="submit" { "Change password" }
                }
            }
            section.card #mfa {
                h2 { "Two-factor authentication" }
                (ui::form_errors(err(Section::Mfa), None))
                @if mfa_on {
                    p { span.badge.status-published { "On" } " " (recovery_left) " recovery codes left." }
                    form method="post" action="/account/mfa/disable" novalidate {
                        (ui::csrf(&s.shell.csrf))
                        (Field::new("password", "Password").kind("password").autocomplete("current-password").render(err(Section::Mfa)))
                        (Field::new("code", "Authentication code").autocomplete("one-time-code").render(err(Section::Mfa)))
                        button.danger type="submit" { "Turn off two-factor" }
                    }
                } @else {
                    p.muted { "Protect your account with a code from an authenticator app at each sign-in." }
                    form method="post" action="/account/mfa/setup" {
                        (ui::csrf(&s.shell.csrf))
                        button.primary type="submit" { "Set up two-factor" }
                    }
                }
            }
            section.card #sessions {
                h2 { "Sessions" }
                p.muted { "Where you are signed in. Revoke any you do not recognise." }
                ul.session-list {
                    @for sess in sessions.iter().filter(|x| x.revoked_at.is_none()) {
                        li {
                            div {
                                strong { (sess.user_agent.as_deref().map(short_agent).unwrap_or("Unknown device")) }
                                @if Some(sess.id.as_str()) == s.viewer.actor.session_id.as_deref() { " " span.badge { "this browser" } }
                                br;
                                span.muted { (sess.ip.as_deref().unwrap_or("unknown address")) " · last used " (ui::time(sess.last_used_at, tz)) }
                            }
                            form method="post" action="/account/sessions/revoke" {
                                (ui::csrf(&s.shell.csrf))
                                input type="hidden" name="id" value=(sess.id);
                                button.small.ghost type="submit" { "Revoke" }
                            }
                        }
                    }
                }
            }
            section.card #data {
                h2 { "Your data" }
                p.muted { "Download everything Sellcast holds about you, as JSON." }
                a.button href="/account/export" download="sellcast-export.json" { "Download my data" }
            }
            section.card.danger-zone #delete {
                h2 { "Delete account" }
                p.muted { "This removes your account and every workspace where you are the only member. It cannot be undone." }
                (ui::form_errors(err(Section::Delete), None))
                form method="post" action="/account/delete" novalidate {
                    (ui::csrf(&s.shell.csrf))
                    (Field::new("password", "Password").kind("password").autocomplete("current-password").render(err(Section::Delete)))
                    button.danger type="submit" data-confirm="Delete your account for good?" { "Delete my account" }
                }
            }
        }
    };
    Ok(layout::page(&s.shell, Nav::Account, "Account settings", body))
}

static EMPTY: Errors = Errors(Vec::new());

/// "Mozilla/5.0 (X11; Linux x86_64) … Chrome/120" → a short device label.
fn short_agent(ua: &str) -> &str {
    ["Firefox", "Edg", "Chrome", "Safari", "curl"].into_iter().find(|b| ua.contains(b)).unwrap_or("Browser")
}

pub async fn show(State(state): State<AppState>, s: Signed) -> WebResult<Markup> {
    render(&state, &s, Section::None, &Errors::default(), None).await
}

/// Re-render the page with a form's errors, or pass other failures on.
async fn with_errors(
    state: &AppState,
    s: &Signed,
    section: Section,
    e: AppError,
    values: Option<&ProfileInput>,
) -> WebResult<Response> {
    let errors = match e {
        AppError::Validation(v) => Errors::from_validation(&v),
        AppError::Conflict(m) | AppError::Unauthorized(m) => Errors::one("_", m),
        other => return Err(other.into()),
    };
    let page = render(state, s, section, &errors, values).await?;
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}

#[derive(Deserialize)]
pub struct ProfileInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    timezone: String,
    current_password: Option<String>,
}

pub async fn profile(State(state): State<AppState>, s: Signed, Form(f): Form<ProfileInput>) -> WebResult<Response> {
    let patch = ProfilePatch {
        name: Some(f.name.clone()),
        email: Some(f.email.clone()),
        timezone: Some(f.timezone.clone()),
        current_password: f.current_password.clone().filter(|p| !p.is_empty()),
        new_password: None,
    };
    match me::update(&state.app, &s.viewer.actor, patch).await {
        Ok(_) => Ok(redirect_with_flash(&state, "/account", "Profile saved.")),
        Err(e) => with_errors(&state, &s, Section::Profile, e, Some(&f)).await,
    }
}

#[derive(Deserialize)]
pub struct PasswordInput {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn password(State(state): State<AppState>, s: Signed, Form(f): Form<PasswordInput>) -> WebResult<Response> {
    let patch = ProfilePatch {
        current_password: Some(f.current_password),
        new_password: Some(f.new_password),
        ..Default::default()
    };
    match me::update(&state.app, &s.viewer.actor, patch).await {
        // Every session ended, this one too: sign in again with the new password.
        Ok(_) => {
            let mut res = redirect_with_flash(&state, "/signin", "Password changed. Sign in with your new password.");
            res.headers_mut().append(header::SET_COOKIE, set_cookie(&state, SESSION_COOKIE, "", 0));
            Ok(res)
        }
        Err(e) => with_errors(&state, &s, Section::Password, e, None).await,
    }
}

fn qr_svg(uri: &str) -> Markup {
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => {
            let svg = code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(200, 200).quiet_zone(true).build();
            html! { div.qr role="img" aria-label="QR code for your authenticator app" { (PreEscaped(svg)) } }
        }
        Err(_) => html! {},
    }
}

fn mfa_setup_page(s: &Signed, secret: &str, uri: &str, error: Option<&str>) -> Markup {
    let errors = error.map(|m| Errors::one("code", m)).unwrap_or_default();
    let body = html! {
        div.page-head { h1 { "Set up two-factor authentication" } }
        section.card.narrow {
            ol.steps-text {
                li { "Scan this code with an authenticator app (1Password, Google Authenticator, Aegis…)." }
                li { "Or enter this key by hand: " code.secret { (secret) } }
                li { "Type the 6-digit code the app shows." }
            }
            (qr_svg(uri))
            form method="post" action="/account/mfa/verify" novalidate {
                (ui::csrf(&s.shell.csrf))
                input type="hidden" name="secret" value=(secret);
                input type="hidden" name="uri" value=(uri);
                (Field::new("code", "Code from the app").autocomplete("one-time-code").render(&errors))
                button.primary type="submit" { "Turn on two-factor" }
            }
        }
    };
    layout::page(&s.shell, Nav::Account, "Two-factor setup", body)
}

pub async fn mfa_setup(State(state): State<AppState>, s: Signed, Form(_): Form<Nothing>) -> WebResult<Response> {
    match mfa::setup(&state.app, &s.viewer.actor).await {
        Ok(setup) => Ok(mfa_setup_page(&s, &setup.secret, &setup.otpauth_uri, None).into_response()),
        Err(e) => with_errors(&state, &s, Section::Mfa, e, None).await,
    }
}

#[derive(Deserialize)]
pub struct VerifyInput {
    #[serde(default)]
    code: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    uri: String,
}

pub async fn mfa_verify(State(state): State<AppState>, s: Signed, Form(f): Form<VerifyInput>) -> WebResult<Response> {
    match mfa::verify(&state.app, &s.viewer.actor, f.code.trim()).await {
        Ok(codes) => {
            let body = html! {
                div.page-head { h1 { "Two-factor authentication is on" } }
                section.card.narrow {
                    p { "Save these recovery codes somewhere safe. Each works once if you lose your phone. They are shown only now." }
                    ul.recovery-codes { @for c in &codes { li { code { (c) } } } }
                    a.button.primary href="/account" { "I saved them" }
                }
            };
            Ok(layout::page(&s.shell, Nav::Account, "Recovery codes", body).into_response())
        }
        Err(AppError::Validation(_) | AppError::Unauthorized(_)) => {
            // The secret shown again is the one already stored; it is only displayed.
            let message = "That code is not right. Check the time on your phone and try again.";
            Ok((StatusCode::BAD_REQUEST, mfa_setup_page(&s, &f.secret, &f.uri, Some(message))).into_response())
        }
        Err(e) => with_errors(&state, &s, Section::Mfa, e, None).await,
    }
}

#[derive(Deserialize)]
pub struct DisableInput {
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

pub async fn mfa_disable(State(state): State<AppState>, s: Signed, Form(f): Form<DisableInput>) -> WebResult<Response> {
    match mfa::disable(&state.app, &s.viewer.actor, &f.password, f.code.trim()).await {
        Ok(()) => Ok(redirect_with_flash(&state, "/account", "Two-factor authentication is off.")),
        Err(e) => with_errors(&state, &s, Section::Mfa, e, None).await,
    }
}

#[derive(Deserialize)]
pub struct RevokeInput {
    #[serde(default)]
    id: String,
}

pub async fn revoke_session(
    State(state): State<AppState>,
    s: Signed,
    Form(f): Form<RevokeInput>,
) -> WebResult<Response> {
    me::revoke_session(&state.app, &s.viewer.actor, &f.id).await?;
    if Some(f.id.as_str()) == s.viewer.actor.session_id.as_deref() {
        return Ok(Redirect::to("/signin").into_response());
    }
    Ok(redirect_with_flash(&state, "/account#sessions", "Session revoked."))
}

pub async fn export(State(state): State<AppState>, s: Signed) -> WebResult<Response> {
    let data = me::export(&state.app, &s.viewer.actor).await?;
    let body = serde_json::to_vec_pretty(&data)
        .map_err(|e| WebError::from(AppError::internal(format!("encoding the export: {e}"))))?;
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"sellcast-export.json\""));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

#[derive(Deserialize)]
pub struct DeleteInput {
    #[serde(default)]
    password: String,
}

pub async fn delete(State(state): State<AppState>, s: Signed, Form(f): Form<DeleteInput>) -> WebResult<Response> {
    match me::delete(&state.app, &s.viewer.actor, &f.password).await {
        Ok(()) => {
            let mut res = redirect_with_flash(&state, "/signin", "Your account was deleted.");
            res.headers_mut().append(header::SET_COOKIE, set_cookie(&state, SESSION_COOKIE, "", 0));
            Ok(res)
        }
        Err(e) => with_errors(&state, &s, Section::Delete, e, None).await,
    }
}
