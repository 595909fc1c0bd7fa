//! The X adapter against the fake X (crates/fakes/src/x.rs), which checks requests the way X
//! does and answers with X's bodies.

use chrono::{Duration, TimeZone, Utc};
use sellcast_fakes::x::{self as fake, PublicMetrics, XState};
use sellcast_fakes::{FakeServer, Fault};
use sellcast_platforms::x::{is_duplicate_content, XAdapter, XConfig};
use sellcast_platforms::{
    oauth, AuthorizeRequest, CodeExchange, Credentials, HttpClient, MediaItem, MediaKind, OAuthApp, PlatformAdapter,
    PlatformError, PublishRequest, Timeouts,
};
use serde_json::json;
use std::sync::Arc;

struct Setup {
    server: FakeServer,
    state: XState,
    x: XAdapter,
    creds: Credentials,
}

async fn setup() -> Setup {
    let (server, state) = fake::start().await;
    let config = XConfig {
        api_url: server.url(),
        authorize_url: format!("{}/i/oauth2/authorize", server.url()),
        upload_url: server.url(),
    };
    let x = XAdapter::new(HttpClient::new(Timeouts::default()).unwrap(), config);
    let creds = Credentials {
        access_token: state.issue_token(fake::USER_ID),
        account_id: fake::USER_ID.into(),
        extra: json!({ "username": fake::USERNAME }),
        ..Credentials::default()
    };
    Setup { server, state, x, creds }
}

fn app() -> OAuthApp {
    OAuthApp { client_id: fake::CLIENT_ID.into(), client_secret: fake::CLIENT_SECRET.into() }
}

fn request(text: &str) -> PublishRequest {
    PublishRequest {
        text: text.into(),
        media: vec![],
        first_comment: None,
        options: json!({}),
        idempotency_key: "variant-1".into(),
        first_attempt_at: Utc::now(),
    }
}

fn media(kind: MediaKind, mime: &str, len: usize, alt: Option<&str>) -> MediaItem {
    MediaItem {
        kind,
        mime: mime.into(),
        bytes: Arc::new(vec![7u8; len]),
        public_url: "https://media.example/1".into(),
        width: None,
        height: None,
        alt_text: alt.map(str::to_string),
    }
}

#[tokio::test]
async fn publishes_text_with_its_url() {
    let s = setup().await;
    let published = s.x.publish(&s.creds, &request("Hello from Sellcast")).await.unwrap();
    let posts = s.state.posts();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].text, "Hello from Sellcast");
    assert_eq!(posts[0].id, published.platform_post_id);
    assert_eq!(published.url.unwrap(), format!("https://x.com/{}/status/{}", fake::USERNAME, posts[0].id));
}

#[tokio::test]
async fn publishes_images_with_alt_text() {
    let s = setup().await;
    let mut req = request("Two pictures");
    req.media = vec![
        media(MediaKind::Image, "image/png", 2000, Some("a red square")),
        media(MediaKind::Image, "image/jpeg", 3000, None),
    ];
    s.x.publish(&s.creds, &req).await.unwrap();
    let post = &s.state.posts()[0];
    assert_eq!(post.media_ids.len(), 2);
    assert_eq!(s.state.alt_text(&post.media_ids[0]).as_deref(), Some("a red square"));
    assert_eq!(s.state.alt_text(&post.media_ids[1]), None);
}

#[tokio::test]
async fn publishes_a_video_in_chunks_after_processing() {
    let s = setup().await;
    let mut req = request("A video");
    // Two APPEND segments (4 MB each at most), then FINALIZE, then a STATUS poll.
    req.media = vec![media(MediaKind::Video, "video/mp4", 5 * 1024 * 1024, None)];
    s.x.publish(&s.creds, &req).await.unwrap();
    assert_eq!(s.state.posts()[0].media_ids.len(), 1);
}

#[tokio::test]
async fn five_images_are_refused_before_anything_is_sent() {
    let s = setup().await;
    let mut req = request("Too many");
    req.media = (0..5).map(|_| media(MediaKind::Image, "image/png", 10, None)).collect();
    let err = s.x.publish(&s.creds, &req).await.unwrap_err();
    assert!(matches!(err, PlatformError::Permanent { .. }), "{err:?}");
    assert_eq!(s.state.count(), 0);
}

#[tokio::test]
async fn first_comment_is_a_reply_to_the_post() {
    let s = setup().await;
    let mut req = request("Main post");
    req.first_comment = Some("Link in the first comment: https://example.com".into());
    let published = s.x.publish(&s.creds, &req).await.unwrap();
    assert_eq!(s.state.count(), 1);
    let replies = s.state.replies(&published.platform_post_id);
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].text, "Link in the first comment: https://example.com");
}

#[tokio::test]
async fn too_long_text_gets_xs_message_as_permanent() {
    let s = setup().await;
    let err = s.x.publish(&s.creds, &request(&"a".repeat(281))).await.unwrap_err();
    match err {
        PlatformError::Permanent { status: Some(400), message } => {
            assert!(message.contains("Your Tweet text is too long"))
        }
        other => panic!("expected a permanent 400, got {other:?}"),
    }
    // 280 weighted characters is fine.
    s.x.publish(&s.creds, &request(&"a".repeat(280))).await.unwrap();
}

#[tokio::test]
async fn revoked_token_is_an_auth_error() {
    let s = setup().await;
    s.state.revoke(&s.creds.access_token);
    let err = s.x.publish(&s.creds, &request("hello")).await.unwrap_err();
    assert_eq!(err, PlatformError::Auth { message: "Unauthorized".into() });
    assert!(matches!(s.x.profile(&s.creds).await, Err(PlatformError::Auth { .. })));
}

#[tokio::test]
async fn rate_limit_waits_until_the_reset_header() {
    let s = setup().await;
    let reset = Utc::now().timestamp() + 600;
    s.server.faults.push(
        Some("POST"),
        "/2/tweets",
        Fault::Respond {
            status: 429,
            headers: vec![
                ("x-rate-limit-limit".into(), "100".into()),
                ("x-rate-limit-remaining".into(), "0".into()),
                ("x-rate-limit-reset".into(), reset.to_string()),
            ],
            body: json!({"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}),
        },
    );
    let err = s.x.publish(&s.creds, &request("hello")).await.unwrap_err();
    assert_eq!(
        err,
        PlatformError::RateLimited {
            message: "Too Many Requests".into(),
            retry_at: Some(Utc.timestamp_opt(reset, 0).unwrap())
        }
    );
    assert_eq!(s.state.count(), 0);
}

#[tokio::test]
async fn server_errors_are_retryable() {
    let s = setup().await;
    s.server.faults.push(
        Some("POST"),
        "/2/tweets",
        Fault::Respond {
            status: 503,
            headers: vec![],
            body: json!({"title": "Service Unavailable", "detail": "Service Unavailable", "type": "about:blank", "status": 503}),
        },
    );
    let err = s.x.publish(&s.creds, &request("hello")).await.unwrap_err();
    assert!(matches!(err, PlatformError::Retryable { .. }), "{err:?}");
    assert!(err.message().contains("Service Unavailable"));
}

#[tokio::test]
async fn lost_answer_is_unknown_then_found_without_a_duplicate() {
    let s = setup().await;
    let req = request("Posted once, answer lost");
    s.server.faults.push(Some("POST"), "/2/tweets", Fault::DropAfterHandling);
    let err = s.x.publish(&s.creds, &req).await.unwrap_err();
    assert!(matches!(err, PlatformError::Unknown { .. }), "{err:?}");
    assert_eq!(s.state.count(), 1, "the post was created before the connection dropped");

    let found = s.x.find_published(&s.creds, &req).await.unwrap().expect("the lookup finds the post");
    let posts = s.state.posts();
    assert_eq!(found.platform_post_id, posts[0].id);
    assert_eq!(posts.len(), 1);

    // A blind retry would have been refused as duplicate content.
    let blind = s.x.publish(&s.creds, &req).await.unwrap_err();
    assert!(is_duplicate_content(&blind), "{blind:?}");
    assert_eq!(s.state.count(), 1);
}

#[tokio::test]
async fn lookup_reads_every_page_and_says_none_only_for_a_covered_window() {
    let s = setup().await;
    let req = request("The oldest post in the window & <friends> https://example.com/x?a=1");
    let mut with_media = req.clone();
    with_media.media = vec![media(MediaKind::Image, "image/png", 10, None)];
    s.x.publish(&s.creds, &with_media).await.unwrap();
    // 150 newer posts push it onto the second page of 100.
    for i in 0..150 {
        s.x.publish(&s.creds, &request(&format!("filler {i}"))).await.unwrap();
    }
    let found = s.x.find_published(&s.creds, &req).await.unwrap();
    assert_eq!(found.unwrap().platform_post_id, s.state.posts()[0].id);

    assert_eq!(s.x.find_published(&s.creds, &request("never posted")).await.unwrap(), None);
    // Posted before the window: not this attempt's post.
    let mut later = request("filler 3");
    later.first_attempt_at = Utc::now() + Duration::minutes(10);
    assert_eq!(s.x.find_published(&s.creds, &later).await.unwrap(), None);
}

#[tokio::test]
async fn delete_removes_the_post_and_is_idempotent() {
    let s = setup().await;
    let published = s.x.publish(&s.creds, &request("to be deleted")).await.unwrap();
    s.x.delete(&s.creds, &published.platform_post_id).await.unwrap();
    assert_eq!(s.state.count(), 0);
    s.x.delete(&s.creds, &published.platform_post_id).await.unwrap();
    assert!(matches!(s.x.delete(&s.creds, "../2/users").await, Err(PlatformError::Permanent { .. })));
}

#[tokio::test]
async fn metrics_come_from_public_metrics() {
    let s = setup().await;
    let published = s.x.publish(&s.creds, &request("measured")).await.unwrap();
    let metrics = PublicMetrics {
        retweet_count: 2,
        reply_count: 3,
        like_count: 5,
        quote_count: 1,
        bookmark_count: 0,
        impression_count: 99,
    };
    s.state.set_metrics(&published.platform_post_id, metrics);
    let m = s.x.metrics(&s.creds, &published.platform_post_id).await.unwrap();
    assert_eq!((m.likes, m.comments, m.shares, m.impressions), (Some(5), Some(3), Some(3), Some(99)));
    let gone = s.x.metrics(&s.creds, "42").await.unwrap_err();
    assert!(matches!(gone, PlatformError::Permanent { status: Some(404), .. }), "{gone:?}");
}

#[tokio::test]
async fn connect_flow_with_pkce_then_accounts() {
    let s = setup().await;
    let app = app();
    let (verifier, challenge) = oauth::pkce_pair();
    let redirect_uri = "https://sellcast.example/api/v1/oauth/x/callback";
    let url =
        s.x.authorize_url(&AuthorizeRequest {
            app: &app,
            server_url: None,
            redirect_uri,
            state: "st-123",
            code_challenge: Some(&challenge),
        })
        .unwrap();
    let parsed = url::Url::parse(&url).unwrap();
    let q: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
    assert_eq!(q["state"], "st-123");
    assert_eq!(q["code_challenge"], challenge);
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["redirect_uri"], redirect_uri);
    assert_eq!(q["client_id"], fake::CLIENT_ID);
    assert_eq!(q["scope"], "tweet.read tweet.write users.read offline.access media.write");

    // The browser step: the fake approves and redirects back with the code and the state.
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let resp = browser.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 303);
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    let back: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(back["state"], "st-123");

    let code = back["code"].clone();
    let exchange =
        CodeExchange { app: &app, server_url: None, code: &code, redirect_uri, code_verifier: Some(&verifier) };
    let tokens = s.x.exchange_code(&exchange).await.unwrap();
    assert!(tokens.refresh_token.is_some());
    assert!(tokens.expires_at.unwrap() > Utc::now() + Duration::minutes(110));
    // Codes are single-use.
    let again = s.x.exchange_code(&exchange).await.unwrap_err();
    assert!(again.message().contains("Value passed for the authorization code was invalid"), "{again:?}");

    let accounts = s.x.accounts(&tokens, None).await.unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].profile.handle, fake::USERNAME);
    assert_eq!(accounts[0].credentials.account_id, fake::USER_ID);
    assert_eq!(accounts[0].credentials.extra["username"], fake::USERNAME);
    let published = s.x.publish(&accounts[0].credentials, &request("first post after connecting")).await.unwrap();
    assert!(published.url.unwrap().starts_with(&format!("https://x.com/{}/status/", fake::USERNAME)));
}

#[tokio::test]
async fn token_endpoint_checks_the_verifier_and_the_client_secret() {
    let s = setup().await;
    let (_, challenge) = oauth::pkce_pair();
    let redirect_uri = "https://sellcast.example/cb";
    let scope = "tweet.read users.read offline.access";
    let code = s.state.authorize(fake::CLIENT_ID, redirect_uri, scope, &challenge).unwrap();
    let app = app();
    let other_verifier = "x".repeat(43);
    let wrong_verifier =
        CodeExchange { app: &app, server_url: None, code: &code, redirect_uri, code_verifier: Some(&other_verifier) };
    let err = s.x.exchange_code(&wrong_verifier).await.unwrap_err();
    assert_eq!(
        err,
        PlatformError::Permanent {
            status: Some(400),
            message: "Value passed for the authorization code was invalid.".into()
        }
    );

    let code = s.state.authorize(fake::CLIENT_ID, redirect_uri, scope, &challenge).unwrap();
    let bad_app = OAuthApp { client_id: fake::CLIENT_ID.into(), client_secret: "wrong".into() };
    let bad_client =
        CodeExchange { app: &bad_app, server_url: None, code: &code, redirect_uri, code_verifier: Some("v") };
    let err = s.x.exchange_code(&bad_client).await.unwrap_err();
    assert_eq!(err.message(), "Missing valid authorization header");
}

#[tokio::test]
async fn refresh_rotates_the_refresh_token() {
    let s = setup().await;
    let (verifier, challenge) = oauth::pkce_pair();
    let redirect_uri = "https://sellcast.example/cb";
    let code =
        s.state.authorize(fake::CLIENT_ID, redirect_uri, "tweet.read users.read offline.access", &challenge).unwrap();
    let app = app();
    let exchange =
        CodeExchange { app: &app, server_url: None, code: &code, redirect_uri, code_verifier: Some(&verifier) };
    let tokens = s.x.exchange_code(&exchange).await.unwrap();
    let creds = Credentials {
        access_token: tokens.access_token.clone(),
        refresh_token: tokens.refresh_token.clone(),
        account_id: fake::USER_ID.into(),
        ..Credentials::default()
    };

    let refreshed = s.x.refresh(&app, &creds).await.unwrap();
    assert_ne!(refreshed.access_token, tokens.access_token);
    assert_ne!(refreshed.refresh_token, tokens.refresh_token, "X rotates refresh tokens");
    let new_creds = Credentials { access_token: refreshed.access_token.clone(), ..creds.clone() };
    assert_eq!(s.x.profile(&new_creds).await.unwrap().account_id, fake::USER_ID);

    // The old refresh token is spent: the user must reconnect.
    let err = s.x.refresh(&app, &creds).await.unwrap_err();
    assert_eq!(err, PlatformError::Auth { message: "Value passed for the token was invalid.".into() });

    // A response without a refresh token carries none: the caller keeps the stored one.
    s.state.set_issue_refresh_tokens(false);
    let rotated = Credentials { refresh_token: refreshed.refresh_token.clone(), ..creds.clone() };
    let without = s.x.refresh(&app, &rotated).await.unwrap();
    assert_eq!(without.refresh_token, None);

    let none = Credentials { refresh_token: None, ..creds };
    assert!(matches!(s.x.refresh(&app, &none).await, Err(PlatformError::Auth { .. })));
}
