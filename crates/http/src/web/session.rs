//! Who the browser is: the session cookie, CSRF checks on every form, flash messages.

use super::error::{WebError, WebResult};
use super::ui::CSRF_FIELD;
use crate::extract::meta_from;
use crate::state::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use cookie::time::Duration;
use cookie::{Cookie, SameSite};
use sellcast_app::accounts::User;
use sellcast_app::{web_session, Actor, RequestMeta};
use serde::de::DeserializeOwned;
use serde::Deserialize;

pub const SESSION_COOKIE: &str = "sellcast_session";
/// Random value that anonymous forms' CSRF tokens are bound to.
pub const NONCE_COOKIE: &str = "sellcast_nonce";
pub const FLASH_COOKIE: &str = "sellcast_flash";

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    // Raw values: the flash message is URL-encoded by us and decoded where it is read.
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value_trimmed().to_string())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure when the instance is served over HTTPS.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age_secs: i64) -> HeaderValue {
    set_cookie_header(name, value, max_age_secs, state.app.config.uses_https())
}

fn set_cookie_header(name: &str, value: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let c = Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(Duration::seconds(max_age_secs))
        .secure(secure)
        .build();
    HeaderValue::from_str(&c.to_string()).unwrap_or_else(|_| HeaderValue::from_static("sellcast_invalid=; Max-Age=0"))
}

/// A signed-in browser, with the CSRF token its forms must carry.
pub struct Viewer {
    pub actor: Actor,
    pub user: User,
    pub csrf: String,
    pub flash: Option<String>,
}

impl Viewer {
    pub fn session_id(&self) -> &str {
        self.actor.session_id.as_deref().unwrap_or("")
    }
}

async fn viewer(parts: &Parts, state: &AppState) -> Option<Viewer> {
    let value = cookie(&parts.headers, SESSION_COOKIE)?;
    let org = crate::extract::org_named(parts);
    let (actor, user) = web_session::authenticate_user(&state.app, &value, meta_from(parts, state), org).await.ok()?;
    let csrf = web_session::csrf_token(&state.app, actor.session_id.as_deref().unwrap_or(""));
    Some(Viewer { actor, user, csrf, flash: flash(&parts.headers) })
}

fn flash(headers: &HeaderMap) -> Option<String> {
    let raw = cookie(headers, FLASH_COOKIE)?;
    let decoded: String =
        url::form_urlencoded::parse(format!("m={raw}").as_bytes()).map(|(_, v)| v.into_owned()).next()?;
    Some(decoded).filter(|m| !m.is_empty())
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> WebResult<Self> {
        match viewer(parts, state).await {
            Some(v) => Ok(v),
            None => {
                let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_string();
                // Only same-site paths come back here after sign-in.
                let next = if parts.method == axum::http::Method::GET { next } else { "/".into() };
                Err(WebError::SignIn { next })
            }
        }
    }
}

/// The signed-in browser, if any (sign-in and sign-up pages redirect signed-in users away).
pub struct MaybeViewer(pub Option<Viewer>);

impl FromRequestParts<AppState> for MaybeViewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> WebResult<Self> {
        Ok(MaybeViewer(viewer(parts, state).await))
    }
}

/// A browser that is not signed in: its CSRF nonce (a new one when it has none yet, to be set
/// by the response) and request metadata.
pub struct Anonymous {
    pub nonce: String,
    pub new_nonce: bool,
    pub csrf: String,
    pub meta: RequestMeta,
    pub flash: Option<String>,
}

impl FromRequestParts<AppState> for Anonymous {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> WebResult<Self> {
        let existing = cookie(&parts.headers, NONCE_COOKIE).filter(|n| n.len() >= 16 && n.len() <= 64);
        let new_nonce = existing.is_none();
        let nonce = existing.unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
        let csrf = web_session::anonymous_csrf(&state.app, &nonce);
        Ok(Anonymous { nonce, new_nonce, csrf, meta: meta_from(parts, state), flash: flash(&parts.headers) })
    }
}

impl Anonymous {
    /// Attach the nonce cookie to a page that shows a form, when the browser had none.
    pub fn respond(&self, state: &AppState, page: impl IntoResponse) -> Response {
        let mut res = page.into_response();
        if self.new_nonce {
            res.headers_mut().append(header::SET_COOKIE, set_cookie(state, NONCE_COOKIE, &self.nonce, 60 * 60 * 24));
        }
        res
    }
}

/// A URL-encoded form whose CSRF token was checked against the session (or, before sign-in,
/// against the nonce cookie). Reject → 403 page, nothing changed.
pub struct Form<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Form<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> WebResult<Self> {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, state.app.config.json_body_limit).await.map_err(|_| {
            WebError::page(StatusCode::PAYLOAD_TOO_LARGE, "Too much text", "The form was too large to accept.")
        })?;
        let token = url::form_urlencoded::parse(&bytes).find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v.into_owned());
        check_csrf(&parts, state, token.as_deref()).await?;
        let value = serde_urlencoded::from_bytes::<T>(&bytes).map_err(|e| {
            WebError::page(
                StatusCode::BAD_REQUEST,
                "This form could not be read",
                format!("The form was incomplete: {e}."),
            )
        })?;
        Ok(Form(value))
    }
}

/// The CSRF token a script sends in the `X-CSRF-Token` header (JSON and multipart requests).
pub fn csrf_header(parts: &Parts) -> Option<String> {
    parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// A form with nothing in it but its CSRF token: a lone button (delete, sign out, …).
#[derive(Deserialize)]
pub struct Nothing {}

/// Whether `token` is this browser's CSRF token: its session's when signed in, its nonce's
/// otherwise.
pub async fn check_csrf(parts: &Parts, state: &AppState, token: Option<&str>) -> WebResult<()> {
    let token = token.filter(|t| !t.is_empty()).ok_or_else(WebError::csrf)?;
    if let Some(value) = cookie(&parts.headers, SESSION_COOKIE) {
        if let Some((sid, _)) = value.split_once('.') {
            if web_session::csrf_valid(&state.app, sid, token) {
                return Ok(());
            }
        }
    }
    let nonce = cookie(&parts.headers, NONCE_COOKIE).unwrap_or_default();
    if web_session::anonymous_csrf_valid(&state.app, &nonce, token) {
        return Ok(());
    }
    Err(WebError::csrf())
}

/// A 303 to `to` with a one-time message shown on the next page.
pub fn redirect_with_flash(state: &AppState, to: &str, message: &str) -> Response {
    let mut res = Redirect::to(to).into_response();
    let encoded: String = url::form_urlencoded::byte_serialize(message.as_bytes()).collect();
    res.headers_mut().append(header::SET_COOKIE, set_cookie(state, FLASH_COOKIE, &encoded, 60));
    res
}

/// Clear the flash cookie once a page has shown it.
pub async fn clear_flash(req: Request, next: axum::middleware::Next) -> Response {
    let had_flash = cookie(req.headers(), FLASH_COOKIE).is_some();
    let mut res = next.run(req).await;
    let is_page = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    let sets_flash =
        res.headers().get_all(header::SET_COOKIE).iter().any(|v| v.as_bytes().starts_with(FLASH_COOKIE.as_bytes()));
    if had_flash && is_page && !sets_flash {
        res.headers_mut().append(header::SET_COOKIE, set_cookie_header(FLASH_COOKIE, "", 0, false));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::{cookie, set_cookie_header};
    use axum::http::{header, HeaderMap, HeaderValue};

    #[test]
    fn cookies_are_read_from_every_cookie_header_and_unquoted() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("theme=dark; sellcast_session=\"abc.def\""));
        h.append(header::COOKIE, HeaderValue::from_static("sellcast_flash=Saved%21"));
        assert_eq!(cookie(&h, "sellcast_session").as_deref(), Some("abc.def"));
        assert_eq!(cookie(&h, "sellcast_flash").as_deref(), Some("Saved%21"));
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn set_cookie_carries_the_session_attributes() {
        let v = set_cookie_header("sellcast_session", "abc.def", 3600, true);
        let v = v.to_str().unwrap();
        for part in ["sellcast_session=abc.def", "HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=3600", "Secure"] {
            assert!(v.contains(part), "{part} missing in {v}");
        }
        assert!(!set_cookie_header("sellcast_flash", "", 0, false).to_str().unwrap().contains("Secure"));
    }
}
