//! The Bluesky adapter against the fake PDS (sellcast-fakes), which answers like @atproto/pds.

use chrono::{TimeZone, Utc};
use sellcast_fakes::bluesky::{self, BlueskyState, APP_PASSWORD, DID, HANDLE};
use sellcast_fakes::{FakeServer, Fault};
use sellcast_platforms::bluesky::{record_key, BlueskyAdapter, BlueskyConfig};
use sellcast_platforms::{
    Credentials, HttpClient, MediaItem, MediaKind, OAuthApp, PlatformAdapter, PlatformError, PublishRequest, Timeouts,
};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

struct Setup {
    server: FakeServer,
    fake: BlueskyState,
    adapter: BlueskyAdapter,
    creds: Credentials,
}

async fn setup() -> Setup {
    let (server, fake) = bluesky::start().await;
    let http = HttpClient::new(Timeouts { connect: Duration::from_secs(2), request: Duration::from_secs(5) }).unwrap();
    let adapter = BlueskyAdapter::new(http, BlueskyConfig { default_server: server.url() });
    let (access, refresh) = fake.issue_session(DID);
    let creds = Credentials {
        access_token: access,
        refresh_token: Some(refresh),
        account_id: DID.into(),
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
        first_attempt_at: Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap(),
    }
}

fn image(alt: &str, width: u32, height: u32) -> MediaItem {
    MediaItem {
        kind: MediaKind::Image,
        mime: "image/png".into(),
        bytes: Arc::new(format!("png bytes {alt}").into_bytes()),
        public_url: String::new(),
        width: Some(width),
        height: Some(height),
        alt_text: Some(alt.into()),
    }
}

fn rkey_of(uri: &str) -> &str {
    uri.rsplit('/').next().unwrap()
}

#[tokio::test]
async fn connect_with_an_app_password_then_read_the_profile() {
    let s = setup().await;
    let creds = s.adapter.create_session(&s.server.url(), &format!("@{HANDLE}"), APP_PASSWORD).await.unwrap();
    assert_eq!(creds.account_id, DID);
    assert_eq!(creds.server_url.as_deref(), Some(s.server.url().as_str()));
    assert_eq!(creds.extra["handle"], HANDLE);
    let expires = creds.expires_at.unwrap();
    // Read from the access JWT's `exp` (the fake issues two-hour tokens).
    assert!((expires - (Utc::now() + chrono::Duration::hours(2))).num_seconds().abs() < 30, "{expires}");
    let profile = s.adapter.profile(&creds).await.unwrap();
    assert_eq!((profile.account_id.as_str(), profile.handle.as_str()), (DID, HANDLE));
    assert_eq!(profile.profile_url.as_deref(), Some("https://bsky.app/profile/alice.test"));

    let wrong = s.adapter.create_session(&s.server.url(), HANDLE, "wrong-password").await.unwrap_err();
    assert!(matches!(wrong, PlatformError::Auth { .. }), "{wrong:?}");
    assert!(wrong.message().contains("Invalid identifier or password"), "{wrong:?}");
}

#[tokio::test]
async fn publishes_text_with_utf8_byte_facets_under_a_deterministic_key() {
    let s = setup().await;
    let text = "Café ☕ lancé: https://example.com/launch avec @alice.test #Sellcast";
    let req = request(text, "variant-text");
    let published = s.adapter.publish(&s.creds, &req).await.unwrap();
    let rkey = record_key("variant-text", req.first_attempt_at, sellcast_platforms::bluesky::Role::Post);
    assert_eq!(published.platform_post_id, format!("at://{DID}/app.bsky.feed.post/{rkey}"));
    assert_eq!(published.url.as_deref(), Some(format!("https://bsky.app/profile/{DID}/post/{rkey}").as_str()));

    let stored = s.fake.record(&published.platform_post_id).unwrap();
    assert_eq!(stored.text(), text);
    let facets = stored.value["facets"].as_array().unwrap();
    let span = |i: usize| {
        let f = &facets[i];
        let (a, b) =
            (f["index"]["byteStart"].as_u64().unwrap() as usize, f["index"]["byteEnd"].as_u64().unwrap() as usize);
        (text.as_bytes()[a..b].to_vec(), f["features"][0].clone())
    };
    assert_eq!(
        span(0),
        (
            b"https://example.com/launch".to_vec(),
            json!({"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/launch"})
        )
    );
    assert_eq!(span(1), (b"@alice.test".to_vec(), json!({"$type": "app.bsky.richtext.facet#mention", "did": DID})));
    assert_eq!(span(2), (b"#Sellcast".to_vec(), json!({"$type": "app.bsky.richtext.facet#tag", "tag": "Sellcast"})));
    assert_eq!(s.fake.count(), 1);
}

#[tokio::test]
async fn publishes_images_with_alt_text_and_aspect_ratio() {
    let s = setup().await;
    let mut req = request("two pictures", "variant-images");
    req.media = vec![image("a red square", 40, 30), image("a blue square", 10, 20)];
    let published = s.adapter.publish(&s.creds, &req).await.unwrap();
    let stored = s.fake.record(&published.platform_post_id).unwrap();
    let embed = &stored.value["embed"];
    assert_eq!(embed["$type"], "app.bsky.embed.images");
    let images = embed["images"].as_array().unwrap();
    assert_eq!(images.len(), 2);
    assert_eq!(images[0]["alt"], "a red square");
    assert_eq!(images[0]["aspectRatio"], json!({ "width": 40, "height": 30 }));
    assert_eq!(images[1]["alt"], "a blue square");
    let cid = images[0]["image"]["ref"]["$link"].as_str().unwrap();
    assert_eq!(s.fake.blob(cid), Some(("image/png".to_string(), "png bytes a red square".len())));
}

#[tokio::test]
async fn publishes_a_video_embed() {
    let s = setup().await;
    let mut req = request("a clip", "variant-video");
    req.media = vec![MediaItem { kind: MediaKind::Video, mime: "video/mp4".into(), ..image("a clip of waves", 16, 9) }];
    let published = s.adapter.publish(&s.creds, &req).await.unwrap();
    let embed = s.fake.record(&published.platform_post_id).unwrap().value["embed"].clone();
    assert_eq!(embed["$type"], "app.bsky.embed.video");
    assert_eq!(embed["alt"], "a clip of waves");
    assert_eq!(embed["aspectRatio"], json!({ "width": 16, "height": 9 }));
}

#[tokio::test]
async fn the_first_comment_is_a_reply_to_the_post() {
    let s = setup().await;
    let mut req = request("the post", "variant-comment");
    req.first_comment = Some("the first comment".into());
    let published = s.adapter.publish(&s.creds, &req).await.unwrap();
    let post = s.fake.record(&published.platform_post_id).unwrap();
    let replies = s.fake.replies(&published.platform_post_id);
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].text(), "the first comment");
    assert_eq!(replies[0].value["reply"]["root"], json!({ "uri": post.uri, "cid": post.cid }));
    assert_eq!(replies[0].value["reply"]["parent"], json!({ "uri": post.uri, "cid": post.cid }));
    assert_eq!(
        replies[0].rkey,
        record_key("variant-comment", req.first_attempt_at, sellcast_platforms::bluesky::Role::FirstComment)
    );
    assert_eq!(s.fake.posts().len(), 1);

    // Publishing the variant again changes nothing: both keys are taken by our own records.
    let again = s.adapter.publish(&s.creds, &req).await.unwrap();
    assert_eq!(again, published);
    assert_eq!((s.fake.count(), s.fake.post_records().len()), (1, 2));
}

#[tokio::test]
async fn bad_content_gets_the_pds_message_as_a_permanent_error() {
    let s = setup().await;
    let err = s.adapter.publish(&s.creds, &request(&"x".repeat(301), "too-long")).await.unwrap_err();
    assert_eq!(
        err,
        PlatformError::permanent(
            Some(400),
            "InvalidRequest: Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes"
        )
    );
    // Media the lexicon refuses is refused before anything is uploaded.
    let mut req = request("five", "five-images");
    req.media = (0..5).map(|i| image(&i.to_string(), 1, 1)).collect();
    assert!(matches!(s.adapter.publish(&s.creds, &req).await, Err(PlatformError::Permanent { status: None, .. })));
    assert_eq!(s.fake.count(), 0);
}

#[tokio::test]
async fn bad_and_expired_tokens_are_auth_errors() {
    let s = setup().await;
    let bad = Credentials { access_token: "not-a-token".into(), ..s.creds.clone() };
    let err = s.adapter.publish(&bad, &request("hi", "bad-token")).await.unwrap_err();
    assert_eq!(err, PlatformError::auth("InvalidToken: Token could not be verified"));

    s.fake.expire(&s.creds.access_token);
    let err = s.adapter.publish(&s.creds, &request("hi", "expired")).await.unwrap_err();
    assert_eq!(err, PlatformError::auth("ExpiredToken: Token has expired"));
    assert_eq!(s.fake.count(), 0);
}

#[tokio::test]
async fn rate_limits_carry_the_reset_time() {
    let s = setup().await;
    let headers = vec![("ratelimit-limit".into(), "5000".into()), ("ratelimit-reset".into(), "1900000000".into())];
    let body = json!({ "error": "RateLimitExceeded", "message": "Rate Limit Exceeded" });
    s.server.faults.push(Some("POST"), "createRecord", Fault::Respond { status: 429, headers, body });
    let err = s.adapter.publish(&s.creds, &request("hi", "limited")).await.unwrap_err();
    assert_eq!(
        err,
        PlatformError::RateLimited {
            message: "RateLimitExceeded: Rate Limit Exceeded".into(),
            retry_at: Utc.timestamp_opt(1_900_000_000, 0).single()
        }
    );
}

#[tokio::test]
async fn server_errors_are_retryable_and_the_retry_publishes_once() {
    let s = setup().await;
    let body = json!({ "error": "InternalServerError", "message": "Internal Server Error" });
    s.server.faults.push(Some("POST"), "createRecord", Fault::Respond { status: 502, headers: vec![], body });
    let req = request("retry me", "variant-5xx");
    let err = s.adapter.publish(&s.creds, &req).await.unwrap_err();
    assert!(matches!(err, PlatformError::Retryable { .. }), "{err:?}");
    assert_eq!(s.fake.count(), 0);
    s.adapter.publish(&s.creds, &req).await.unwrap();
    assert_eq!(s.fake.count(), 1);
}

#[tokio::test]
async fn a_lost_answer_is_unknown_then_found_and_never_duplicated() {
    let s = setup().await;
    let req = request("exactly once", "variant-lost");
    assert_eq!(s.adapter.find_published(&s.creds, &req).await.unwrap(), None);

    s.server.faults.push(Some("POST"), "createRecord", Fault::DropAfterHandling);
    let err = s.adapter.publish(&s.creds, &req).await.unwrap_err();
    assert!(matches!(err, PlatformError::Unknown { .. }), "{err:?}");
    assert_eq!(s.fake.count(), 1, "the PDS did create the post");

    let found = s.adapter.find_published(&s.creds, &req).await.unwrap().unwrap();
    assert_eq!(rkey_of(&found.platform_post_id), rkey_of(&s.fake.posts()[0].uri));
    // A retry regardless: same key, so the PDS refuses a second record and the adapter adopts the first.
    let retried = s.adapter.publish(&s.creds, &req).await.unwrap();
    assert_eq!(retried, found);
    assert_eq!(s.fake.count(), 1);

    // Another variant with the same text is another post.
    s.adapter.publish(&s.creds, &request("exactly once", "variant-other")).await.unwrap();
    assert_eq!(s.fake.count(), 2);
}

#[tokio::test]
async fn refresh_rotates_the_session() {
    let s = setup().await;
    let tokens = s.adapter.refresh(&OAuthApp::default(), &s.creds).await.unwrap();
    assert_ne!(tokens.access_token, s.creds.access_token);
    let new_refresh = tokens.refresh_token.clone().unwrap();
    assert_ne!(Some(&new_refresh), s.creds.refresh_token.as_ref());
    assert!(tokens.expires_at.unwrap() > Utc::now() + chrono::Duration::minutes(100));
    let refreshed =
        Credentials { access_token: tokens.access_token, refresh_token: Some(new_refresh), ..s.creds.clone() };
    s.adapter.publish(&refreshed, &request("after refresh", "after-refresh")).await.unwrap();

    // The spent refresh token is refused: the user must sign in again.
    let err = s.adapter.refresh(&OAuthApp::default(), &s.creds).await.unwrap_err();
    assert_eq!(err, PlatformError::auth("ExpiredToken: Token has been revoked"));
}

#[tokio::test]
async fn delete_removes_the_record_and_is_safe_to_repeat() {
    let s = setup().await;
    let req = request("short-lived", "variant-delete");
    let published = s.adapter.publish(&s.creds, &req).await.unwrap();
    s.adapter.delete(&s.creds, &published.platform_post_id).await.unwrap();
    assert!(s.fake.record(&published.platform_post_id).is_none());
    assert_eq!(s.adapter.find_published(&s.creds, &req).await.unwrap(), None);
    s.adapter.delete(&s.creds, &published.platform_post_id).await.unwrap();
    let foreign = "at://did:plc:someoneelse/app.bsky.feed.post/3l25zusnsfck2";
    assert!(matches!(s.adapter.delete(&s.creds, foreign).await, Err(PlatformError::Permanent { .. })));
}

#[tokio::test]
async fn metrics_come_from_the_appview_and_a_lone_pds_refuses_them() {
    let s = setup().await;
    let published = s.adapter.publish(&s.creds, &request("count me", "variant-metrics")).await.unwrap();
    s.fake.set_counts(&published.platform_post_id, 7, 2, 3, 1);
    let m = s.adapter.metrics(&s.creds, &published.platform_post_id).await.unwrap();
    assert_eq!((m.likes, m.shares, m.comments), (Some(7), Some(3), Some(3)));

    s.fake.set_lone_pds(true);
    let err = s.adapter.metrics(&s.creds, &published.platform_post_id).await.unwrap_err();
    assert!(matches!(err, PlatformError::Permanent { status: Some(400), .. }), "{err:?}");
}

#[tokio::test]
async fn capabilities_describe_bluesky() {
    let s = setup().await;
    let c = s.adapter.capabilities();
    assert_eq!((c.max_images, c.max_videos, c.mixed_media, c.first_comment), (4, 1, false, true));
    let _: Value = serde_json::to_value(&c).unwrap();
}
