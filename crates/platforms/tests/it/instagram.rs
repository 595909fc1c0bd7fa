//! The Instagram adapter (Graph API with Facebook Login) against the fake Meta server.

use chrono::{TimeZone, Utc};
use sellcast_fakes::meta::{self, FakeInstagram, FakePage, MetaState, Network};
use sellcast_fakes::{FakeServer, Fault};
use sellcast_platforms::instagram::{credentials_need_refresh, needs_refresh, InstagramAdapter};
use sellcast_platforms::meta::{ContainerPolling, MetaConfig};
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

async fn setup() -> (FakeServer, MetaState, InstagramAdapter, Credentials) {
    let (server, state) = meta::start().await.unwrap();
    let adapter = InstagramAdapter::new(http(), MetaConfig::with_base(&server.url())).with_container_polling(FAST);
    let creds = Credentials {
        access_token: state.user_token(),
        account_id: state.instagram_id().unwrap(),
        expires_at: Some(Utc::now() + chrono::Duration::days(59)),
        ..Credentials::default()
    };
    (server, state, adapter, creds)
}

fn app() -> OAuthApp {
    OAuthApp { client_id: meta::CLIENT_ID.into(), client_secret: meta::CLIENT_SECRET.into() }
}

fn item(kind: MediaKind, url: &str) -> MediaItem {
    MediaItem {
        kind,
        mime: if kind == MediaKind::Image { "image/jpeg".into() } else { "video/mp4".into() },
        bytes: Arc::new(vec![0; 4]),
        public_url: url.into(),
        width: Some(1080),
        height: Some(1080),
        alt_text: None,
    }
}

fn image(n: u32) -> MediaItem {
    item(MediaKind::Image, &format!("https://media.example/{n}.jpg"))
}

fn request(text: &str, media: Vec<MediaItem>) -> PublishRequest {
    PublishRequest {
        text: text.into(),
        media,
        first_comment: None,
        options: serde_json::json!({}),
        idempotency_key: "variant-ig".into(),
        first_attempt_at: Utc::now() - chrono::Duration::seconds(5),
    }
}

fn graph_error(code: i64, message: &str) -> serde_json::Value {
    serde_json::json!({"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "IgT3st"}})
}

#[tokio::test]
async fn single_image_waits_for_the_container_then_publishes() {
    let (_server, state, ig, creds) = setup().await;
    state.set_polls_until_finished(2);
    let published = ig.publish(&creds, &request("Golden hour #sale", vec![image(1)])).await.unwrap();
    assert!(state.status_reads() >= 3, "IN_PROGRESS twice, then FINISHED: {}", state.status_reads());
    let post = state.post(&published.platform_post_id).unwrap();
    assert_eq!((post.kind.as_str(), post.text.as_str()), ("IMAGE", "Golden hour #sale"));
    assert_eq!(published.url, Some(format!("https://www.instagram.com/p/{}/", published.platform_post_id)));
}

#[tokio::test]
async fn carousel_of_images_and_a_video() {
    let (_server, state, ig, creds) = setup().await;
    state.set_polls_until_finished(1);
    let media = vec![image(1), item(MediaKind::Video, "https://media.example/clip.mp4"), image(2)];
    let published = ig.publish(&creds, &request("Three in one", media)).await.unwrap();
    assert_eq!(state.count(), 1);
    let post = state.post(&published.platform_post_id).unwrap();
    assert_eq!(post.kind, "CAROUSEL_ALBUM");
    assert_eq!(post.media_urls.len(), 3);
}

#[tokio::test]
async fn a_video_is_a_reel_and_a_reel_needs_a_video() {
    let (_server, state, ig, creds) = setup().await;
    let mut req = request("Behind the scenes", vec![item(MediaKind::Video, "https://media.example/reel.mp4")]);
    req.options = serde_json::json!({"reel": true});
    let published = ig.publish(&creds, &req).await.unwrap();
    assert_eq!(state.post(&published.platform_post_id).unwrap().kind, "VIDEO");

    let mut req = request("not a reel", vec![image(1)]);
    req.options = serde_json::json!({"reel": true});
    assert!(matches!(ig.publish(&creds, &req).await, Err(PlatformError::Permanent { .. })));
    assert_eq!(state.count(), 1);
}

#[tokio::test]
async fn first_comment_goes_on_the_new_media() {
    let (_server, state, ig, creds) = setup().await;
    let mut req = request("Shop now", vec![image(1)]);
    req.first_comment = Some("#shop #sale".into());
    let published = ig.publish(&creds, &req).await.unwrap();
    assert_eq!(state.comments_on(&published.platform_post_id), vec!["#shop #sale".to_string()]);
    let m = ig.metrics(&creds, &published.platform_post_id).await.unwrap();
    assert_eq!(m.comments, Some(1));
    state.set_engagement(&published.platform_post_id, 42, 0, 0);
    assert_eq!(ig.metrics(&creds, &published.platform_post_id).await.unwrap().likes, Some(42));
}

#[tokio::test]
async fn posts_without_media_or_with_too_many_items_are_permanent() {
    let (_server, state, ig, creds) = setup().await;
    let err = ig.publish(&creds, &request("text only", vec![])).await.unwrap_err();
    assert!(matches!(err, PlatformError::Permanent { .. }));
    assert!(err.message().contains("at least one image or video"), "{}", err.message());
    let eleven = (0..11).map(image).collect();
    assert!(matches!(ig.publish(&creds, &request("too many", eleven)).await, Err(PlatformError::Permanent { .. })));
    assert_eq!(state.count(), 0);
    assert_eq!(state.status_reads(), 0, "refused before any container");
}

#[tokio::test]
async fn a_container_in_error_is_permanent() {
    let (_server, state, ig, creds) = setup().await;
    state.fail_media_url("https://media.example/broken.jpg");
    state.set_polls_until_finished(1);
    let err = ig
        .publish(&creds, &request("broken", vec![item(MediaKind::Image, "https://media.example/broken.jpg")]))
        .await
        .unwrap_err();
    assert!(matches!(err, PlatformError::Permanent { .. }), "{err:?}");
    assert!(err.message().contains("ERROR"), "{}", err.message());

    let carousel = vec![image(1), item(MediaKind::Image, "https://media.example/broken.jpg")];
    assert!(matches!(
        ig.publish(&creds, &request("broken child", carousel)).await,
        Err(PlatformError::Permanent { .. })
    ));
    assert_eq!(state.count(), 0);
}

#[tokio::test]
async fn a_container_still_processing_after_the_budget_is_retryable() {
    let (_server, state, ig, creds) = setup().await;
    state.set_polls_until_finished(100);
    let err = ig.publish(&creds, &request("slow", vec![image(1)])).await.unwrap_err();
    assert!(matches!(err, PlatformError::Retryable { .. }), "{err:?}");
    assert_eq!(state.status_reads(), u64::from(FAST.max_polls));
    assert_eq!(state.count(), 0);
}

#[tokio::test]
async fn a_lost_media_publish_answer_is_unknown_and_found_without_duplicate() {
    let (server, state, ig, creds) = setup().await;
    server.faults.push(Some("POST"), "media_publish", Fault::DropAfterHandling);
    let req = request("Only once on Instagram", vec![image(7)]);
    let err = ig.publish(&creds, &req).await.unwrap_err();
    assert!(matches!(err, PlatformError::Unknown { .. }), "{err:?}");
    assert_eq!(state.count(), 1);
    let found = ig.find_published(&creds, &req).await.unwrap().expect("found by caption");
    let post = &state.posts()[0];
    assert_eq!(found.platform_post_id, post.id);
    assert_eq!(found.url, Some(format!("https://www.instagram.com/p/{}/", post.id)));
    assert_eq!(ig.find_published(&creds, &request("never posted", vec![image(1)])).await.unwrap(), None);
    assert_eq!(state.count(), 1);
}

#[tokio::test]
async fn an_exhausted_publishing_limit_is_rate_limited_before_any_container() {
    let (_server, state, ig, creds) = setup().await;
    state.set_publishing_quota(1);
    ig.publish(&creds, &request("first of the day", vec![image(1)])).await.unwrap();
    let reads = state.status_reads();
    match ig.publish(&creds, &request("one too many", vec![image(2)])).await {
        Err(PlatformError::RateLimited { retry_at: Some(at), .. }) => assert!(at > Utc::now()),
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert_eq!(state.status_reads(), reads, "no container was made");
    assert_eq!(state.count(), 1);
}

#[tokio::test]
async fn expired_token_is_auth_and_throttling_is_rate_limited() {
    let (server, state, ig, creds) = setup().await;
    let buc = r#"{"17841400000000001":[{"type":"instagram","call_count":100,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":12}]}"#;
    server.faults.push(
        Some("POST"),
        "/media",
        Fault::Respond {
            status: 400,
            headers: vec![("x-business-use-case-usage".into(), buc.into())],
            body: graph_error(80002, "There have been too many calls to this Instagram account."),
        },
    );
    match ig.publish(&creds, &request("throttled", vec![image(1)])).await {
        Err(PlatformError::RateLimited { retry_at: Some(at), .. }) => {
            let minutes = (at - Utc::now()).num_minutes();
            assert!((11..=12).contains(&minutes), "{minutes}");
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    server.faults.push(
        None,
        "/content_publishing_limit",
        Fault::Respond { status: 502, headers: vec![], body: serde_json::json!({"error": "bad gateway"}) },
    );
    assert!(matches!(ig.publish(&creds, &request("x", vec![image(1)])).await, Err(PlatformError::Retryable { .. })));

    state.expire(&creds.access_token);
    let err = ig.publish(&creds, &request("expired", vec![image(1)])).await.unwrap_err();
    assert!(matches!(err, PlatformError::Auth { .. }), "{err:?}");
    assert!(matches!(ig.refresh(&app(), &creds).await, Err(PlatformError::Auth { .. })));
    assert_eq!(state.count(), 0);
}

#[tokio::test]
async fn delete_is_unsupported_and_said_so() {
    let (_server, _state, ig, creds) = setup().await;
    assert!(!ig.capabilities().delete);
    assert!(ig.capabilities().requires_media);
    let err = ig.delete(&creds, "123").await.unwrap_err();
    assert!(matches!(err, PlatformError::Permanent { .. }));
    assert!(err.message().contains("does not allow deleting"));
}

#[tokio::test]
async fn refresh_exchanges_the_long_lived_token() {
    let (_server, _state, ig, creds) = setup().await;
    let set = ig.refresh(&app(), &creds).await.unwrap();
    assert_ne!(set.access_token, creds.access_token);
    assert_eq!((set.expires_at.unwrap() - Utc::now()).num_days(), 59);
    assert!(set.extra["issued_at"].is_string());
    let renewed = Credentials { access_token: set.access_token, ..creds.clone() };
    assert_eq!(ig.profile(&renewed).await.unwrap().handle, "sellcast_shop");
}

#[test]
fn needs_refresh_follows_the_issue_rule() {
    let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    let h = chrono::Duration::hours;
    let d = chrono::Duration::days;
    // (issued ago, expires in, refresh?)
    let table = [
        (d(55), d(5), true),   // old, close to expiry
        (d(53), d(7), true),   // exactly 7 days left
        (d(52), d(8), false),  // more than 7 days left
        (h(23), d(3), false),  // younger than 24 h
        (h(24), d(3), true),   // exactly 24 h old
        (d(61), -h(1), false), // already expired: reconnect, not refresh
        (d(1), d(59), false),  // fresh
    ];
    for (ago, left, want) in table {
        assert_eq!(needs_refresh(now - ago, now + left, now), want, "issued {ago} ago, {left} left");
    }
    let mut creds = Credentials { expires_at: Some(now + d(3)), ..Credentials::default() };
    assert!(credentials_need_refresh(&creds, now), "issued_at unknown: assumed 60 days before expiry");
    creds.extra = serde_json::json!({"issued_at": (now - h(2)).to_rfc3339()});
    assert!(!credentials_need_refresh(&creds, now));
    creds.expires_at = None;
    assert!(!credentials_need_refresh(&creds, now));
}

#[tokio::test]
async fn connect_flow_yields_the_linked_instagram_accounts() {
    let (_server, state, ig, _) = setup().await;
    state.set_pages(vec![
        FakePage {
            id: "1".into(),
            name: "A".into(),
            access_token: "page-a".into(),
            instagram: Some(FakeInstagram { id: "178001".into(), username: "shop_a".into() }),
        },
        FakePage { id: "2".into(), name: "B".into(), access_token: "page-b".into(), instagram: None },
        FakePage {
            id: "3".into(),
            name: "C".into(),
            access_token: "page-c".into(),
            instagram: Some(FakeInstagram { id: "178003".into(), username: "shop_c".into() }),
        },
    ]);
    let redirect = "https://sellcast.example/api/v1/oauth/instagram/callback";
    let url = ig
        .authorize_url(&AuthorizeRequest {
            app: &app(),
            server_url: None,
            redirect_uri: redirect,
            state: "ig-state",
            code_challenge: None,
        })
        .unwrap();
    assert!(url.contains("instagram_content_publish") && url.contains("business_management"), "{url}");
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let resp = client.get(&url).send().await.unwrap();
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    let code = location.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();

    let app = app();
    let exchange =
        CodeExchange { app: &app, server_url: None, code: &code, redirect_uri: redirect, code_verifier: None };
    let tokens = ig.exchange_code(&exchange).await.unwrap();
    let accounts = ig.accounts(&tokens, None).await.unwrap();
    let ids: Vec<&str> = accounts.iter().map(|a| a.credentials.account_id.as_str()).collect();
    assert_eq!(ids, vec!["178001", "178003"]);
    assert_eq!(accounts[1].profile.handle, "shop_c");
    assert_eq!(accounts[0].credentials.access_token, tokens.access_token, "the long-lived user token");
    assert_eq!(accounts[0].credentials.expires_at, tokens.expires_at);
    assert_eq!(accounts[0].credentials.extra["page_id"], "1");
    assert!(!credentials_need_refresh(&accounts[0].credentials, Utc::now()));

    let published = ig.publish(&accounts[1].credentials, &request("via C", vec![image(1)])).await.unwrap();
    let post = state.post(&published.platform_post_id).unwrap();
    assert_eq!((post.owner_id.as_str(), post.network), ("178003", Network::Instagram));
}
