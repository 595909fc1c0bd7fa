//! The Mastodon adapter against the fake instance (sellcast-fakes), which answers like
//! Mastodon 4.3.

use chrono::{TimeZone, Utc};
use sellcast_fakes::mastodon::{self, MastodonState, ACCOUNT_ID};
use sellcast_fakes::{FakeServer, Fault};
use sellcast_platforms::mastodon::MastodonAdapter;
use sellcast_platforms::oauth::pkce_pair;
use sellcast_platforms::{
    AuthorizeRequest, CodeExchange, Credentials, HttpClient, MediaItem, MediaKind, PlatformAdapter, PlatformError,
    PublishRequest, Timeouts,
};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

struct Setup {
    server: FakeServer,
    fake: MastodonState,
    adapter: MastodonAdapter,
    creds: Credentials,
}

async fn setup() -> Setup {
    let (server, fake) = mastodon::start().await;
    let http = HttpClient::new(Timeouts { connect: Duration::from_secs(2), request: Duration::from_secs(5) }).unwrap();
    let adapter = MastodonAdapter::new(http).with_media_processing_limit(Duration::from_secs(10));
    let creds = Credentials {
        access_token: fake.issue_token(ACCOUNT_ID),
        account_id: ACCOUNT_ID.into(),
        server_url: Some(server.url()),
        ..Default::default()
    };
    Setup { server, fake, adapter, creds }
}

fn request(text: &str, key: &str) -> PublishRequest {
    PublishRequest {
        text: text.into(),
        media: vec![],
        first_comment: None,
        options: json!({}),
        idempotency_key: key.into(),
        first_attempt_at: Utc::now(),
    }
}

fn media(kind: MediaKind, mime: &str, alt: &str) -> MediaItem {
    MediaItem {
        kind,
        mime: mime.into(),
        bytes: Arc::new(vec![7; 64]),
        public_url: String::new(),
        width: None,
        height: None,
        alt_text: Some(alt.into()),
    }
}

#[tokio::test]
async fn connect_registers_an_app_then_oauth_with_pkce_and_state() {
    let s = setup().await;
    let redirect = "https://sellcast.example/api/v1/oauth/mastodon/callback";
    let app = s.adapter.register_app(&s.server.url(), redirect).await.unwrap();
    assert_eq!(s.fake.app_count(), 1);
    let (verifier, challenge) = pkce_pair();
    let url = s
        .adapter
        .authorize_url(&AuthorizeRequest {
            app: &app,
            server_url: Some(&s.server.url()),
            redirect_uri: redirect,
            state: "state-123",
            code_challenge: Some(&challenge),
        })
        .unwrap();
    let parsed = url::Url::parse(&url).unwrap();
    let query: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
    assert_eq!(parsed.path(), "/oauth/authorize");
    assert_eq!(query["code_challenge"], challenge);
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["state"], "state-123");
    assert_eq!(query["scope"], "read write");

    // The user approves on the instance, which redirects back with the code and the state.
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let resp = browser.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    let back: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(back["state"], "state-123");
    let code = back["code"].clone();

    let server = s.server.url();
    let wrong = CodeExchange {
        app: &app,
        server_url: Some(&server),
        code: &code,
        redirect_uri: redirect,
        code_verifier: Some("wrong-verifier-wrong-verifier-wrong-verifier"),
    };
    let err = s.adapter.exchange_code(&wrong).await.unwrap_err();
    assert!(matches!(err, PlatformError::Permanent { status: Some(400), .. }), "{err:?}");
    assert!(err.message().starts_with("invalid_grant"), "{err:?}");

    // The failed try spent the code (single use): authorize again and exchange properly.
    let resp = browser.get(&url).send().await.unwrap();
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    let code: String = location.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let good = CodeExchange {
        app: &app,
        server_url: Some(&server),
        code: &code,
        redirect_uri: redirect,
        code_verifier: Some(&verifier),
    };
    let tokens = s.adapter.exchange_code(&good).await.unwrap();
    assert!(tokens.expires_at.is_none(), "Mastodon tokens do not expire");

    let accounts = s.adapter.accounts(&tokens, Some(&server)).await.unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].profile.account_id, ACCOUNT_ID);
    assert_eq!(accounts[0].profile.handle, format!("@sellcast@{}", s.server.addr.ip()));
    assert_eq!(accounts[0].credentials.account_id, ACCOUNT_ID);
    assert_eq!(accounts[0].credentials.server_url.as_deref(), Some(server.as_str()));

    // Refresh: nothing to renew, the same token comes back.
    let again = s.adapter.refresh(&app, &accounts[0].credentials).await.unwrap();
    assert_eq!(again.access_token, tokens.access_token);
}

#[tokio::test]
async fn publishes_text_with_the_idempotency_key_and_visibility() {
    let s = setup().await;
    let mut req =
        request("Hello from Sellcast & friends <3 https://example.com/a/rather/long/path/to/a/page #launch", "v-text");
    req.options = json!({ "visibility": "unlisted" });
    let published = s.adapter.publish(&s.creds, &req).await.unwrap();
    let status = s.fake.status(&published.platform_post_id).unwrap();
    assert_eq!(status.text, req.text);
    assert_eq!(status.visibility, "unlisted");
    assert_eq!(status.idempotency_key.as_deref(), Some("v-text"));
    assert_eq!(published.url, Some(format!("{}/@sellcast/{}", s.server.url(), status.id)));
    assert_eq!(s.fake.count(), 1);
}

#[tokio::test]
async fn publishes_images_with_alt_text_and_waits_for_video_processing() {
    let s = setup().await;
    let mut req = request("pictures", "v-images");
    req.media =
        vec![media(MediaKind::Image, "image/png", "a red square"), media(MediaKind::Image, "image/jpeg", "a cat")];
    let published = s.adapter.publish(&s.creds, &req).await.unwrap();
    let status = s.fake.status(&published.platform_post_id).unwrap();
    assert_eq!(status.media_ids.len(), 2);
    assert_eq!(s.fake.media_description(&status.media_ids[0]).as_deref(), Some("a red square"));
    assert_eq!(s.fake.media_description(&status.media_ids[1]).as_deref(), Some("a cat"));

    // A video answers 202, then 206 three times, before it can be attached.
    s.fake.set_video_processing_polls(3);
    let mut req = request("a clip", "v-video");
    req.media = vec![media(MediaKind::Video, "video/mp4", "waves")];
    let published = s.adapter.publish(&s.creds, &req).await.unwrap();
    assert_eq!(s.fake.status(&published.platform_post_id).unwrap().media_ids.len(), 1);
}

#[tokio::test]
async fn video_still_processing_after_the_limit_is_retryable() {
    let s = setup().await;
    s.fake.set_video_processing_polls(1000);
    let adapter = MastodonAdapter::new(HttpClient::new(Timeouts::default()).unwrap())
        .with_media_processing_limit(Duration::from_millis(600));
    let mut req = request("a clip", "v-slow");
    req.media = vec![media(MediaKind::Video, "video/mp4", "waves")];
    let err = adapter.publish(&s.creds, &req).await.unwrap_err();
    assert!(matches!(err, PlatformError::Retryable { .. }), "{err:?}");
    assert_eq!(s.fake.count(), 0);
}

#[tokio::test]
async fn the_first_comment_is_a_reply_with_its_own_key() {
    let s = setup().await;
    let mut req = request("the post", "v-comment");
    req.first_comment = Some("the first comment".into());
    let published = s.adapter.publish(&s.creds, &req).await.unwrap();
    let replies = s.fake.replies(&published.platform_post_id);
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].text, "the first comment");
    assert_eq!(replies[0].idempotency_key.as_deref(), Some("v-comment:first-comment"));
    // Publishing again within Mastodon's idempotency window duplicates neither.
    assert_eq!(s.adapter.publish(&s.creds, &req).await.unwrap(), published);
    assert_eq!((s.fake.count(), s.fake.replies(&published.platform_post_id).len()), (1, 1));
}

#[tokio::test]
async fn instance_errors_are_classified_with_their_message() {
    let s = setup().await;
    let err = s.adapter.publish(&s.creds, &request(&"x".repeat(501), "v-long")).await.unwrap_err();
    assert_eq!(err, PlatformError::permanent(Some(422), "Validation failed: Text character limit of 500 exceeded"));

    let bad = Credentials { access_token: "wrong".into(), ..s.creds.clone() };
    let err = s.adapter.publish(&bad, &request("hi", "v-bad")).await.unwrap_err();
    assert_eq!(err, PlatformError::auth("The access token is invalid"));

    s.fake.revoke(&s.creds.access_token);
    let err = s.adapter.profile(&s.creds).await.unwrap_err();
    assert_eq!(err, PlatformError::auth("The access token was revoked"));
    assert_eq!(s.fake.count(), 0);
}

#[tokio::test]
async fn rate_limits_and_server_errors() {
    let s = setup().await;
    let reset = "2026-06-01T10:05:00.000Z";
    let headers = vec![("X-RateLimit-Limit".into(), "300".into()), ("X-RateLimit-Reset".into(), reset.into())];
    s.server.faults.push(
        Some("POST"),
        "/api/v1/statuses",
        Fault::Respond { status: 429, headers, body: json!({ "error": "Too many requests" }) },
    );
    let err = s.adapter.publish(&s.creds, &request("hi", "v-429")).await.unwrap_err();
    let at = Utc.with_ymd_and_hms(2026, 6, 1, 10, 5, 0).unwrap();
    assert_eq!(err, PlatformError::RateLimited { message: "Too many requests".into(), retry_at: Some(at) });

    s.server.faults.push(
        Some("POST"),
        "/api/v1/statuses",
        Fault::Respond { status: 503, headers: vec![], body: json!({ "error": "Service Unavailable" }) },
    );
    let err = s.adapter.publish(&s.creds, &request("hi", "v-503")).await.unwrap_err();
    assert!(matches!(err, PlatformError::Retryable { .. }), "{err:?}");
    assert_eq!(s.fake.count(), 0);
}

#[tokio::test]
async fn a_lost_answer_is_unknown_then_found_and_never_duplicated() {
    let s = setup().await;
    // Older statuses, including one with the same text before the first attempt.
    s.adapter.publish(&s.creds, &request("exactly once", "older")).await.unwrap();
    let mut req = request("exactly once", "v-lost");
    req.first_attempt_at = Utc::now() + chrono::Duration::minutes(10);
    assert_eq!(s.adapter.find_published(&s.creds, &req).await.unwrap(), None, "the older status predates the attempt");

    let req = request("exactly once", "v-lost");
    s.server.faults.push(Some("POST"), "/api/v1/statuses", Fault::DropAfterHandling);
    let err = s.adapter.publish(&s.creds, &req).await.unwrap_err();
    assert!(matches!(err, PlatformError::Unknown { .. }), "{err:?}");
    assert_eq!(s.fake.count(), 2, "the instance did create the status");
    let created = s.fake.posts().pop().unwrap();

    // Bury it under more statuses than one page holds.
    for i in 0..45 {
        s.adapter.publish(&s.creds, &request(&format!("noise {i}"), &format!("noise-{i}"))).await.unwrap();
    }
    let found = s.adapter.find_published(&s.creds, &req).await.unwrap().unwrap();
    assert_eq!(found.platform_post_id, created.id);
    // Even a blind retry with the same key gets the same status back.
    assert_eq!(s.adapter.publish(&s.creds, &req).await.unwrap().platform_post_id, created.id);
    assert_eq!(s.fake.count(), 47);
}

#[tokio::test]
async fn lookup_on_an_empty_account_is_provably_none() {
    let s = setup().await;
    assert_eq!(s.adapter.find_published(&s.creds, &request("never sent", "v-none")).await.unwrap(), None);
}

#[tokio::test]
async fn delete_and_metrics() {
    let s = setup().await;
    let published = s.adapter.publish(&s.creds, &request("count me", "v-metrics")).await.unwrap();
    s.fake.set_counts(&published.platform_post_id, 5, 2, 1);
    let m = s.adapter.metrics(&s.creds, &published.platform_post_id).await.unwrap();
    assert_eq!((m.likes, m.shares, m.comments), (Some(5), Some(2), Some(1)));

    s.adapter.delete(&s.creds, &published.platform_post_id).await.unwrap();
    assert!(s.fake.status(&published.platform_post_id).is_none());
    s.adapter.delete(&s.creds, &published.platform_post_id).await.unwrap();
    assert!(matches!(s.adapter.delete(&s.creds, "../../admin").await, Err(PlatformError::Permanent { .. })));
}
