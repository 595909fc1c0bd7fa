//! Instagram and Messenger messaging (direct messages, private replies, comment replies,
//! webhook subscriptions) against the fake Meta server, and the fake's signed webhook deliveries.

use sellcast_fakes::meta::{self, MetaState, Network, WebhookSink};
use sellcast_fakes::FakeServer;
use sellcast_platforms::messaging::meta_dm::{self, AttachmentType, HUMAN_AGENT};
use sellcast_platforms::messaging::{graph_error_code, is_outside_window};
use sellcast_platforms::meta::MetaConfig;
use sellcast_platforms::{HttpClient, Platform, PlatformError, Timeouts};
use sha2::{Digest, Sha256};
use std::time::Duration;

const PAGE: &str = "20001";
const PSID: &str = "7001";
const IGSID: &str = "8001";

struct Dm {
    _server: FakeServer,
    state: MetaState,
    http: HttpClient,
    cfg: MetaConfig,
    token: String,
    ig: String,
}

async fn setup() -> Dm {
    let (server, state) = meta::start().await.unwrap();
    let http = HttpClient::new(Timeouts { connect: Duration::from_secs(2), request: Duration::from_secs(5) }).unwrap();
    Dm {
        cfg: MetaConfig::with_base(&server.url()),
        token: state.page_token(PAGE).unwrap(),
        ig: state.instagram_id().unwrap(),
        _server: server,
        state,
        http,
    }
}

impl Dm {
    async fn text(&self, account: &str, to: &str, text: &str, tag: Option<&str>) -> Result<String, PlatformError> {
        meta_dm::send_text(&self.http, &self.cfg, &self.token, account, to, text, tag)
            .await
            .map(|s| s.platform_message_id)
    }
}

#[tokio::test]
async fn messenger_replies_inside_the_window_and_with_the_human_agent_tag() {
    let dm = setup().await;
    dm.state.messenger_dm(PAGE, PSID, "Do you ship to Porto?");
    let mid = dm.text(PAGE, PSID, "We do!", None).await.unwrap();
    dm.state.advance_clock(chrono::Duration::hours(30));
    let late = dm.text(PAGE, PSID, "Still there?", None).await.unwrap_err();
    assert!(is_outside_window(&late), "{late:?}");
    assert_eq!(graph_error_code(&late), Some((10, Some(2018278))));
    dm.text(PAGE, PSID, "A person here, following up", Some(HUMAN_AGENT)).await.unwrap();
    dm.state.advance_clock(chrono::Duration::days(7));
    let too_late = dm.text(PAGE, PSID, "Hello?", Some(HUMAN_AGENT)).await.unwrap_err();
    assert!(is_outside_window(&too_late), "{too_late:?}");
    let sent = dm.state.dm_sent();
    assert_eq!(sent.len(), 2);
    assert_eq!((sent[0].id.as_str(), sent[0].network), (mid.as_str(), Network::Facebook));
    assert_eq!((sent[0].messaging_type.as_deref(), sent[0].text.as_deref()), (Some("RESPONSE"), Some("We do!")));
    assert_eq!((sent[1].messaging_type.as_deref(), sent[1].tag.as_deref()), (Some("MESSAGE_TAG"), Some(HUMAN_AGENT)));
}

#[tokio::test]
async fn instagram_messages_through_the_page_and_the_account() {
    let dm = setup().await;
    dm.state.instagram_dm(&dm.ig, IGSID, "price?");
    dm.text(PAGE, IGSID, "€20", None).await.unwrap();
    let image = meta_dm::send_attachment(
        &dm.http,
        &dm.cfg,
        &dm.token,
        &dm.ig,
        IGSID,
        AttachmentType::Image,
        "https://media.example/1.jpg",
        None,
    )
    .await
    .unwrap();
    let sent = dm.state.dm_sent();
    assert!(sent.iter().all(|s| s.network == Network::Instagram && s.account_id == dm.ig));
    assert_eq!(sent[1].id, image.platform_message_id);
    assert_eq!(sent[1].attachment, Some(("image".into(), "https://media.example/1.jpg".into())));
    dm.state.advance_clock(chrono::Duration::hours(25));
    let late = dm.text(&dm.ig, IGSID, "hello?", None).await.unwrap_err();
    assert_eq!(graph_error_code(&late), Some((10, Some(2534022))), "{late:?}");
    assert!(is_outside_window(&late) && late.message().contains("Instagram"), "{}", late.message());
}

#[tokio::test]
async fn someone_who_never_wrote_cannot_be_messaged() {
    let dm = setup().await;
    let e = dm.text(PAGE, "9999", "Hi", None).await.unwrap_err();
    assert!(matches!(e, PlatformError::Permanent { .. }) && !is_outside_window(&e), "{e:?}");
    let user_token = dm.state.user_token();
    let e = meta_dm::send_text(&dm.http, &dm.cfg, &user_token, PAGE, PSID, "Hi", None).await.unwrap_err();
    assert!(matches!(e, PlatformError::Auth { .. }), "{e:?}");
    assert!(dm.text("20001/../me", PSID, "Hi", None).await.is_err());
}

#[tokio::test]
async fn comment_replies_public_and_private() {
    let dm = setup().await;
    let (ig_comment, _) = dm.state.instagram_comment(&dm.ig, "17900001", IGSID, "ana.p", "Link please");
    let (fb_comment, _) = dm.state.page_comment(PAGE, "20001_555", PSID, "Ana P", "How much?");
    let user = dm.state.user_token();
    let ig_reply =
        meta_dm::reply_to_comment(&dm.http, &dm.cfg, &user, Platform::Instagram, &ig_comment, "Sent you a DM")
            .await
            .unwrap();
    let fb_reply =
        meta_dm::reply_to_comment(&dm.http, &dm.cfg, &dm.token, Platform::Facebook, &fb_comment, "€20").await.unwrap();
    let replies = dm.state.comment_replies();
    assert_eq!(replies.len(), 2);
    assert_eq!(
        (replies[0].id.as_str(), replies[0].comment_id.as_str()),
        (ig_reply.platform_message_id.as_str(), ig_comment.as_str())
    );
    assert_eq!((replies[1].network, replies[1].text.as_str()), (Network::Facebook, "€20"));
    assert_eq!(replies[1].id, fb_reply.platform_message_id);
    let unsupported = meta_dm::reply_to_comment(&dm.http, &dm.cfg, &user, Platform::X, "1", "x").await;
    assert!(unsupported.is_err());

    meta_dm::private_reply(&dm.http, &dm.cfg, &dm.token, PAGE, &ig_comment, "Here is the link").await.unwrap();
    let twice = meta_dm::private_reply(&dm.http, &dm.cfg, &dm.token, PAGE, &ig_comment, "again").await.unwrap_err();
    assert!(matches!(twice, PlatformError::Permanent { .. }), "{twice:?}");
    dm.state.advance_clock(chrono::Duration::days(8));
    let old = meta_dm::private_reply(&dm.http, &dm.cfg, &dm.token, PAGE, &fb_comment, "late").await.unwrap_err();
    assert!(is_outside_window(&old), "{old:?}");
    let sent = dm.state.dm_sent();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].comment_id.as_deref(), sent[0].network), (Some(ig_comment.as_str()), Network::Instagram));
}

#[tokio::test]
async fn page_webhook_subscription_succeeds_or_reports_the_permission_error() {
    let dm = setup().await;
    meta_dm::subscribe(&dm.http, &dm.cfg, &dm.token, PAGE, &["messages", "feed"]).await.unwrap();
    assert_eq!(dm.state.subscribed_fields(PAGE), Some(vec!["messages".to_string(), "feed".to_string()]));
    let unknown = meta_dm::subscribe(&dm.http, &dm.cfg, &dm.token, PAGE, &["everything"]).await.unwrap_err();
    assert!(matches!(unknown, PlatformError::Permanent { .. }), "{unknown:?}");
    assert!(meta_dm::subscribe(&dm.http, &dm.cfg, &dm.token, PAGE, &["messages&x=1"]).await.is_err());
    dm.state.fail_subscriptions(true);
    let e = meta_dm::subscribe(&dm.http, &dm.cfg, &dm.token, PAGE, &["messages"]).await.unwrap_err();
    assert!(matches!(e, PlatformError::Auth { .. }) && e.message().contains("200"), "{e:?}");
}

/// HMAC-SHA256 written out from RFC 2104, to check the fake's signature independently.
fn hmac_sha256(key: &[u8], body: &[u8]) -> String {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(body).finalize();
    let outer = Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize();
    outer.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn deliver_posts_the_signed_bytes() {
    let dm = setup().await;
    let sink = WebhookSink::start().await.unwrap();
    let (mid, body) = dm.state.instagram_dm(&dm.ig, IGSID, "olá 👋");
    let status = dm.state.deliver(&sink.url(), "s3cret", &body).await;
    assert_eq!(status.as_u16(), 200);
    let got = sink.received();
    assert_eq!(got.len(), 1);
    let sig = got[0].headers["x-hub-signature-256"].to_str().unwrap();
    assert_eq!(sig, format!("sha256={}", hmac_sha256(b"s3cret", &got[0].body)));
    let parsed: serde_json::Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(parsed, body);
    assert_eq!(parsed["entry"][0]["messaging"][0]["message"]["mid"], mid.as_str());
    assert_eq!(got[0].headers["content-type"], "application/json");
    let unreachable = dm.state.deliver("http://127.0.0.1:9/hook", "s3cret", &body).await;
    assert_eq!(unreachable.as_u16(), 502);
}
