//! `sellcast admin rotate-key`: a new key becomes active and every stored secret is
//! re-encrypted with it, proved by deleting the old key afterwards: the channel's token and
//! the TOTP secret still open.

use crate::support::*;
use serde_json::{json, Value};

async fn bearer(srv: &Server, email: &str) -> (String, String) {
    let (s, body) = srv.post("/api/v1/auth/register", None, register_body(email, "Rotate-Pass-123", "Keys")).await;
    assert_eq!(s, 201, "{body}");
    (body["access_token"].as_str().unwrap().to_string(), body["organization"]["id"].as_str().unwrap().to_string())
}

fn secrets(dir: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("sellcast-data/secrets.json")).unwrap()).unwrap()
}

async fn rotate_key_reencrypts_everything(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let mut env = vec![("SELLCAST_BIND", "127.0.0.1:0".to_string())];
    if let Some(url) = database(postgres).await {
        env.push(("SELLCAST_DATABASE_URL", url));
    }
    let srv = Server::start_with_args(dir.path(), &env, &["serve", "--no-workers"]);
    let (token, org) = bearer(&srv, "rotate@example.com").await;
    let (s, body) =
        srv.post(&format!("/api/v1/orgs/{org}/channels/connect"), Some(&token), json!({"platform": "sandbox"})).await;
    assert_eq!(s, 201, "{body}");
    let channel = body["channels"][0]["id"].as_str().unwrap().to_string();
    let (s, body) = srv.post("/api/v1/auth/mfa/totp/setup", Some(&token), json!({})).await;
    assert_eq!(s, 200, "{body}");
    let totp_secret = body["secret"].as_str().unwrap().to_string();
    srv.stop();
    assert_eq!(secrets(dir.path())["active_key"], "k1");

    let (code, out, err) = run(dir.path(), &["admin", "rotate-key"], &env);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("active key is now k2"), "{out}");
    assert!(out.contains("re-encrypted 1 channel credential(s), 1 TOTP secret(s)"), "{out}");

    // Drop the old key: only what was re-encrypted can still be read.
    let mut file = secrets(dir.path());
    assert_eq!(file["active_key"], "k2");
    let keys = file["encryption_keys"].as_array_mut().unwrap();
    assert_eq!(keys.len(), 2, "the old key stays until the operator removes it");
    keys.retain(|k| k["id"] != "k1");
    std::fs::write(dir.path().join("sellcast-data/secrets.json"), serde_json::to_string(&file).unwrap()).unwrap();

    let srv = Server::start_with_args(dir.path(), &env, &["serve", "--no-workers"]);
    let (s, body) = srv
        .post("/api/v1/auth/login", None, json!({"email": "rotate@example.com", "password": "Rotate-Pass-123"}))
        .await;
    assert_eq!(s, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_string();
    let (s, health) = srv.get(&format!("/api/v1/orgs/{org}/channels/{channel}/health"), Some(&token)).await;
    assert_eq!(s, 200, "the channel's credentials open with the new key alone: {health}");
    assert_eq!(health["reachable"], true, "{health}");
    // The pending TOTP secret opens too: verifying a current code reads it.
    let mut now = chrono::Utc::now().timestamp() as u64;
    if now % 30 > 25 {
        std::thread::sleep(std::time::Duration::from_secs(6));
        now = chrono::Utc::now().timestamp() as u64;
    }
    let code = sellcast_app::security::totp::code_at(&totp_secret, "rotate@example.com", now).unwrap();
    let (s, body) = srv.post("/api/v1/auth/mfa/totp/verify", Some(&token), json!({"code": code})).await;
    assert_eq!(s, 200, "the TOTP secret opens with the new key alone: {body}");
    srv.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_key_reencrypts_everything_sqlite() {
    rotate_key_reencrypts_everything(false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_key_reencrypts_everything_postgres() {
    rotate_key_reencrypts_everything(true).await
}
