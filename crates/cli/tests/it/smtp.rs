//! Email goes out over real SMTP: a maildev server (npm, installed by .ci/test) receives the
//! invite and the password-reset mail that `sellcast serve` sends.

use crate::support::*;
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct MailDev {
    child: Child,
    web: u16,
    smtp: u16,
}

impl MailDev {
    fn start(dir: &std::path::Path) -> MailDev {
        let bin = std::env::var("SELLCAST_TEST_MAILDEV").unwrap_or_else(|_| {
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../.ci/node_modules/.bin/maildev").to_string()
        });
        assert!(
            std::path::Path::new(&bin).exists(),
            "maildev not found at {bin}: run `npm ci --prefix .ci` (bash .ci/test does) or set SELLCAST_TEST_MAILDEV"
        );
        let (smtp, web) = (free_port(), free_port());
        let child = Command::new(bin)
            .args(["-s", &smtp.to_string(), "-w", &web.to_string(), "--ip", "127.0.0.1", "--web-ip", "127.0.0.1"])
            .arg("--mail-directory")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start maildev");
        MailDev { child, web, smtp }
    }

    async fn emails(&self) -> Option<Vec<Value>> {
        let res = reqwest::get(format!("http://127.0.0.1:{}/email", self.web)).await.ok()?;
        res.json::<Vec<Value>>().await.ok()
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.emails().await.is_none() {
            assert!(Instant::now() < deadline, "maildev did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Wait for a mail to `to` whose subject contains `subject`.
    async fn wait_for(&self, to: &str, subject: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let found = self.emails().await.unwrap_or_default().into_iter().find(|m| {
                m["to"].as_array().is_some_and(|t| t.iter().any(|a| a["address"] == to))
                    && m["subject"].as_str().is_some_and(|s| s.contains(subject))
            });
            if let Some(m) = found {
                return m;
            }
            assert!(Instant::now() < deadline, "no mail to {to} about {subject}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for MailDev {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

async fn invites_and_resets_are_delivered(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let mail = MailDev::start(&dir.path().join("mail"));
    mail.wait_ready().await;
    let mut env = vec![
        ("SELLCAST_SMTP_URL", format!("smtp://127.0.0.1:{}", mail.smtp)),
        ("SELLCAST_SMTP_FROM", "Sellcast <hello@sellcast.test>".to_string()),
        ("SELLCAST_PUBLIC_URL", "https://sellcast.example.com".to_string()),
    ];
    if let Some(url) = database(postgres).await {
        env.push(("SELLCAST_DATABASE_URL", url));
    }
    let srv = Server::start(dir.path(), &env);
    let (s, reg) =
        srv.post("/api/v1/auth/register", None, register_body("boss@example.com", "Mail-Pass-123", "Mailers")).await;
    assert_eq!(s, 201, "{reg}");
    let token = reg["access_token"].as_str().unwrap();
    let org = reg["organization"]["id"].as_str().unwrap();
    let (s, inv) = srv
        .post(
            &format!("/api/v1/orgs/{org}/invites"),
            Some(token),
            json!({"email": "new@example.com", "role": "viewer"}),
        )
        .await;
    assert_eq!(s, 201, "{inv}");
    let (s, _) = srv.post("/api/v1/auth/password/forgot", None, json!({"email": "boss@example.com"})).await;
    assert_eq!(s, 202);

    let invite = mail.wait_for("new@example.com", "invited you to Mailers").await;
    assert_eq!(invite["from"][0]["address"], "hello@sellcast.test");
    let text = invite["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("https://sellcast.example.com/invites/accept?token={}", inv["token"].as_str().unwrap())),
        "{text}"
    );
    let reset = mail.wait_for("boss@example.com", "Reset your Sellcast password").await;
    let reset_token = token_in(reset["text"].as_str().unwrap());
    let (s, body) = srv
        .post("/api/v1/auth/password/reset", None, json!({"token": reset_token, "password": "Fresh-Pass-456"}))
        .await;
    assert_eq!(s, 204, "{body}");

    let (code, out, _) = run(dir.path(), &["admin", "outbox"], &env);
    assert_eq!(code, 0);
    assert_eq!(out.matches("[sent ").count(), 2, "both mails are marked sent:\n{out}");
    srv.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invites_and_resets_are_delivered_sqlite() {
    invites_and_resets_are_delivered(false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invites_and_resets_are_delivered_postgres() {
    invites_and_resets_are_delivered(true).await
}
