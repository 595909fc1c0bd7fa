//! Facebook Login (manual flow), shared by the Facebook Pages and Instagram adapters.
//!
//! - Dialog: `GET https://www.facebook.com/v21.0/dialog/oauth?client_id&redirect_uri&state&scope&response_type=code`
//! - Code exchange: `GET /oauth/access_token?client_id&redirect_uri&client_secret&code`
//!   → `{"access_token", "token_type", "expires_in"}` (a short-lived user token)
//!   (https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow)
//! - Long-lived: `GET /oauth/access_token?grant_type=fb_exchange_token&client_id&client_secret&fb_exchange_token`
//!   → about 60 days (https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived)

use super::{graph_get_public, MetaConfig};
use crate::adapter::{AuthorizeRequest, CodeExchange, OAuthApp, TokenSet};
use crate::client::HttpClient;
use crate::error::{PlatformError, PlatformResult};
use crate::oauth::TokenResponse;
use chrono::{DateTime, Utc};

/// Long-lived user tokens last "about 60 days"; the answer does not always say.
pub const LONG_LIVED_TOKEN_DAYS: i64 = 60;

/// The Facebook Login dialog URL with `scopes` (comma-separated, as documented).
pub fn dialog_url(config: &MetaConfig, req: &AuthorizeRequest<'_>, scopes: &[&str]) -> PlatformResult<String> {
    let mut url = url::Url::parse(&config.dialog_url)
        .map_err(|e| PlatformError::permanent(None, format!("the Facebook Login dialog URL is invalid: {e}")))?;
    url.query_pairs_mut()
        .append_pair("client_id", &req.app.client_id)
        .append_pair("redirect_uri", req.redirect_uri)
        .append_pair("state", req.state)
        .append_pair("response_type", "code")
        .append_pair("scope", &scopes.join(","));
    Ok(url.into())
}

/// The callback's code → a short-lived user token → a long-lived user token.
pub async fn exchange_code(http: &HttpClient, config: &MetaConfig, req: &CodeExchange<'_>) -> PlatformResult<TokenSet> {
    let short: TokenResponse = graph_get_public(
        http,
        &config.graph("oauth/access_token"),
        &[
            ("client_id", req.app.client_id.as_str()),
            ("redirect_uri", req.redirect_uri),
            ("client_secret", req.app.client_secret.as_str()),
            ("code", req.code),
        ],
    )
    .await?;
    exchange_for_long_lived(http, config, req.app, &short.access_token).await
}

/// Trade a user token (short- or long-lived) for a new long-lived one.
pub async fn exchange_for_long_lived(
    http: &HttpClient,
    config: &MetaConfig,
    app: &OAuthApp,
    user_token: &str,
) -> PlatformResult<TokenSet> {
    let long: TokenResponse = graph_get_public(
        http,
        &config.graph("oauth/access_token"),
        &[
            ("grant_type", "fb_exchange_token"),
            ("client_id", app.client_id.as_str()),
            ("client_secret", app.client_secret.as_str()),
            ("fb_exchange_token", user_token),
        ],
    )
    .await?;
    Ok(long_lived_token_set(long, Utc::now()))
}

fn long_lived_token_set(resp: TokenResponse, now: DateTime<Utc>) -> TokenSet {
    let lifetime = resp
        .expires_in
        .filter(|s| *s > 0)
        .map(chrono::Duration::seconds)
        .unwrap_or_else(|| chrono::Duration::days(LONG_LIVED_TOKEN_DAYS));
    TokenSet {
        access_token: resp.access_token,
        // Facebook Login has no refresh tokens: the long-lived token itself is exchanged again.
        refresh_token: None,
        expires_at: Some(now + lifetime),
        extra: serde_json::json!({ "issued_at": now.to_rfc3339() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialog_url_carries_everything() {
        let app = OAuthApp { client_id: "123".into(), client_secret: "s3cret".into() };
        let req = AuthorizeRequest {
            app: &app,
            server_url: None,
            redirect_uri: "https://sellcast.example/api/v1/oauth/facebook/callback",
            state: "st&te",
            code_challenge: None,
        };
        let url = dialog_url(&MetaConfig::default(), &req, &["pages_show_list", "pages_manage_posts"]).unwrap();
        assert!(url.starts_with("https://www.facebook.com/v21.0/dialog/oauth?client_id=123&"), "{url}");
        assert!(url.contains("state=st%26te"));
        assert!(url.contains("scope=pages_show_list%2Cpages_manage_posts"));
        assert!(url.contains("redirect_uri=https%3A%2F%2Fsellcast.example%2Fapi%2Fv1%2Foauth%2Ffacebook%2Fcallback"));
        assert!(!url.contains("s3cret"));
    }

    #[test]
    fn missing_lifetime_means_sixty_days() {
        let now = Utc::now();
        let set = long_lived_token_set(
            TokenResponse {
                access_token: "t".into(),
                refresh_token: None,
                expires_in: None,
                refresh_token_expires_in: None,
                scope: None,
            },
            now,
        );
        assert_eq!(set.expires_at, Some(now + chrono::Duration::days(60)));
        assert_eq!(set.extra["issued_at"], serde_json::json!(now.to_rfc3339()));
    }
}
