//! The Bluesky adapter against a real PDS (@atproto/pds 0.4.217 with a local PLC directory),
//! started by sellcast-testkit from `.ci/pds` (install it with `npm ci --prefix .ci/pds`).
//! This test fails, never skips, when the PDS cannot start.

use chrono::Utc;
use sellcast_platforms::bluesky::{BlueskyAdapter, BlueskyConfig, Role};
use sellcast_platforms::{
    Credentials, HttpClient, MediaItem, MediaKind, OAuthApp, PlatformAdapter, PlatformError, PublishRequest, Timeouts,
};
use sellcast_testkit::pds::{png, Pds};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

fn request(text: &str, key: &str) -> PublishRequest {
    PublishRequest {
        text: text.into(),
        media: vec![],
        first_comment: None,
        options: json!({ "langs": ["en"] }),
        idempotency_key: key.into(),
        first_attempt_at: Utc::now(),
    }
}

fn rkey(uri: &str) -> &str {
    uri.rsplit('/').next().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_publish_read_back_delete_and_refresh_on_a_real_pds() {
    let pds = Pds::start().await.unwrap_or_else(|e| panic!("the Bluesky PDS must start for this test: {e}"));
    let account = pds.create_account("alice.test", "alice@example.com", "main-password-123").await.unwrap();
    let app_password = pds.create_app_password(&account, "sellcast").await.unwrap();

    let http = HttpClient::new(Timeouts { connect: Duration::from_secs(5), request: Duration::from_secs(30) }).unwrap();
    let adapter = BlueskyAdapter::new(http, BlueskyConfig::default());

    // Connect: handle + app password. The main password is not what Sellcast stores.
    let creds: Credentials = adapter.create_session(&pds.url, "alice.test", &app_password).await.unwrap();
    assert_eq!(creds.account_id, account.did);
    assert_eq!(creds.server_url.as_deref(), Some(pds.url.as_str()), "the DID document names this PDS");
    let expires = creds.expires_at.unwrap();
    assert!(expires > Utc::now() + chrono::Duration::minutes(30) && expires < Utc::now() + chrono::Duration::days(1));
    let err = adapter.create_session(&pds.url, "alice.test", "not-the-password").await.unwrap_err();
    assert!(matches!(err, PlatformError::Auth { .. }), "{err:?}");

    let profile = adapter.profile(&creds).await.unwrap();
    assert_eq!((profile.account_id.as_str(), profile.handle.as_str()), (account.did.as_str(), "alice.test"));

    // A text post with a link, a mention and a tag, and its first comment.
    let text = "Hello from Sellcast — https://example.com/launch @alice.test #sellcast";
    let mut text_req = request(text, "pds-text");
    text_req.first_comment = Some("first comment".into());
    let text_post = adapter.publish(&creds, &text_req).await.unwrap();
    assert_eq!(
        rkey(&text_post.platform_post_id),
        sellcast_platforms::bluesky::record_key("pds-text", text_req.first_attempt_at, Role::Post)
    );
    let stored =
        pds.get_record(&account.did, "app.bsky.feed.post", rkey(&text_post.platform_post_id)).await.unwrap().unwrap();
    assert_eq!(stored["value"]["text"], text);
    let facets = stored["value"]["facets"].as_array().unwrap();
    let kinds: Vec<&str> = facets.iter().map(|f| f["features"][0]["$type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["app.bsky.richtext.facet#link", "app.bsky.richtext.facet#mention", "app.bsky.richtext.facet#tag"]
    );
    assert_eq!(facets[1]["features"][0]["did"], account.did.as_str());
    let link_start = facets[0]["index"]["byteStart"].as_u64().unwrap() as usize;
    assert_eq!(&text.as_bytes()[link_start..link_start + 8], b"https://");
    let comment_rkey =
        sellcast_platforms::bluesky::record_key("pds-text", text_req.first_attempt_at, Role::FirstComment);
    let comment = pds.get_record(&account.did, "app.bsky.feed.post", &comment_rkey).await.unwrap().unwrap();
    assert_eq!(comment["value"]["reply"]["parent"]["uri"], text_post.platform_post_id.as_str());

    // The same variant again: the PDS keeps one record per key, the adapter adopts it.
    assert_eq!(adapter.publish(&creds, &text_req).await.unwrap(), text_post);
    assert_eq!(adapter.find_published(&creds, &text_req).await.unwrap(), Some(text_post.clone()));

    // An image post: a real PNG, with alt text and aspect ratio.
    let image = png(6, 4, |x, y| [(x * 40) as u8, (y * 60) as u8, 200]);
    let mut image_req = request("a tiny gradient", "pds-image");
    image_req.media = vec![MediaItem {
        kind: MediaKind::Image,
        mime: "image/png".into(),
        bytes: Arc::new(image.clone()),
        public_url: String::new(),
        width: Some(6),
        height: Some(4),
        alt_text: Some("a six by four gradient".into()),
    }];
    let image_post = adapter.publish(&creds, &image_req).await.unwrap();
    let stored =
        pds.get_record(&account.did, "app.bsky.feed.post", rkey(&image_post.platform_post_id)).await.unwrap().unwrap();
    let embedded = &stored["value"]["embed"]["images"][0];
    assert_eq!(embedded["alt"], "a six by four gradient");
    assert_eq!(embedded["aspectRatio"], json!({ "width": 6, "height": 4 }));
    assert_eq!(embedded["image"]["mimeType"], "image/png");
    assert_eq!(embedded["image"]["size"], image.len());
    let cid = embedded["image"]["ref"]["$link"].as_str().unwrap();
    assert_eq!(pds.get_blob(&account.did, cid).await.unwrap(), image);

    // Metrics need an AppView, which a lone PDS does not have: a clear permanent refusal.
    let err = adapter.metrics(&creds, &image_post.platform_post_id).await.unwrap_err();
    assert!(matches!(err, PlatformError::Permanent { status: Some(400), .. }), "{err:?}");

    // Delete the image post: getRecord then says RecordNotFound, and so does the lookup.
    adapter.delete(&creds, &image_post.platform_post_id).await.unwrap();
    assert!(pds
        .get_record(&account.did, "app.bsky.feed.post", rkey(&image_post.platform_post_id))
        .await
        .unwrap()
        .is_none());
    assert_eq!(adapter.find_published(&creds, &image_req).await.unwrap(), None);

    // Refresh the session, then use the new access token.
    let tokens = adapter.refresh(&OAuthApp::default(), &creds).await.unwrap();
    // Refresh tokens rotate (each has its own id); an access token issued within the same
    // second may be byte-identical, so only the refresh token is compared.
    assert!(tokens.refresh_token.is_some());
    assert_ne!(tokens.refresh_token, creds.refresh_token);
    assert!(tokens.expires_at.unwrap() > Utc::now());
    let refreshed =
        Credentials { access_token: tokens.access_token, refresh_token: tokens.refresh_token, ..creds.clone() };
    let after = adapter.publish(&refreshed, &request("after the refresh", "pds-after-refresh")).await.unwrap();
    assert!(pds.get_record(&account.did, "app.bsky.feed.post", rkey(&after.platform_post_id)).await.unwrap().is_some());

    // A bad token gets the PDS's own InvalidToken answer, classified as an auth failure.
    let bad = Credentials { access_token: "garbage".into(), ..refreshed };
    let err = adapter.publish(&bad, &request("never", "pds-bad-token")).await.unwrap_err();
    assert_eq!(err, PlatformError::auth("InvalidToken: Token could not be verified"));
}
