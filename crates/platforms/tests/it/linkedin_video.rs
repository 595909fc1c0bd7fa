//! LinkedIn video posts against the fake LinkedIn's Videos API (crates/fakes/src/linkedin/videos.rs):
//! the multi-part upload, processing, and the post that references the video.

use chrono::Utc;
use sellcast_fakes::linkedin::{self as fake, LinkedinState, VideoProcessing};
use sellcast_fakes::{FakeServer, Fault};
use sellcast_platforms::linkedin::{LinkedinAdapter, LinkedinConfig, VideoPolling};
use sellcast_platforms::{
    Credentials, HttpClient, MediaItem, MediaKind, PlatformAdapter, PlatformError, PublishRequest, Timeouts,
};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const FAST: VideoPolling = VideoPolling { interval: Duration::from_millis(5), max_polls: 10 };
/// Small parts so a 100 KB video is uploaded in four.
const PART: u64 = 32 * 1024;

struct Setup {
    server: FakeServer,
    state: LinkedinState,
    li: LinkedinAdapter,
    creds: Credentials,
}

async fn setup() -> Setup {
    let (server, state) = fake::start().await;
    let config = LinkedinConfig {
        api_url: server.url(),
        oauth_url: format!("{}/oauth/v2", server.url()),
        version: "202411".into(),
    };
    let li = LinkedinAdapter::new(HttpClient::new(Timeouts::default()).unwrap(), config).with_video_polling(FAST);
    state.set_video_part_bytes(PART);
    let creds = Credentials {
        access_token: state.issue_token(fake::MEMBER_SUB),
        account_id: LinkedinState::member_urn(),
        ..Credentials::default()
    };
    Setup { server, state, li, creds }
}

fn request(text: &str, media: Vec<MediaItem>) -> PublishRequest {
    PublishRequest {
        text: text.into(),
        media,
        first_comment: None,
        options: json!({}),
        idempotency_key: "variant-1".into(),
        first_attempt_at: Utc::now(),
    }
}

/// An MP4 of `len` bytes whose parts all differ, so a part out of place would show.
fn video(len: usize) -> MediaItem {
    MediaItem {
        kind: MediaKind::Video,
        mime: "video/mp4".into(),
        bytes: Arc::new((0..len).map(|i| (i % 251) as u8).collect()),
        public_url: "https://media.example/clip.mp4".into(),
        width: Some(1280),
        height: Some(720),
        alt_text: None,
    }
}

fn image() -> MediaItem {
    MediaItem {
        kind: MediaKind::Image,
        mime: "image/png".into(),
        bytes: Arc::new(vec![1u8; 1500]),
        public_url: "https://media.example/1.png".into(),
        width: Some(10),
        height: Some(10),
        alt_text: None,
    }
}

#[tokio::test]
async fn a_video_is_uploaded_in_parts_and_the_post_references_it() {
    let s = setup().await;
    let caps = s.li.capabilities();
    assert_eq!((caps.max_images, caps.max_videos, caps.mixed_media), (20, 1, false));

    let clip = MediaItem { alt_text: Some("not sent: videos take no alt text".into()), ..video(100_000) };
    let mut req = request("Our launch (in 60 seconds)", vec![clip.clone()]);
    req.options = json!({ "title": "Launch demo" });
    let published = s.li.publish(&s.creds, &req).await.unwrap();

    let videos = s.state.videos();
    assert_eq!(videos.len(), 1);
    let v = &videos[0];
    assert_eq!(v.parts, 4, "100,000 bytes in 32 KiB parts");
    assert_eq!(v.file_size, 100_000);
    assert!(v.bytes == *clip.bytes, "the parts arrived intact and in order");
    assert_eq!(v.status, "AVAILABLE");
    assert_eq!(v.owner, LinkedinState::member_urn());

    let posts = s.state.posts();
    assert_eq!(posts.len(), 1);
    let post = &posts[0];
    assert_eq!(published.platform_post_id, post.urn);
    assert_eq!(post.video_id.as_deref(), Some(v.urn.as_str()));
    assert!(post.image_ids.is_empty());
    assert_eq!(post.body["content"], json!({ "media": { "id": v.urn, "title": "Launch demo" } }));
}

#[tokio::test]
async fn a_one_part_upload_has_an_empty_token() {
    let s = setup().await;
    s.state.set_video_part_bytes(fake::DEFAULT_PART_BYTES);
    s.li.publish(&s.creds, &request("short clip", vec![video(80_000)])).await.unwrap();
    let v = &s.state.videos()[0];
    assert_eq!((v.parts, v.bytes.len()), (1, 80_000));
    assert_eq!(s.state.posts()[0].body["content"], json!({ "media": { "id": v.urn } }), "no title without one");
}

#[tokio::test]
async fn processing_is_waited_for_within_a_bound() {
    let s = setup().await;
    s.state.set_video_processing(VideoProcessing::Available { processing_polls: 3 });
    s.li.publish(&s.creds, &request("processed after three checks", vec![video(90_000)])).await.unwrap();
    assert_eq!(s.state.videos()[0].status_reads, 4, "three PROCESSING answers, then AVAILABLE");
    assert_eq!(s.state.count(), 1);

    // Longer than the adapter waits: retryable, and nothing is posted.
    s.state.set_video_processing(VideoProcessing::Available { processing_polls: 50 });
    let err = s.li.publish(&s.creds, &request("still processing", vec![video(90_000)])).await.unwrap_err();
    assert_eq!(err, PlatformError::retryable("LinkedIn was still processing the video after 10 checks"));
    let slow = &s.state.videos()[1];
    assert_eq!((slow.status, slow.status_reads), ("PROCESSING", 10));
    assert_eq!(s.state.count(), 1);
}

#[tokio::test]
async fn processing_failure_is_permanent() {
    let s = setup().await;
    let reason = "Video duration is shorter than the minimum of 3 seconds";
    s.state.set_video_processing(VideoProcessing::Fails { reason: reason.into() });
    let err = s.li.publish(&s.creds, &request("broken clip", vec![video(90_000)])).await.unwrap_err();
    assert_eq!(
        err,
        PlatformError::permanent(None, format!("LinkedIn could not process the video (PROCESSING_FAILED: {reason})"))
    );
    assert_eq!(s.state.videos()[0].status, "PROCESSING_FAILED");
    assert_eq!(s.state.count(), 0);
}

#[tokio::test]
async fn refused_before_anything_is_uploaded() {
    let s = setup().await;
    let mov = MediaItem { mime: "video/quicktime".into(), ..video(90_000) };
    let cases = [
        (vec![video(90_000), image()], "a LinkedIn post carries one video, alone: no images or second video with it"),
        (vec![image(), video(90_000)], "a LinkedIn post carries one video, alone: no images or second video with it"),
        (
            vec![video(90_000), video(90_000)],
            "a LinkedIn post carries one video, alone: no images or second video with it",
        ),
        (vec![mov], "LinkedIn takes MP4 videos, not video/quicktime"),
        (vec![video(1_000)], "LinkedIn takes videos of 75 KB to 500 MB; this one is 1000 bytes"),
    ];
    for (media, message) in cases {
        let err = s.li.publish(&s.creds, &request("refused", media)).await.unwrap_err();
        assert_eq!(err, PlatformError::permanent(None, message));
    }
    assert!(s.state.videos().is_empty());
    assert_eq!(s.state.count(), 0);
}

#[tokio::test]
async fn a_failed_part_is_retryable_and_posts_nothing() {
    let s = setup().await;
    let failed = json!({ "status": 503, "message": "Service Unavailable" });
    s.server.faults.push(Some("PUT"), "/uploadedVideo", Fault::Respond { status: 503, headers: vec![], body: failed });
    let err = s.li.publish(&s.creds, &request("interrupted", vec![video(100_000)])).await.unwrap_err();
    assert!(matches!(err, PlatformError::Retryable { .. }), "{err:?}");
    assert_eq!(s.state.videos()[0].status, "WAITING_UPLOAD", "never finalized");
    assert_eq!(s.state.count(), 0);
    // The next attempt starts a fresh upload and succeeds.
    s.li.publish(&s.creds, &request("interrupted", vec![video(100_000)])).await.unwrap();
    assert_eq!(s.state.videos().len(), 2);
    assert_eq!(s.state.count(), 1);
}

/// A raw client for the fake: what LinkedIn answers to requests the adapter never sends.
struct Raw {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Raw {
    fn rest(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        req.bearer_auth(&self.token).header("LinkedIn-Version", "202411").header("X-Restli-Protocol-Version", "2.0.0")
    }

    async fn action(&self, action: &str, body: Value) -> (u16, Value) {
        let url = format!("{}/rest/videos?action={action}", self.base);
        let resp = self.rest(self.http.post(url)).json(&body).send().await.unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
    }

    async fn put(&self, url: &str, content_type: &str, bytes: &[u8]) -> (u16, Option<String>) {
        let resp = self.http.put(url).header("Content-Type", content_type).body(bytes.to_vec()).send().await.unwrap();
        let etag = resp.headers().get("etag").map(|e| e.to_str().unwrap().to_string());
        (resp.status().as_u16(), etag)
    }

    async fn post_with_video(&self, urn: &str, text: &str) -> (u16, Value) {
        let body = json!({
            "author": LinkedinState::member_urn(), "commentary": text, "visibility": "PUBLIC",
            "distribution": { "feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": [] },
            "lifecycleState": "PUBLISHED", "content": { "media": { "id": urn } },
        });
        let resp = self.rest(self.http.post(format!("{}/rest/posts", self.base))).json(&body).send().await.unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
    }
}

fn message(body: &Value) -> &str {
    body["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn the_fake_enforces_the_videos_api_shape() {
    let s = setup().await;
    let raw = Raw { http: reqwest::Client::new(), base: s.server.url(), token: s.creds.access_token.clone() };
    let member = LinkedinState::member_urn();

    // The protocol header is required, as on every /rest call.
    let resp = raw
        .http
        .post(format!("{}/rest/videos?action=initializeUpload", raw.base))
        .bearer_auth(&raw.token)
        .header("LinkedIn-Version", "202411")
        .json(&json!({ "initializeUploadRequest": { "owner": member, "fileSizeBytes": 100_000 } }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let (status, body) =
        raw.action("initializeUpload", json!({ "initializeUploadRequest": { "owner": member } })).await;
    assert_eq!(status, 422);
    assert!(message(&body).contains("/initializeUploadRequest/fileSizeBytes :: field is required"), "{body}");

    let file: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let init = json!({ "initializeUploadRequest": {
        "owner": member, "fileSizeBytes": file.len(), "uploadCaptions": false, "uploadThumbnail": false } });
    let (status, body) = raw.action("initializeUpload", init).await;
    assert_eq!(status, 200, "{body}");
    let urn = body["value"]["video"].as_str().unwrap().to_string();
    let token = body["value"]["uploadToken"].as_str().unwrap().to_string();
    let parts = body["value"]["uploadInstructions"].as_array().unwrap().clone();
    assert_eq!(parts.len(), 4);
    assert!(!token.is_empty(), "a multi-part upload has a token");

    let range = |p: &Value| p["firstByte"].as_u64().unwrap() as usize..=p["lastByte"].as_u64().unwrap() as usize;
    let url = |p: &Value| p["uploadUrl"].as_str().unwrap().to_string();
    assert_eq!(raw.put(&url(&parts[0]), "video/mp4", &file[range(&parts[0])]).await.0, 400, "octet-stream only");
    assert_eq!(raw.put(&url(&parts[0]), "application/octet-stream", &file[..10]).await.0, 400, "the whole part");
    let mut etags = Vec::new();
    for p in &parts {
        let (status, etag) = raw.put(&url(p), "application/octet-stream", &file[range(p)]).await;
        assert_eq!(status, 200);
        etags.push(etag.expect("each part answers an ETag"));
    }

    // Not finalized yet: a post cannot use it.
    let (status, body) = raw.post_with_video(&urn, "too early").await;
    assert_eq!(status, 422);
    assert!(message(&body).contains("is not an available video of the author"), "{body}");

    let finalize = |token: &str, ids: &[String]| json!({ "finalizeUploadRequest": { "video": urn, "uploadToken": token, "uploadedPartIds": ids } });
    let mut swapped = etags.clone();
    swapped.swap(1, 2);
    let (status, body) = raw.action("finalizeUpload", finalize(&token, &swapped)).await;
    assert_eq!(status, 422);
    assert!(message(&body).contains("do not match the uploaded parts"), "{body}");
    let (status, body) = raw.action("finalizeUpload", finalize("wrong-token", &etags)).await;
    assert_eq!(status, 422);
    assert!(message(&body).contains("/finalizeUploadRequest/uploadToken"), "{body}");
    let (status, _) = raw.action("finalizeUpload", finalize(&token, &etags)).await;
    assert_eq!(status, 200);
    assert_eq!(raw.action("finalizeUpload", finalize(&token, &etags)).await.0, 422, "finalized once");

    let encoded: String = url::form_urlencoded::byte_serialize(urn.as_bytes()).collect();
    let got = raw.rest(raw.http.get(format!("{}/rest/videos/{encoded}", raw.base))).send().await.unwrap();
    let got: Value = got.json().await.unwrap();
    assert_eq!((got["id"].as_str(), got["status"].as_str()), (Some(urn.as_str()), Some("AVAILABLE")));
    assert_eq!(raw.post_with_video(&urn, "now it works").await.0, 201);
    assert!(s.state.videos()[0].bytes == file);
}
