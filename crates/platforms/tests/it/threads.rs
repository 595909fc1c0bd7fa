//! The Threads adapter against the fake Meta server (Threads API paths).

use chrono::Utc;
use sellcast_fakes::meta::{self, MetaState, Network};
use sellcast_fakes::{FakeServer, Fault};
use sellcast_platforms::meta::ContainerPolling;
use sellcast_platforms::threads::{ThreadsAdapter, ThreadsConfig};
use sellcast_platforms::{
    AuthorizeRequest, CodeExchange, Credentials, HttpClient, MediaItem, MediaKind, OAuthApp, PlatformAdapter,
    PlatformError, PublishRequest, Timeouts,
};
use std::sync::Arc;
use std::time::Duration;

fn http() -> HttpClient {
    HttpClient::new(Timeouts { connect: Duration::from_secs(2), request: Duration::from_secs(5) }).unwrap()
}

const FAST: ContainerPolling = ContainerPolling { interval: Duration::from_millis(5), max_polls: 10 };

async fn setup() -> (FakeServer, MetaState, ThreadsAdapter, Credentials) {
    let (server, state) = meta::start().await.unwrap();
    let adapter = ThreadsAdapter::new(http(), ThreadsConfig::with_base(&server.url())).with_container_polling(FAST);
    let creds = Credentials {
        access_token: state.threads_token(),
        account_id: state.threads_user_id(),
        ..Credentials::default()
    };
    (server, state, adapter, creds)
}

fn app() -> OAuthApp {
    OAuthApp { client_id: meta::THREADS_CLIENT_ID.into(), client_secret: meta::THREADS_CLIENT_SECRET.into() }
}

fn item(kind: MediaKind, url: &str) -> MediaItem {
    MediaItem {
        kind,
        mime: if kind == MediaKind::Image { "image/png".into() } else { "video/mp4".into() },
        bytes: Arc::new(vec![0; 4]),
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
        idempotency_key: "variant-th".into(),
        first_attempt_at: Utc::now() - chrono::Duration::seconds(5),
    }
}

fn graph_error(code: i64, message: &str) -> serde_json::Value {
    serde_json::json!({"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "ThT3st"}})
}

#[tokio::test]
async fn text_post_with_a_reply_as_first_comment() {
    let (_server, state, th, creds) = setup().await;
    let mut req = request("Hello, Threads", vec![]);
    req.first_comment = Some("More in the replies".into());
    let published = th.publish(&creds, &req).await.unwrap();
    assert_eq!(state.count(), 1, "the reply is not a top-level post");
    let post = state.post(&published.platform_post_id).unwrap();
    assert_eq!((post.kind.as_str(), post.network), ("TEXT", Network::Threads));
    assert_eq!(state.comments_on(&published.platform_post_id), vec!["More in the replies".to_string()]);
    let url = published.url.unwrap();
    assert!(url.starts_with("https://www.threads.net/@sellcast.threads/post/"), "{url}");
}

#[tokio::test]
async fn image_video_and_carousel_posts() {
    let (_server, state, th, creds) = setup().await;
    state.set_polls_until_finished(2);
    let image =
        th.publish(&creds, &request("pic", vec![item(MediaKind::Image, "https://m.example/1.png")])).await.unwrap();
    assert_eq!(state.post(&image.platform_post_id).unwrap().kind, "IMAGE");
    let reads = state.status_reads();
    let video =
        th.publish(&creds, &request("clip", vec![item(MediaKind::Video, "https://m.example/v.mp4")])).await.unwrap();
    assert_eq!(state.post(&video.platform_post_id).unwrap().kind, "VIDEO");
    assert_eq!(state.status_reads() - reads, 3, "IN_PROGRESS, IN_PROGRESS, FINISHED");
    let media =
        vec![item(MediaKind::Image, "https://m.example/a.png"), item(MediaKind::Video, "https://m.example/b.mp4")];
    let carousel = th.publish(&creds, &request("both", media)).await.unwrap();
    let post = state.post(&carousel.platform_post_id).unwrap();
    assert_eq!((post.kind.as_str(), post.media_urls.len()), ("CAROUSEL_ALBUM", 2));
    assert_eq!(state.count(), 3);
}

#[tokio::test]
async fn over_500_characters_is_permanent() {
    let (_server, state, th, creds) = setup().await;
    th.publish(&creds, &request(&"a".repeat(500), vec![])).await.unwrap();
    let err = th.publish(&creds, &request(&"a".repeat(501), vec![])).await.unwrap_err();
    assert!(matches!(err, PlatformError::Permanent { .. }));
    assert!(err.message().contains("500"));
    assert_eq!(state.count(), 1);
}

#[tokio::test]
async fn a_container_in_error_is_permanent() {
    let (_server, state, th, creds) = setup().await;
    state.fail_media_url("https://m.example/broken.mp4");
    let err = th
        .publish(&creds, &request("broken", vec![item(MediaKind::Video, "https://m.example/broken.mp4")]))
        .await
        .unwrap_err();
    assert!(matches!(err, PlatformError::Permanent { .. }), "{err:?}");
    assert!(err.message().contains("FAILED_DOWNLOADING_VIDEO"), "{}", err.message());
    assert_eq!(state.count(), 0);
}

#[tokio::test]
async fn a_lost_publish_answer_is_unknown_and_found_without_duplicate() {
    let (server, state, th, creds) = setup().await;
    server.faults.push(Some("POST"), "threads_publish", Fault::DropAfterHandling);
    let req = request("Exactly once on Threads", vec![]);
    assert!(matches!(th.publish(&creds, &req).await, Err(PlatformError::Unknown { .. })));
    assert_eq!(state.count(), 1);
    let found = th.find_published(&creds, &req).await.unwrap().expect("found by text");
    assert_eq!(found.platform_post_id, state.posts()[0].id);
    assert!(found.url.is_some());
    assert_eq!(th.find_published(&creds, &request("not posted", vec![])).await.unwrap(), None);
    assert_eq!(state.count(), 1);
}

#[tokio::test]
async fn auth_rate_limit_and_server_errors_are_classified() {
    let (server, state, th, creds) = setup().await;
    server.faults.push(
        Some("POST"),
        "/threads",
        Fault::Respond {
            status: 400,
            headers: vec![("X-App-Usage".into(), r#"{"call_count":100,"total_cputime":5,"total_time":5}"#.into())],
            body: graph_error(4, "Application request limit reached"),
        },
    );
    assert!(matches!(th.publish(&creds, &request("x", vec![])).await, Err(PlatformError::RateLimited { .. })));
    server.faults.push(
        Some("POST"),
        "/threads_publish",
        Fault::Respond { status: 500, headers: vec![], body: graph_error(2, "Service temporarily unavailable") },
    );
    assert!(matches!(th.publish(&creds, &request("x", vec![])).await, Err(PlatformError::Retryable { .. })));
    assert_eq!(state.count(), 0);

    state.expire(&creds.access_token);
    assert!(matches!(th.publish(&creds, &request("x", vec![])).await, Err(PlatformError::Auth { .. })));
    assert!(matches!(th.refresh(&app(), &creds).await, Err(PlatformError::Auth { .. })));
}

#[tokio::test]
async fn graph_tokens_are_not_threads_tokens() {
    let (_server, state, th, mut creds) = setup().await;
    creds.access_token = state.user_token();
    let err = th.profile(&creds).await.unwrap_err();
    assert!(matches!(err, PlatformError::Auth { .. }), "{err:?}");
}

#[tokio::test]
async fn delete_and_metrics() {
    let (_server, state, th, creds) = setup().await;
    let mut req = request("measure me", vec![]);
    req.first_comment = Some("reply".into());
    let published = th.publish(&creds, &req).await.unwrap();
    state.set_engagement(&published.platform_post_id, 9, 2, 120);
    let m = th.metrics(&creds, &published.platform_post_id).await.unwrap();
    assert_eq!((m.likes, m.comments, m.shares, m.impressions), (Some(9), Some(1), Some(2), Some(120)));

    th.delete(&creds, &published.platform_post_id).await.unwrap();
    assert_eq!(state.count(), 0);
    assert!(matches!(th.delete(&creds, &published.platform_post_id).await, Err(PlatformError::Permanent { .. })));
}

#[tokio::test]
async fn connect_flow_refresh_and_profile() {
    let (_server, state, th, _) = setup().await;
    let app = app();
    let redirect = "https://sellcast.example/api/v1/oauth/threads/callback";
    let url = th
        .authorize_url(&AuthorizeRequest {
            app: &app,
            server_url: None,
            redirect_uri: redirect,
            state: "th-state",
            code_challenge: None,
        })
        .unwrap();
    assert!(url.contains("scope=threads_basic%2Cthreads_content_publish"), "{url}");
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let resp = client.get(&url).send().await.unwrap();
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    let param = |k: &str| location.query_pairs().find(|(n, _)| n == k).unwrap().1.into_owned();
    assert_eq!(param("state"), "th-state");
    let code = param("code");

    let exchange =
        CodeExchange { app: &app, server_url: None, code: &code, redirect_uri: redirect, code_verifier: None };
    let tokens = th.exchange_code(&exchange).await.unwrap();
    assert_eq!((tokens.expires_at.unwrap() - Utc::now()).num_days(), 59, "long-lived: 60 days");
    assert_eq!(tokens.extra["user_id"], serde_json::json!(state.threads_user_id()));
    let wrong = CodeExchange { redirect_uri: "https://elsewhere.example/cb", ..exchange };
    assert!(th.exchange_code(&wrong).await.is_err());

    let accounts = th.accounts(&tokens, None).await.unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].credentials.account_id, state.threads_user_id());
    assert_eq!(accounts[0].profile.handle, "sellcast.threads");
    assert_eq!(accounts[0].profile.profile_url.as_deref(), Some("https://www.threads.net/@sellcast.threads"));

    let refreshed = th.refresh(&app, &accounts[0].credentials).await.unwrap();
    assert_ne!(refreshed.access_token, tokens.access_token);
    assert!(refreshed.expires_at.unwrap() > Utc::now() + chrono::Duration::days(59));
    let creds = Credentials { access_token: refreshed.access_token, ..accounts[0].credentials.clone() };
    th.publish(&creds, &request("after refresh", vec![])).await.unwrap();
    assert_eq!(state.count_on(Network::Threads), 1);
}
