//! The webhook's promise, tested against the real binary: a 200 from `POST /webhooks/meta`
//! means the delivery is stored, so it survives a `kill -9`. A flood of signed Messenger
//! deliveries, the server killed with SIGKILL about a third of the way in, a restart on the
//! same database: every acknowledged message is in the inbox, none twice. SQLite and
//! PostgreSQL alike.

use crate::support::*;
use futures_util::StreamExt;
use sellcast_store::{Conn, Db, DbOptions};
use serde_json::json;
use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const APP_SECRET: &str = "durability-meta-app-secret";
const PAGE_ID: &str = "424242";
/// Deliveries sent, one message each.
const DELIVERIES: usize = 3_000;
/// Requests in flight at once.
const CONCURRENCY: usize = 64;
/// How long the whole flood, and the processing after the restart, may take on a slow machine.
const PATIENCE: Duration = Duration::from_secs(120);

/// What became of one delivery.
enum Sent {
    Acknowledged,
    /// An HTTP answer other than 200.
    Refused(u16),
    /// No answer: the server died under it (or before it was sent).
    Failed,
}

/// One Messenger delivery of one customer message, `mid` its id.
fn delivery(i: usize, mid: &str) -> Vec<u8> {
    let t = 1_733_000_000_000i64 + i as i64;
    serde_json::to_vec(&json!({"object": "page", "entry": [{"id": PAGE_ID, "time": t, "messaging": [
        {"sender": {"id": format!("psid-{}", i % 97)}, "recipient": {"id": PAGE_ID}, "timestamp": t,
         "message": {"mid": mid, "text": format!("Is item {i} still available?")}}
    ]}]}))
    .expect("json")
}

/// The `facebook` channel of `org` for the Page, written straight into the database (the API
/// reaches this state only through OAuth). The credentials are never opened by ingest.
async fn insert_channel(db: &Db, org: &str) -> String {
    let now = chrono::Utc::now();
    let id = sellcast_domain::ids::new_id();
    let row = sellcast_store::channels::ChannelRow {
        id: id.clone(),
        org_id: org.into(),
        client_id: None,
        platform: "facebook".into(),
        account_id: PAGE_ID.into(),
        server_url: String::new(),
        handle: format!("facebook-{PAGE_ID}"),
        display_name: None,
        avatar_url: None,
        profile_url: None,
        status: sellcast_domain::ChannelStatus::Active,
        credentials: "not-opened-by-ingest".into(),
        key_id: "k1".into(),
        token_expires_at: None,
        token_issued_at: Some(now),
        last_refresh_at: None,
        last_error: None,
        connected_by: None,
        created_at: now,
        updated_at: now,
    };
    let mut tx = db.begin().await.expect("tx");
    sellcast_store::channels::insert(tx.conn(), &row).await.expect("insert channel");
    tx.commit().await.expect("commit");
    id
}

/// The text column of every row `sql` selects with `bind` as its one parameter.
async fn texts(db: &Db, sql: &str, bind: &str) -> Result<Vec<String>, String> {
    let mut c = db.read().await.map_err(|e| e.to_string())?;
    match c.conn() {
        Conn::Sqlite(c) => sqlx::query_scalar::<_, String>(sql).bind(bind).fetch_all(c).await,
        Conn::Pg(c) => sqlx::query_scalar::<_, String>(sql).bind(bind).fetch_all(c).await,
    }
    .map_err(|e| format!("{sql}: {e}"))
}

/// The count `sql` (no parameters) selects.
async fn count(db: &Db, sql: &str) -> Result<i64, String> {
    let mut c = db.read().await.map_err(|e| e.to_string())?;
    match c.conn() {
        Conn::Sqlite(c) => sqlx::query_scalar::<_, i64>(sql).fetch_one(c).await,
        Conn::Pg(c) => sqlx::query_scalar::<_, i64>(sql).fetch_one(c).await,
    }
    .map_err(|e| format!("{sql}: {e}"))
}

/// What the database holds of the flood.
struct Stored {
    /// Every message of the channel, by platform id (repeats kept).
    messages: Vec<String>,
    events: i64,
    pending: i64,
    dead: i64,
}

async fn stored(db: &Db, channel: &str) -> Result<Stored, String> {
    Ok(Stored {
        messages: texts(db, "SELECT platform_message_id FROM messages WHERE channel_id = $1", channel).await?,
        events: count(db, "SELECT COUNT(*) FROM inbound_events WHERE source = 'meta'").await?,
        pending: count(db, "SELECT COUNT(*) FROM inbound_events WHERE state = 'pending'").await?,
        dead: count(db, "SELECT COUNT(*) FROM inbound_events WHERE state = 'dead'").await?,
    })
}

fn database_url(dir: &Path, postgres: Option<&String>) -> String {
    match postgres {
        Some(url) => url.clone(),
        None => format!("sqlite://{}", dir.join("sellcast-data/sellcast.db").display()),
    }
}

async fn acknowledged_deliveries_survive_kill_9(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let pg = database(postgres).await;
    let mut env = vec![
        ("SELLCAST_META_APP_SECRET", APP_SECRET.to_string()),
        ("SELLCAST_RATE_LIMIT_IP_PER_MINUTE", "0".to_string()),
        ("SELLCAST_RATE_LIMIT_USER_PER_MINUTE", "0".to_string()),
        ("SELLCAST_RATE_LIMIT_LOGIN_PER_MINUTE", "0".to_string()),
        // The jobs the killed server held come back after their lease, not after a minute.
        ("SELLCAST_JOB_LEASE_SECS", "10".to_string()),
    ];
    if let Some(url) = &pg {
        env.push(("SELLCAST_DATABASE_URL", url.clone()));
    }

    let mut srv = Server::start(dir.path(), &env);
    let (s, body) =
        srv.post("/api/v1/auth/register", None, register_body("flood@example.com", "Flood-Pass-123", "Flood")).await;
    assert_eq!(s, 201, "{body}");
    let org = body["organization"]["id"].as_str().expect("org id").to_string();
    let db = Db::connect(&DbOptions { url: database_url(dir.path(), pg.as_ref()), max_connections: 2 })
        .await
        .expect("open the server's database");
    let channel = insert_channel(&db, &org).await;

    // The flood: every mid answered with a 200 is recorded; once a third are, SIGKILL.
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let kill_now = Arc::new(tokio::sync::Notify::new());
    let http = reqwest::Client::builder().timeout(PATIENCE).build().expect("client");
    let url = format!("{}/webhooks/meta", srv.base);
    let flood = tokio::spawn({
        let (acked, kill_now) = (acked.clone(), kill_now.clone());
        async move {
            futures_util::stream::iter(0..DELIVERIES)
                .map(|i| {
                    let (http, url, acked, kill_now) = (http.clone(), url.clone(), acked.clone(), kill_now.clone());
                    async move {
                        let mid = format!("m.durable.{i}");
                        let body = delivery(i, &mid);
                        let signature = sellcast_platforms::meta::webhook::sign(APP_SECRET.as_bytes(), &body);
                        let sent = http
                            .post(&url)
                            .header("content-type", "application/json")
                            .header("x-hub-signature-256", signature)
                            .body(body)
                            .send()
                            .await;
                        match sent {
                            Ok(r) if r.status() == reqwest::StatusCode::OK => {
                                let n = {
                                    let mut acked = acked.lock().unwrap();
                                    acked.push(mid);
                                    acked.len()
                                };
                                if n == DELIVERIES / 3 {
                                    kill_now.notify_one();
                                }
                                Sent::Acknowledged
                            }
                            Ok(r) => Sent::Refused(r.status().as_u16()),
                            Err(_) => Sent::Failed,
                        }
                    }
                })
                .buffer_unordered(CONCURRENCY)
                .collect::<Vec<Sent>>()
                .await
        }
    });
    if tokio::time::timeout(PATIENCE, kill_now.notified()).await.is_err() {
        let n = acked.lock().unwrap().len();
        panic!("only {n} deliveries acknowledged in {PATIENCE:?}:\n{}", tail(&srv.kill9(), 40));
    }
    let killed_at = Instant::now();
    let log = srv.kill9();
    let outcomes = flood.await.expect("the flood");
    drop(srv);

    let acked: Vec<String> = std::mem::take(&mut *acked.lock().unwrap());
    let failed = outcomes.iter().filter(|o| matches!(o, Sent::Failed)).count();
    let refused: Vec<u16> =
        outcomes.iter().filter_map(|o| if let Sent::Refused(s) = o { Some(*s) } else { None }).collect();
    let acknowledged = outcomes.iter().filter(|o| matches!(o, Sent::Acknowledged)).count();
    assert_eq!(acknowledged, acked.len());
    assert!(acked.len() < DELIVERIES && failed > 0, "the kill came after the flood was over");
    assert!(
        refused.iter().all(|s| *s >= 500),
        "a signed, well-formed delivery was refused with a 4xx: {refused:?}\n{}",
        tail(&log, 40)
    );

    // The restart on the same data: it finishes what the killed process had stored.
    let srv = Server::start(dir.path(), &env);
    let want: HashSet<&str> = acked.iter().map(String::as_str).collect();
    let deadline = Instant::now() + PATIENCE;
    let messages = loop {
        let now = stored(&db, &channel).await;
        if let Ok(s) = &now {
            let have: HashSet<&str> = s.messages.iter().map(String::as_str).collect();
            if s.pending == 0 && want.is_subset(&have) {
                break s.messages.clone();
            }
        }
        if Instant::now() > deadline {
            let missing = now
                .as_ref()
                .map(|s| want.iter().filter(|m| !s.messages.iter().any(|h| h == *m)).count().to_string())
                .unwrap_or_else(|e| e.clone());
            let pending = now.as_ref().map(|s| s.pending).unwrap_or(-1);
            panic!(
                "after {PATIENCE:?}: {missing} acknowledged message(s) missing, {pending} event(s) pending\n{}",
                tail(&std::fs::read_to_string(&srv.log).unwrap_or_default(), 40)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let settled = stored(&db, &channel).await.expect("counts");
    let have: HashSet<&str> = messages.iter().map(String::as_str).collect();
    eprintln!(
        "webhook durability ({}): {} sent, {} acknowledged, {} failed, {} refused, {} events stored, {} messages \
         ({} distinct), {} dead; settled {:.1}s after the kill",
        if postgres { "postgres" } else { "sqlite" },
        DELIVERIES,
        acked.len(),
        failed,
        refused.len(),
        settled.events,
        messages.len(),
        have.len(),
        settled.dead,
        killed_at.elapsed().as_secs_f64(),
    );
    let lost: Vec<&str> = want.difference(&have).copied().collect();
    assert!(lost.is_empty(), "{} acknowledged deliveries lost: {:?}", lost.len(), &lost[..lost.len().min(20)]);
    assert_eq!(messages.len(), have.len(), "a message stored twice");
    assert!(settled.events >= acked.len() as i64, "{} events stored for {} acknowledged", settled.events, acked.len());
    assert_eq!(settled.dead, 0, "an event could not be processed");
    assert_eq!(messages.len() as i64, settled.events, "every stored delivery (one message each) is one message");
    srv.stop();
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_webhooks_survive_kill_9_sqlite() {
    acknowledged_deliveries_survive_kill_9(false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_webhooks_survive_kill_9_postgres() {
    acknowledged_deliveries_survive_kill_9(true).await
}
