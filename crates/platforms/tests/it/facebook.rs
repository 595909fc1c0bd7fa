//! The Facebook Pages adapter against the fake Meta server.

use chrono::Utc;
use sellcast_fakes::meta::{self, MetaState, Network};
use sellcast_fakes::{FakeServer, Fault};
use sellcast_platforms::facebook::FacebookAdapter;
use sellcast_platforms::meta::MetaConfig;
use sellcast_platforms::{
    AuthorizeRequest, CodeExchange, Credentials, HttpClient, MediaItem, MediaKind, OAuthApp, PlatformAdapter,
    PlatformError, PublishRequest, Timeouts,
};
use std::sync::Arc;
use std::time::Duration;

const PAGE: &str = "20001";

fn http() -> HttpClient {
    HttpClient::new(Timeouts { connect: Duration::from_secs(2), request: Duration::from_secs(5) }).unwrap()
}

async fn setup() -> (FakeServer, MetaState, FacebookAdapter, Credentials) {
    let (server, state) = meta::start().await.unwrap();
    let adapter = FacebookAdapter::new(http(), MetaConfig::with_base(&server.url()));
    let creds = Credentials {
        access_token: state.page_token(PAGE).unwrap(),
        account_id: PAGE.into(),
        ..Credentials::default()
    };
    (server, state, adapter, creds)
}

fn media(kind: MediaKind, url: &str) -> MediaItem {
    MediaItem {
        kind,
        mime: if kind == MediaKind::Image { "image/jpeg".into() } else { "video/mp4".into() },
        bytes: Arc::new(vec![1, 2, 3]),
        public_url: url.into(),
        width: None,
        height: None,
        alt_text: None,
    }
}

fn request(text: &str, media: Vec<MediaItem>) -> PublishRequest {
    PublishRequest {
        text: text.into(),
        media,
        first_comment: None,
        options: serde_json::json!({}),
        idempotency_key: "variant-1".into(),
        first_attempt_at: Utc::now() - chrono::Duration::seconds(5),
    }
}

fn graph_error(code: i64, message: &str) -> serde_json::Value {
    serde_json::json!({"error": {"message": message, "type": "OAuthException", "code": code,
        "is_transient": code != 100, "fbtrace_id": "AzT3st"}})
}

#[tokio::test]
async fn text_post_is_published_found_and_deleted() {
    let (_server, state, fb, creds) = setup().await;
    let req = request("Spring sale starts today", vec![]);
    let published = fb.publish(&creds, &req).await.unwrap();
    assert!(published.platform_post_id.starts_with("20001_"), "{published:?}");
    assert_eq!(
        published.url.as_deref(),
        Some(format!("https://www.facebook.com/{}", published.platform_post_id).as_str())
    );
    let posts = state.posts();
    assert_eq!(posts.len(), 1);
    assert_eq!((posts[0].text.as_str(), posts[0].kind.as_str()), ("Spring sale starts today", "TEXT"));

    assert_eq!(fb.find_published(&creds, &req).await.unwrap(), Some(published.clone()));
    assert_eq!(fb.find_published(&creds, &request("something else", vec![])).await.unwrap(), None);

    fb.delete(&creds, &published.platform_post_id).await.unwrap();
    assert_eq!(state.count(), 0);
    let again = fb.delete(&creds, &published.platform_post_id).await.unwrap_err();
    assert!(matches!(again, PlatformError::Permanent { status: Some(400), .. }), "{again:?}");
}

#[tokio::test]
async fn one_photo_is_a_photo_post() {
    let (_server, state, fb, creds) = setup().await;
    let req = request("New arrivals", vec![media(MediaKind::Image, "https://media.example/a.jpg")]);
    let published = fb.publish(&creds, &req).await.unwrap();
    let post = state.post(&published.platform_post_id).expect("the photo's post id is returned");
    assert_eq!(post.kind, "PHOTO");
    assert_eq!(post.text, "New arrivals");
    assert_eq!(post.media_urls, vec!["https://media.example/a.jpg".to_string()]);
    assert_eq!(fb.find_published(&creds, &req).await.unwrap(), Some(published));
}

#[tokio::test]
async fn several_photos_are_one_post_with_attached_media() {
    let (_server, state, fb, creds) = setup().await;
    let photos =
        (1..=3).map(|i| media(MediaKind::Image, &format!("https://media.example/{i}.jpg"))).collect::<Vec<_>>();
    let published = fb.publish(&creds, &request("Three looks", photos)).await.unwrap();
    assert_eq!(state.count(), 1, "unpublished photos are not posts");
    let post = state.post(&published.platform_post_id).unwrap();
    assert_eq!(post.kind, "ALBUM");
    assert_eq!(post.media_urls.len(), 3);
}

#[tokio::test]
async fn video_is_posted_with_file_url_and_found_among_videos() {
    let (_server, state, fb, creds) = setup().await;
    let req = request("Watch the unboxing", vec![media(MediaKind::Video, "https://media.example/v.mp4")]);
    let published = fb.publish(&creds, &req).await.unwrap();
    let post = state.post(&published.platform_post_id).unwrap();
    assert_eq!((post.kind.as_str(), post.text.as_str()), ("VIDEO", "Watch the unboxing"));
    assert!(published.url.unwrap().contains("/20001/videos/"));
    let found = fb.find_published(&creds, &req).await.unwrap().unwrap();
    assert_eq!(found.platform_post_id, published.platform_post_id);
}

#[tokio::test]
async fn mixing_photos_and_video_is_refused_before_any_call() {
    let (_server, state, fb, creds) = setup().await;
    let req = request(
        "mixed",
        vec![
            media(MediaKind::Image, "https://media.example/a.jpg"),
            media(MediaKind::Video, "https://media.example/v.mp4"),
        ],
    );
    assert!(matches!(fb.publish(&creds, &req).await, Err(PlatformError::Permanent { .. })));
    assert_eq!(state.count(), 0);
}

#[tokio::test]
async fn first_comment_is_posted_and_its_failure_does_not_fail_the_post() {
    let (server, state, fb, creds) = setup().await;
    let mut req = request("With a comment", vec![]);
    req.first_comment = Some("Link in bio".into());
    let published = fb.publish(&creds, &req).await.unwrap();
    assert_eq!(state.comments_on(&published.platform_post_id), vec!["Link in bio".to_string()]);

    server.faults.push(
        Some("POST"),
        "/comments",
        Fault::Respond { status: 500, headers: vec![], body: graph_error(2, "Service temporarily unavailable") },
    );
    let mut req = request("Comment will fail", vec![]);
    req.first_comment = Some("lost".into());
    let published = fb.publish(&creds, &req).await.expect("the post exists, so publish succeeds");
    assert!(state.comments_on(&published.platform_post_id).is_empty());
    assert_eq!(state.count(), 2);
}

#[tokio::test]
async fn expired_or_revoked_token_is_auth() {
    let (_server, state, fb, creds) = setup().await;
    state.expire(&creds.access_token);
    let err = fb.publish(&creds, &request("hello", vec![])).await.unwrap_err();
    assert!(matches!(err, PlatformError::Auth { .. }), "{err:?}");
    assert!(err.message().contains("190"), "{}", err.message());
    assert!(!err.message().contains(&creds.access_token));

    let (_server, state, fb, creds) = setup().await;
    state.revoke(&creds.access_token);
    let app = OAuthApp { client_id: meta::CLIENT_ID.into(), client_secret: meta::CLIENT_SECRET.into() };
    assert!(matches!(fb.refresh(&app, &creds).await, Err(PlatformError::Auth { .. })));
}

#[tokio::test]
async fn refresh_keeps_the_non_expiring_page_token() {
    let (_server, _state, fb, creds) = setup().await;
    let app = OAuthApp { client_id: meta::CLIENT_ID.into(), client_secret: meta::CLIENT_SECRET.into() };
    let set = fb.refresh(&app, &creds).await.unwrap();
    assert_eq!(set.access_token, creds.access_token);
    assert_eq!(set.expires_at, None);
    assert_eq!(set.refresh_token, None);
}

#[tokio::test]
async fn throttling_codes_are_rate_limited_with_retry_at_from_usage_headers() {
    let (server, state, fb, creds) = setup().await;
    let buc = r#"{"20001":[{"type":"pages","call_count":100,"total_cputime":12,"total_time":9,"estimated_time_to_regain_access":7}]}"#;
    server.faults.push(
        Some("POST"),
        "/feed",
        Fault::Respond {
            status: 400,
            headers: vec![("X-Business-Use-Case-Usage".into(), buc.into())],
            body: graph_error(32, "(#32) Page request limit reached"),
        },
    );
    let before = Utc::now();
    match fb.publish(&creds, &request("throttled", vec![])).await {
        Err(PlatformError::RateLimited { retry_at: Some(at), .. }) => {
            assert!(at >= before + chrono::Duration::minutes(7) && at <= Utc::now() + chrono::Duration::minutes(7));
        }
        other => panic!("expected RateLimited with retry_at, got {other:?}"),
    }

    server.faults.push(
        Some("POST"),
        "/feed",
        Fault::Respond {
            status: 403,
            headers: vec![("X-App-Usage".into(), r#"{"call_count":100,"total_cputime":20,"total_time":30}"#.into())],
            body: graph_error(4, "(#4) Application request limit reached"),
        },
    );
    let err = fb.publish(&creds, &request("throttled again", vec![])).await.unwrap_err();
    assert!(matches!(err, PlatformError::RateLimited { retry_at: None, .. }), "{err:?}");
    assert_eq!(state.count(), 0);
}

#[tokio::test]
async fn server_errors_are_retryable() {
    let (server, state, fb, creds) = setup().await;
    server.faults.push(
        Some("POST"),
        "/feed",
        Fault::Respond { status: 500, headers: vec![], body: graph_error(1, "An unknown error has occurred.") },
    );
    assert!(matches!(fb.publish(&creds, &request("x", vec![])).await, Err(PlatformError::Retryable { .. })));
    server.faults.push(
        None,
        "/feed",
        Fault::Respond { status: 503, headers: vec![], body: serde_json::json!("Service Unavailable") },
    );
    assert!(matches!(fb.publish(&creds, &request("x", vec![])).await, Err(PlatformError::Retryable { .. })));
    assert_eq!(state.count(), 0);
}

#[tokio::test]
async fn a_lost_answer_is_unknown_and_the_post_is_found_not_duplicated() {
    let (server, state, fb, creds) = setup().await;
    server.faults.push(Some("POST"), "/feed", Fault::DropAfterHandling);
    let req = request("Exactly once, please", vec![]);
    let err = fb.publish(&creds, &req).await.unwrap_err();
    assert!(matches!(err, PlatformError::Unknown { .. }), "{err:?}");
    assert_eq!(state.count(), 1, "the post was created before the answer was lost");
    let found = fb.find_published(&creds, &req).await.unwrap().expect("the lookup finds it");
    assert_eq!(found.platform_post_id, state.posts()[0].id);
    assert_eq!(state.count(), 1);
}

#[tokio::test]
async fn a_missing_parameter_is_permanent_with_the_graph_message() {
    let (_server, _state, fb, creds) = setup().await;
    let err = fb.publish(&creds, &request("", vec![])).await.unwrap_err();
    assert!(matches!(err, PlatformError::Permanent { status: Some(400), .. }), "{err:?}");
    assert!(err.message().contains("Missing message or attachment"), "{}", err.message());
}

#[tokio::test]
async fn metrics_and_profile() {
    let (_server, state, fb, creds) = setup().await;
    let mut req = request("Counted", vec![]);
    req.first_comment = Some("first".into());
    let published = fb.publish(&creds, &req).await.unwrap();
    state.set_engagement(&published.platform_post_id, 5, 2, 0);
    let m = fb.metrics(&creds, &published.platform_post_id).await.unwrap();
    assert_eq!((m.likes, m.comments, m.shares), (Some(5), Some(1), Some(2)));

    let profile = fb.profile(&creds).await.unwrap();
    assert_eq!(profile.account_id, PAGE);
    assert_eq!(profile.display_name.as_deref(), Some("Sellcast Shop"));
    assert!(profile.avatar_url.is_some());
}

/// Follow the fake's login dialog: it consents at once and redirects with a code.
async fn consent(url: &str) -> (String, String) {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let resp = client.get(url).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let location = url::Url::parse(&location).unwrap();
    let get = |k: &str| location.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned()).unwrap();
    (get("code"), get("state"))
}

#[tokio::test]
async fn connect_flow_yields_one_account_per_page() {
    let (_server, state, fb, _) = setup().await;
    let app = OAuthApp { client_id: meta::CLIENT_ID.into(), client_secret: meta::CLIENT_SECRET.into() };
    let redirect = "https://sellcast.example/api/v1/oauth/facebook/callback";
    let url = fb
        .authorize_url(&AuthorizeRequest {
            app: &app,
            server_url: None,
            redirect_uri: redirect,
            state: "s-123",
            code_challenge: None,
        })
        .unwrap();
    assert!(url.contains("scope=pages_show_list%2Cpages_read_engagement%2Cpages_manage_posts"), "{url}");
    let (code, returned_state) = consent(&url).await;
    assert_eq!(returned_state, "s-123");

    let exchange =
        CodeExchange { app: &app, server_url: None, code: &code, redirect_uri: redirect, code_verifier: None };
    let tokens = fb.exchange_code(&exchange).await.unwrap();
    let days = (tokens.expires_at.unwrap() - Utc::now()).num_days();
    assert!((58..=60).contains(&days), "a long-lived user token, {days} days");
    assert!(fb.exchange_code(&exchange).await.is_err(), "a code is single-use");

    let accounts = fb.accounts(&tokens, None).await.unwrap();
    let pages = state.pages();
    assert_eq!(accounts.len(), pages.len());
    for (account, page) in accounts.iter().zip(&pages) {
        assert_eq!(account.credentials.account_id, page.id);
        assert_eq!(account.credentials.access_token, page.access_token);
        assert_eq!(account.credentials.expires_at, None);
        assert_eq!(account.profile.display_name.as_deref(), Some(page.name.as_str()));
    }
    let published = fb.publish(&accounts[1].credentials, &request("From the second Page", vec![])).await.unwrap();
    assert!(published.platform_post_id.starts_with(&format!("{}_", pages[1].id)));
    assert_eq!(state.count_on(Network::Facebook), 1);
}

#[tokio::test]
async fn a_user_token_cannot_post_as_the_page() {
    let (_server, state, fb, mut creds) = setup().await;
    creds.access_token = state.user_token();
    let err = fb.publish(&creds, &request("as the user", vec![])).await.unwrap_err();
    assert!(matches!(err, PlatformError::Auth { .. }), "code 200 is a missing permission: {err:?}");
}
