//! The WhatsApp Cloud API client against the fake Meta server: the connect check, the 24-hour
//! window, templates, throughput limits, media, webhook subscription and status deliveries.

use sellcast_fakes::meta::{self, MetaState, WebhookSink};
use sellcast_fakes::{FakeServer, Fault};
use sellcast_platforms::messaging::whatsapp::{self, MediaType, OutgoingWhatsApp};
use sellcast_platforms::messaging::{graph_error_code, is_outside_window};
use sellcast_platforms::meta::MetaConfig;
use sellcast_platforms::{HttpClient, PlatformError, Timeouts};
use serde_json::{json, Value};
use std::time::Duration;

const CUSTOMER: &str = "15551230001";

struct Wa {
    server: FakeServer,
    state: MetaState,
    http: HttpClient,
    cfg: MetaConfig,
    token: String,
    phone: String,
    waba: String,
}

async fn setup() -> Wa {
    let (server, state) = meta::start().await.unwrap();
    let http = HttpClient::new(Timeouts { connect: Duration::from_secs(2), request: Duration::from_secs(5) }).unwrap();
    Wa {
        cfg: MetaConfig::with_base(&server.url()),
        token: state.whatsapp_token(),
        phone: state.whatsapp_phone_number_id(),
        waba: state.whatsapp_waba_id(),
        server,
        state,
        http,
    }
}

impl Wa {
    async fn send(&self, msg: &OutgoingWhatsApp) -> Result<String, PlatformError> {
        whatsapp::send(&self.http, &self.cfg, &self.token, &self.phone, msg).await.map(|s| s.platform_message_id)
    }

    fn customer_writes(&self, text: &str) -> String {
        self.state.whatsapp_text(&self.phone, &self.waba, CUSTOMER, "Ana", text).0
    }
}

fn text(body: &str) -> OutgoingWhatsApp {
    OutgoingWhatsApp::Text { to: CUSTOMER.into(), body: body.into(), reply_to: None }
}

fn template(name: &str, components: Value) -> OutgoingWhatsApp {
    OutgoingWhatsApp::Template { to: CUSTOMER.into(), name: name.into(), language: "en_US".into(), components }
}

#[tokio::test]
async fn connect_check_accepts_the_account_token_only() {
    let wa = setup().await;
    let number = whatsapp::phone_number(&wa.http, &wa.cfg, &wa.token, &wa.phone).await.unwrap();
    assert_eq!((number.id.as_str(), number.verified_name.as_str()), (wa.phone.as_str(), "Sellcast Shop"));
    assert_eq!(number.display_phone_number, "+1 555-010-0001");
    assert_eq!(number.quality_rating.as_deref(), Some("GREEN"));
    let bad = whatsapp::phone_number(&wa.http, &wa.cfg, "EAAnope", &wa.phone).await.unwrap_err();
    assert!(matches!(bad, PlatformError::Auth { .. }), "{bad:?}");
    let page_token = wa.state.page_token("20001").unwrap();
    let other = whatsapp::phone_number(&wa.http, &wa.cfg, &page_token, &wa.phone).await.unwrap_err();
    assert!(matches!(other, PlatformError::Permanent { .. }), "{other:?}");
    assert!(whatsapp::phone_number(&wa.http, &wa.cfg, &wa.token, "50001/../me").await.is_err());
}

#[tokio::test]
async fn text_inside_the_window_after_the_customer_wrote() {
    let wa = setup().await;
    let inbound = wa.customer_writes("Is the blue one in stock?");
    let reply = OutgoingWhatsApp::Text { to: CUSTOMER.into(), body: "Yes!".into(), reply_to: Some(inbound.clone()) };
    let wamid = wa.send(&reply).await.unwrap();
    assert!(wamid.starts_with("wamid."), "{wamid}");
    let image = OutgoingWhatsApp::Media {
        to: CUSTOMER.into(),
        kind: MediaType::Image,
        link: "https://media.example/blue.jpg".into(),
        caption: Some("The blue one".into()),
        filename: None,
    };
    wa.send(&image).await.unwrap();
    let sent = wa.state.whatsapp_sent();
    assert_eq!(sent.len(), 2);
    assert_eq!((sent[0].id.as_str(), sent[0].to.as_str(), sent[0].kind.as_str()), (wamid.as_str(), CUSTOMER, "text"));
    assert_eq!((sent[0].body.as_deref(), sent[0].reply_to.as_deref()), (Some("Yes!"), Some(inbound.as_str())));
    assert_eq!(sent[0].request["recipient_type"], "individual");
    assert_eq!((sent[1].kind.as_str(), sent[1].body.as_deref()), ("image", Some("The blue one")));
}

#[tokio::test]
async fn free_form_outside_the_window_is_refused_with_131047() {
    let wa = setup().await;
    let never = wa.send(&text("Hello?")).await.unwrap_err();
    assert!(is_outside_window(&never), "{never:?}");
    assert!(matches!(never, PlatformError::Permanent { status: Some(400), .. }));
    assert_eq!(graph_error_code(&never), Some((131047, None)));
    wa.customer_writes("Hi");
    wa.state.advance_clock(chrono::Duration::hours(25));
    let late = wa.send(&text("Sorry for the wait")).await.unwrap_err();
    assert!(is_outside_window(&late) && late.message().contains("24 hours"), "{}", late.message());
    assert!(wa.state.whatsapp_sent().is_empty());
}

#[tokio::test]
async fn approved_templates_go_out_anytime_others_are_refused() {
    let wa = setup().await;
    let params = json!([{"type": "body", "parameters": [{"type": "text", "text": "#1042"}]}]);
    let wamid = wa.send(&template("order_update", params.clone())).await.unwrap();
    wa.send(&template("hello_world", Value::Null)).await.unwrap();
    let sent = wa.state.whatsapp_sent();
    assert_eq!(sent[0].id, wamid);
    assert_eq!(sent[0].template, Some(("order_update".into(), "en_US".into())));
    assert_eq!(sent[0].request["template"]["components"], params);
    let rejected = wa.send(&template("big_sale", params.clone())).await.unwrap_err();
    assert_eq!(graph_error_code(&rejected), Some((132001, None)), "{rejected:?}");
    assert!(matches!(rejected, PlatformError::Permanent { .. }) && !is_outside_window(&rejected));
    let unknown = wa.send(&template("nope", Value::Null)).await.unwrap_err();
    assert_eq!(graph_error_code(&unknown), Some((132001, None)));
    let missing_param = wa.send(&template("order_update", Value::Null)).await.unwrap_err();
    assert_eq!(graph_error_code(&missing_param), Some((132000, None)), "{missing_param:?}");
}

#[tokio::test]
async fn throughput_limit_is_a_retryable_rate_limit() {
    let wa = setup().await;
    wa.state.set_whatsapp_send_budget(Some(1));
    wa.send(&template("hello_world", Value::Null)).await.unwrap();
    let limited = wa.send(&template("hello_world", Value::Null)).await.unwrap_err();
    assert!(matches!(limited, PlatformError::RateLimited { .. }), "{limited:?}");
    assert_eq!(graph_error_code(&limited), Some((130429, None)));
    assert_eq!(wa.state.whatsapp_sent().len(), 1);
    wa.state.set_whatsapp_send_budget(None);
    // With a usage header, the wait is known.
    let body = json!({"error": {"message": "(#131056) (Business Account, Consumer Account) pair rate limit hit",
        "type": "OAuthException", "code": 131056, "fbtrace_id": "T"}});
    let usage = r#"{"40001":[{"type":"whatsapp","call_count":100,"estimated_time_to_regain_access":2}]}"#;
    let headers = vec![("x-business-use-case-usage".to_string(), usage.to_string())];
    wa.server.faults.push(Some("POST"), "/messages", Fault::Respond { status: 400, headers, body });
    let pair = wa.send(&template("hello_world", Value::Null)).await.unwrap_err();
    let wait = pair.wait_hint(chrono::Utc::now()).unwrap();
    assert!(wait > Duration::from_secs(60) && wait <= Duration::from_secs(120), "{wait:?}");
}

#[tokio::test]
async fn media_url_then_download_within_a_size_limit() {
    let wa = setup().await;
    let bytes: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let media_id = wa.state.add_whatsapp_media(bytes.clone(), "image/jpeg");
    let info = whatsapp::media_url(&wa.http, &wa.cfg, &wa.token, &media_id).await.unwrap();
    assert_eq!((info.mime_type.as_str(), info.file_size), ("image/jpeg", Some(5000)));
    let sha = info.sha256.clone().unwrap();
    assert_eq!(sha.len(), 64);
    let got = whatsapp::download(&wa.http, &wa.token, &info.url, 10_000).await.unwrap();
    assert_eq!(got, bytes);
    let too_big = whatsapp::download(&wa.http, &wa.token, &info.url, 4999).await.unwrap_err();
    assert!(matches!(too_big, PlatformError::Permanent { .. }) && too_big.message().contains("4999"), "{too_big:?}");
    let no_token = whatsapp::download(&wa.http, "EAAnope", &info.url, 10_000).await.unwrap_err();
    assert!(matches!(no_token, PlatformError::Auth { .. }), "{no_token:?}");
    let gone = whatsapp::media_url(&wa.http, &wa.cfg, &wa.token, "999").await.unwrap_err();
    assert!(matches!(gone, PlatformError::Permanent { .. }), "{gone:?}");
}

#[tokio::test]
async fn templates_are_listed_across_pages() {
    let wa = setup().await;
    for i in 0..150 {
        wa.state.add_whatsapp_template(&wa.waba, &format!("promo_{i:03}"), "pt_BR", "PENDING", "Oi {{1}}");
    }
    let all = whatsapp::templates(&wa.http, &wa.cfg, &wa.token, &wa.waba).await.unwrap();
    assert_eq!(all.len(), 153);
    let order = all.iter().find(|t| t.name == "order_update").unwrap();
    assert_eq!(
        (order.language.as_str(), order.category.as_str(), order.status.as_str()),
        ("en_US", "UTILITY", "APPROVED")
    );
    assert_eq!(order.components[0]["type"], "BODY");
    assert!(all.iter().any(|t| t.name == "big_sale" && t.status == "REJECTED"));
    assert_eq!(all.last().unwrap().name, "promo_149");
}

#[tokio::test]
async fn subscribing_the_app_to_the_account() {
    let wa = setup().await;
    whatsapp::subscribe_app(&wa.http, &wa.cfg, &wa.token, &wa.waba).await.unwrap();
    assert_eq!(wa.state.subscribed_fields(&wa.waba), Some(vec![]));
    wa.state.fail_subscriptions(true);
    let e = whatsapp::subscribe_app(&wa.http, &wa.cfg, &wa.token, &wa.waba).await.unwrap_err();
    assert!(matches!(e, PlatformError::Auth { .. }), "{e:?}");
}

#[tokio::test]
async fn accepted_sends_get_sent_delivered_read_webhooks_in_order() {
    let wa = setup().await;
    let sink = WebhookSink::start().await.unwrap();
    wa.state.auto_statuses(&sink.url(), "app-secret");
    let wamid = wa.send(&template("hello_world", Value::Null)).await.unwrap();
    let got = sink.wait_for(3, Duration::from_secs(5)).await;
    let statuses: Vec<String> = got
        .iter()
        .map(|r| {
            let v: Value = serde_json::from_slice(&r.body).unwrap();
            let s = &v["entry"][0]["changes"][0]["value"]["statuses"][0];
            assert_eq!((s["id"].as_str(), s["recipient_id"].as_str()), (Some(wamid.as_str()), Some(CUSTOMER)));
            let sig = r.headers["x-hub-signature-256"].to_str().unwrap();
            assert_eq!(sig, meta::signature("app-secret", &r.body));
            s["status"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(statuses, ["sent", "delivered", "read"]);
}
