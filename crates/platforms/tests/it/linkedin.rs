//! The LinkedIn adapter against the fake LinkedIn (crates/fakes/src/linkedin.rs), which checks
//! requests the way LinkedIn does and answers with LinkedIn's bodies. Videos: linkedin_video.rs.

use chrono::{Duration, Utc};
use sellcast_fakes::linkedin::{self as fake, LinkedinState};
use sellcast_fakes::{FakeServer, Fault};
use sellcast_platforms::linkedin::{LinkedinAdapter, LinkedinConfig};
use sellcast_platforms::{
    AuthorizeRequest, CodeExchange, ConnectFlow, Credentials, HttpClient, MediaItem, MediaKind, OAuthApp,
    PlatformAdapter, PlatformError, PublishRequest, Timeouts,
};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

struct Setup {
    server: FakeServer,
    state: LinkedinState,
    li: LinkedinAdapter,
    creds: Credentials,
}

fn config(server: &FakeServer, version: &str) -> LinkedinConfig {
    LinkedinConfig { api_url: server.url(), oauth_url: format!("{}/oauth/v2", server.url()), version: version.into() }
}

async fn setup() -> Setup {
    let (server, state) = fake::start().await;
    let li = LinkedinAdapter::new(HttpClient::new(Timeouts::default()).unwrap(), config(&server, "202411"));
    let creds = Credentials {
        access_token: state.issue_token(fake::MEMBER_SUB),
        account_id: LinkedinState::member_urn(),
        ..Credentials::default()
    };
    Setup { server, state, li, creds }
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

fn image(alt: Option<&str>) -> MediaItem {
    MediaItem {
        kind: MediaKind::Image,
        mime: "image/png".into(),
        bytes: Arc::new(vec![1u8; 1500]),
        public_url: "https://media.example/1.png".into(),
        width: Some(10),
        height: Some(10),
        alt_text: alt.map(str::to_string),
    }
}

#[tokio::test]
async fn publishes_text_with_the_posts_api_body() {
    let s = setup().await;
    let published = s.li.publish(&s.creds, &request("Launch day (v2) with @friends #rust")).await.unwrap();
    let posts = s.state.posts();
    assert_eq!(posts.len(), 1);
    let post = &posts[0];
    assert_eq!(published.platform_post_id, post.urn);
    assert_eq!(published.url.unwrap(), format!("https://www.linkedin.com/feed/update/{}", post.urn));
    // Reserved characters escaped for the little text format; the hashtag kept.
    assert_eq!(post.commentary, r"Launch day \(v2\) with \@friends #rust");
    assert_eq!(post.body["visibility"], "PUBLIC");
    assert_eq!(post.body["lifecycleState"], "PUBLISHED");
    assert_eq!(post.body["distribution"]["feedDistribution"], "MAIN_FEED");
    assert_eq!(post.author, LinkedinState::member_urn());
}

#[tokio::test]
async fn one_image_is_media_several_are_multi_image() {
    let s = setup().await;
    let mut one = request("one picture");
    one.media = vec![image(Some("a chart"))];
    s.li.publish(&s.creds, &one).await.unwrap();
    let mut three = request("three pictures");
    three.media = vec![image(None), image(None), image(Some("last"))];
    s.li.publish(&s.creds, &three).await.unwrap();

    let posts = s.state.posts();
    assert_eq!(posts[0].image_ids.len(), 1);
    assert_eq!(posts[0].body["content"]["media"]["altText"], "a chart");
    assert_eq!(posts[1].image_ids.len(), 3);
    assert_eq!(posts[1].body["content"]["multiImage"]["images"][2]["altText"], "last");
}

#[tokio::test]
async fn first_comment_goes_to_social_actions() {
    let s = setup().await;
    let mut req = request("Post with a comment");
    req.first_comment = Some("Details (and the link) here".into());
    let published = s.li.publish(&s.creds, &req).await.unwrap();
    let comments = s.state.comments(&published.platform_post_id);
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].text, r"Details \(and the link\) here");
    assert_eq!(comments[0].actor, LinkedinState::member_urn());
}

#[tokio::test]
async fn missing_or_retired_version_gets_linkedins_error() {
    let s = setup().await;
    // The version header left empty: LinkedIn's VERSION_MISSING, permanent.
    let none = LinkedinAdapter::new(HttpClient::new(Timeouts::default()).unwrap(), config(&s.server, ""));
    let err = none.publish(&s.creds, &request("hello")).await.unwrap_err();
    assert_eq!(
        err,
        PlatformError::Permanent {
            status: Some(400),
            message: "A version must be present. Please specify a version by adding the LinkedIn-Version header."
                .into()
        }
    );
    // A retired version: 426 NONEXISTENT_VERSION.
    s.state.set_min_version("202501");
    let err = s.li.publish(&s.creds, &request("hello")).await.unwrap_err();
    assert_eq!(
        err,
        PlatformError::Permanent { status: Some(426), message: "Requested version 202411 is not active".into() }
    );
    assert_eq!(s.state.count(), 0);
}

#[tokio::test]
async fn too_long_commentary_and_duplicates_are_permanent() {
    let s = setup().await;
    let err = s.li.publish(&s.creds, &request(&"x".repeat(3001))).await.unwrap_err();
    assert!(matches!(err, PlatformError::Permanent { .. }), "{err:?}");
    s.li.publish(&s.creds, &request("same words")).await.unwrap();
    let err = s.li.publish(&s.creds, &request("same words")).await.unwrap_err();
    match err {
        PlatformError::Permanent { status: Some(422), message } => {
            assert!(message.starts_with("Content is a duplicate of urn:li:share:"), "{message}")
        }
        other => panic!("expected LinkedIn's 422, got {other:?}"),
    }
}

#[tokio::test]
async fn revoked_token_is_an_auth_error() {
    let s = setup().await;
    s.state.revoke(&s.creds.access_token);
    let err = s.li.publish(&s.creds, &request("hello")).await.unwrap_err();
    assert_eq!(err, PlatformError::Auth { message: "Invalid access token".into() });
    assert!(matches!(s.li.profile(&s.creds).await, Err(PlatformError::Auth { .. })));
}

#[tokio::test]
async fn throttling_has_no_reset_time_and_server_errors_retry() {
    let s = setup().await;
    let throttled = json!({"status": 429, "serviceErrorCode": 101, "code": "TOO_MANY_REQUESTS",
        "message": "Resource level throttle APPLICATION DAY limit for calls to this resource is reached."});
    s.server.faults.push(Some("POST"), "/rest/posts", Fault::Respond { status: 429, headers: vec![], body: throttled });
    let err = s.li.publish(&s.creds, &request("hello")).await.unwrap_err();
    assert_eq!(
        err,
        PlatformError::RateLimited {
            message: "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.".into(),
            retry_at: None
        }
    );
    let failed = json!({"status": 504, "message": "Gateway timeout"});
    s.server.faults.push(Some("POST"), "/rest/posts", Fault::Respond { status: 504, headers: vec![], body: failed });
    let err = s.li.publish(&s.creds, &request("hello")).await.unwrap_err();
    assert!(matches!(err, PlatformError::Retryable { .. }), "{err:?}");
    assert_eq!(s.state.count(), 0);
}

#[tokio::test]
async fn lost_answer_is_unknown_then_found_without_a_duplicate() {
    let s = setup().await;
    let req = request("Announcing (finally) our *new* thing");
    s.server.faults.push(Some("POST"), "/rest/posts", Fault::DropAfterHandling);
    let err = s.li.publish(&s.creds, &req).await.unwrap_err();
    assert!(matches!(err, PlatformError::Unknown { .. }), "{err:?}");
    assert_eq!(s.state.count(), 1);

    let found = s.li.find_published(&s.creds, &req).await.unwrap().expect("the lookup finds the post");
    assert_eq!(found.platform_post_id, s.state.posts()[0].urn);
    assert_eq!(s.state.count(), 1);
}

#[tokio::test]
async fn lookup_pages_through_and_says_none_only_for_a_covered_window() {
    let s = setup().await;
    s.state.set_reject_duplicates(false);
    let req = request("the oldest in the window");
    s.li.publish(&s.creds, &req).await.unwrap();
    for i in 0..120 {
        s.li.publish(&s.creds, &request(&format!("newer {i}"))).await.unwrap();
    }
    let found = s.li.find_published(&s.creds, &req).await.unwrap().unwrap();
    assert_eq!(found.platform_post_id, s.state.posts()[0].urn);
    assert_eq!(s.li.find_published(&s.creds, &request("never posted")).await.unwrap(), None);
    let mut later = request("newer 7");
    later.first_attempt_at = Utc::now() + Duration::minutes(10);
    assert_eq!(s.li.find_published(&s.creds, &later).await.unwrap(), None);

    // Without r_member_social LinkedIn refuses the listing: an error, never "not found".
    s.state.set_member_post_reads(false);
    let err = s.li.find_published(&s.creds, &req).await.unwrap_err();
    assert!(matches!(err, PlatformError::Permanent { status: Some(403), .. }), "{err:?}");
}

#[tokio::test]
async fn delete_and_metrics() {
    let s = setup().await;
    let mut req = request("measured then deleted");
    req.first_comment = Some("first".into());
    let published = s.li.publish(&s.creds, &req).await.unwrap();
    s.state.set_likes(&published.platform_post_id, 12);
    let m = s.li.metrics(&s.creds, &published.platform_post_id).await.unwrap();
    assert_eq!((m.likes, m.comments, m.shares), (Some(12), Some(1), None));

    s.li.delete(&s.creds, &published.platform_post_id).await.unwrap();
    assert_eq!(s.state.count(), 0);
    s.li.delete(&s.creds, &published.platform_post_id).await.unwrap();
    assert!(matches!(s.li.delete(&s.creds, "urn:li:person:x").await, Err(PlatformError::Permanent { .. })));
}

#[tokio::test]
async fn connect_flow_then_accounts() {
    let s = setup().await;
    let app = app();
    assert_eq!(s.li.capabilities().connect, ConnectFlow::OAuth2 { pkce: false });
    let redirect_uri = "https://sellcast.example/api/v1/oauth/linkedin/callback";
    let url =
        s.li.authorize_url(&AuthorizeRequest {
            app: &app,
            server_url: None,
            redirect_uri,
            state: "st-9",
            code_challenge: None,
        })
        .unwrap();
    let q: HashMap<_, _> = url::Url::parse(&url).unwrap().query_pairs().into_owned().collect();
    assert_eq!(q["state"], "st-9");
    assert_eq!(q["scope"], "openid profile w_member_social");
    assert_eq!(q["redirect_uri"], redirect_uri);
    assert_eq!(q["client_id"], fake::CLIENT_ID);
    assert_eq!(q["response_type"], "code");

    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let resp = browser.get(&url).send().await.unwrap();
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    let back: HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(back["state"], "st-9");

    let code = back["code"].clone();
    let exchange = CodeExchange { app: &app, server_url: None, code: &code, redirect_uri, code_verifier: None };
    let tokens = s.li.exchange_code(&exchange).await.unwrap();
    assert_eq!(tokens.refresh_token, None, "LinkedIn issues refresh tokens to approved apps only");
    assert!(tokens.expires_at.unwrap() > Utc::now() + Duration::days(59));
    let again = s.li.exchange_code(&exchange).await.unwrap_err();
    assert!(again.message().starts_with("Unable to retrieve access token"), "{again:?}");

    let accounts = s.li.accounts(&tokens, None).await.unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].credentials.account_id, LinkedinState::member_urn());
    assert_eq!(accounts[0].profile.display_name.as_deref(), Some(fake::MEMBER_NAME));
    s.li.publish(&accounts[0].credentials, &request("first post after connecting")).await.unwrap();

    let bad = OAuthApp { client_id: fake::CLIENT_ID.into(), client_secret: "nope".into() };
    let code = s.state.authorize(fake::CLIENT_ID, redirect_uri, "openid").unwrap();
    let err = s
        .li
        .exchange_code(&CodeExchange { app: &bad, server_url: None, code: &code, redirect_uri, code_verifier: None })
        .await
        .unwrap_err();
    assert_eq!(err.message(), "Client authentication failed");
}

#[tokio::test]
async fn refresh_when_a_refresh_token_was_issued() {
    let s = setup().await;
    let app = app();
    let redirect_uri = "https://sellcast.example/cb";
    // No refresh token: the user has to reconnect.
    assert!(matches!(s.li.refresh(&app, &s.creds).await, Err(PlatformError::Auth { .. })));

    s.state.set_issue_refresh_tokens(true);
    let code = s.state.authorize(fake::CLIENT_ID, redirect_uri, "openid profile w_member_social").unwrap();
    let exchange = CodeExchange { app: &app, server_url: None, code: &code, redirect_uri, code_verifier: None };
    let tokens = s.li.exchange_code(&exchange).await.unwrap();
    let creds = Credentials {
        access_token: tokens.access_token.clone(),
        refresh_token: tokens.refresh_token.clone(),
        account_id: LinkedinState::member_urn(),
        ..Credentials::default()
    };
    let refreshed = s.li.refresh(&app, &creds).await.unwrap();
    assert_ne!(refreshed.access_token, tokens.access_token);
    let new_creds = Credentials { access_token: refreshed.access_token, ..creds.clone() };
    s.li.publish(&new_creds, &request("after refresh")).await.unwrap();

    let revoked = Credentials { refresh_token: Some("not-a-token".into()), ..creds };
    let err = s.li.refresh(&app, &revoked).await.unwrap_err();
    assert!(matches!(err, PlatformError::Auth { .. }), "{err:?}");
}
