//! The inbox in real time over the WebSocket: the same events as the event stream (with
//! replay), bearer or cookie + same-origin authentication, typing indicators between teammates
//! in one conversation, and on PostgreSQL a message received by one process reaching a socket
//! on another.

use super::{wait_conversations, APP_SECRET};
use crate::common::tenancy::org;
use crate::common::{on_both_backends, Account, Backend, TestServer};
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn ws_url(srv: &TestServer, org_id: &str) -> String {
    format!("{}/api/v1/orgs/{org_id}/ws", srv.base.replacen("http://", "ws://", 1))
}

/// Open the org's socket with these extra headers; the handshake's HTTP status on refusal.
async fn open(srv: &TestServer, org_id: &str, headers: &[(&str, &str)]) -> Result<Socket, u16> {
    let mut req = ws_url(srv, org_id).into_client_request().expect("request");
    for (k, v) in headers {
        req.headers_mut().insert(
            tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
            v.parse().expect("value"),
        );
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
        Err(e) => panic!("websocket: {e}"),
    }
}

async fn bearer(srv: &TestServer, who: &Account) -> Socket {
    let auth = format!("Bearer {}", who.token);
    open(srv, &who.org_id, &[("authorization", &auth)]).await.expect("socket opens")
}

/// The next JSON frame whose `event` satisfies `want` (others skipped), within 10 s.
async fn next_where(ws: &mut Socket, want: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next()).await.expect("a frame in time");
        let Some(Ok(Message::Text(t))) = msg else { continue };
        let v: Value = serde_json::from_str(t.as_str()).expect("JSON frame");
        if want(&v) {
            return v;
        }
    }
}

async fn send(ws: &mut Socket, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.expect("send");
}

async fn sockets_carry_events_and_typing(b: Backend) {
    let srv = super::start(b, |_| {}).await;
    let owner = srv.register("owner@ws.test").await;
    let editor = srv.add_member(&owner, "editor@ws.test", "editor").await;
    let worker = sellcast_app::jobs::worker(&srv.app).start();
    let ch = crate::publishing::sandbox_channel(&srv, &owner, "Shop").await;
    let receive = org(&owner.org_id, &format!("/channels/{}/sandbox/receive", ch["id"].as_str().unwrap_or_default()));

    let mut a = bearer(&srv, &owner).await;
    srv.post(&receive, Some(&owner.token), json!({"kind": "direct", "from_name": "Hoa", "text": "Xin chào"}))
        .await
        .expect(StatusCode::ACCEPTED, None);
    let created = next_where(&mut a, |v| v["event"] == "message.created").await;
    assert_eq!(created["data"]["message"]["text"], "Xin chào");
    let first_id = created["id"].as_i64().expect("an event id");
    let conversation_id = created["data"]["conversation_id"].as_str().unwrap_or_default().to_string();

    // Replay: a socket opened after the first event gets what followed it.
    let auth = format!("Bearer {}", owner.token);
    let mut late = open(&srv, &owner.org_id, &[("authorization", &auth), ("last-event-id", &first_id.to_string())])
        .await
        .expect("socket opens");
    let replayed = next_where(&mut late, |v| v["event"] == "conversation.updated").await;
    assert!(replayed["id"].as_i64().unwrap_or(0) > first_id);

    // Typing: the editor sees the owner typing in the conversation both joined; not the owner.
    let mut e = bearer(&srv, &editor).await;
    send(&mut a, json!({"type": "join", "conversation_id": conversation_id})).await;
    next_where(&mut a, |v| v["event"] == "joined").await;
    send(&mut e, json!({"type": "join", "conversation_id": conversation_id})).await;
    next_where(&mut e, |v| v["event"] == "joined").await;
    send(&mut a, json!({"type": "typing", "typing": true})).await;
    let t = next_where(&mut e, |v| v["event"] == "typing").await;
    assert_eq!(t["data"]["user_id"], owner.user_id.as_str());
    assert_eq!(t["data"]["typing"], true);
    // Bad commands get an error frame; the socket stays.
    send(&mut e, json!({"type": "join", "conversation_id": "01890000-0000-7000-8000-000000000000"})).await;
    let err = next_where(&mut e, |v| v["event"] == "error").await;
    assert!(err["data"]["message"].is_string());
    send(&mut e, json!({"type": "dance"})).await;
    next_where(&mut e, |v| v["event"] == "error").await;

    // The session cookie works from this site only; no credentials, nothing.
    let mut browser = crate::common::web::Browser::new(&srv);
    browser.sign_in(&owner.email, &owner.password).await;
    let cookie = browser.cookie_header();
    let own_origin = srv.base.clone();
    assert!(open(&srv, &owner.org_id, &[("cookie", &cookie), ("origin", &own_origin)]).await.is_ok());
    assert_eq!(
        open(&srv, &owner.org_id, &[("cookie", &cookie), ("origin", "https://evil.example")]).await.err(),
        Some(403)
    );
    assert_eq!(open(&srv, &owner.org_id, &[("cookie", &cookie)]).await.err(), Some(403));
    assert_eq!(open(&srv, &owner.org_id, &[]).await.err(), Some(401));
    let other = srv.register("stranger@ws.test").await;
    let auth = format!("Bearer {}", other.token);
    assert_eq!(open(&srv, &owner.org_id, &[("authorization", &auth)]).await.err(), Some(404));
    worker.shutdown().await;
    srv.stop().await;
}

async fn postgres_sockets_hear_other_processes() {
    let first = super::start(Backend::Postgres, |c| c.meta_app_secret = Some(APP_SECRET.into())).await;
    let url = first.app.config.database_url.clone().expect("a PostgreSQL URL");
    let dir = first.data_dir().to_path_buf();
    let second = super::start(Backend::Postgres, |c| {
        c.database_url = Some(url);
        c.data_dir = dir;
        c.meta_app_secret = Some(APP_SECRET.into());
    })
    .await;
    let owner = first.register("owner@ws-two.test").await;
    let worker = sellcast_app::jobs::worker(&first.app).start();
    super::insert_channel(&first, &owner, "facebook", "7007", "page-token").await;
    let mut on_second = bearer(&second, &owner).await;
    // The webhook lands on the first process; the socket is on the second.
    let body = super::page_delivery(
        "7007",
        vec![json!({"sender": {"id": "psid-9"}, "recipient": {"id": "7007"}, "timestamp": 1_733_000_000_000i64,
                     "message": {"mid": "m.two", "text": "Across processes"}})],
    );
    super::post_webhook(&first, &body, Some(&super::sign(&body))).await.expect(StatusCode::OK, None);
    let e = next_where(&mut on_second, |v| v["event"] == "message.created").await;
    assert_eq!(e["data"]["message"]["text"], "Across processes");
    assert_eq!(wait_conversations(&second, &owner, 1).await.len(), 1);
    worker.shutdown().await;
    second.stop().await;
    first.stop().await;
}

on_both_backends!(sockets_carry_events_and_typing);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_processes() {
    postgres_sockets_hear_other_processes().await
}
