//! The test harness: a real Sellcast server on a random port, on a fresh SQLite file or a
//! fresh PostgreSQL schema, spoken to over HTTP.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use sellcast_app::{App, Config};
use serde_json::{json, Value};
use std::sync::Arc;

pub mod auth;
pub mod tenancy;
pub mod web;

pub use sellcast_testkit::{drop_pg_schema, fresh_pg_schema, on_both_backends, postgres_url_in, Backend};

pub struct TestServer {
    pub base: String,
    pub http: reqwest::Client,
    pub app: Arc<App>,
    pub backend: Backend,
    dir: tempfile::TempDir,
    schema: Option<String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// A registered user with a session in their first organization.
#[derive(Debug, Clone)]
pub struct Account {
    pub user_id: String,
    pub org_id: String,
    pub email: String,
    pub password: String,
    pub token: String,
    pub refresh: String,
}

pub const PASSWORD: &str = "Correct-Horse-9";

impl TestServer {
    pub async fn start(backend: Backend) -> TestServer {
        Self::start_with(backend, |_| {}).await
    }

    /// Start with a config tweak (rate limits, SMTP, …).
    pub async fn start_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config { data_dir: dir.path().to_path_buf(), bind: "127.0.0.1:0".into(), ..Config::default() };
        let schema = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let s = fresh_pg_schema().await;
                config.database_url = Some(postgres_url_in(&s));
                config.database_max_connections = 5;
                Some(s)
            }
        };
        tweak(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        config.public_url = config.public_url.or(Some(format!("http://{addr}")));
        let app = App::open(config).await.expect("app starts");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let state = sellcast_http::state_for(app.clone());
        let task = tokio::spawn(async move {
            let _ = sellcast_http::serve(state, listener, async {
                let _ = rx.await;
            })
            .await;
        });
        TestServer {
            base: format!("http://{addr}"),
            http: reqwest::Client::builder().build().expect("client"),
            app,
            backend,
            dir,
            schema,
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// Stop the server and drop the PostgreSQL schema.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
        self.app.db.close().await;
        if let Some(s) = self.schema.take() {
            drop_pg_schema(&s).await;
        }
    }

    /// Run the app's clock from `rfc3339` on (it keeps ticking): a test picks the day it
    /// depends on (a week's first day, a month's end, a DST change) instead of today's.
    pub fn set_clock(&self, rfc3339: &str) -> DateTime<Utc> {
        let at = instant(rfc3339);
        self.app.clock.set_now(at);
        at
    }

    pub fn data_dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Send a request; returns status, headers and the JSON body (Null when empty).
    pub async fn send(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Response {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request sent");
        Response::read(res).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.send(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.send(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.send(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        self.send(Method::DELETE, path, token, None).await
    }

    /// Register a user with their own organization.
    pub async fn register(&self, email: &str) -> Account {
        let r = self
            .post("/api/v1/auth/register", None, json!({"email": email, "password": PASSWORD, "name": "Test User", "organization_name": format!("Org of {email}")}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "register {email}: {}", r.body);
        Account {
            user_id: r.body["user"]["id"].as_str().expect("user id").to_string(),
            org_id: r.body["organization"]["id"].as_str().expect("org id").to_string(),
            email: email.to_string(),
            password: PASSWORD.to_string(),
            token: r.body["access_token"].as_str().expect("token").to_string(),
            refresh: r.body["refresh_token"].as_str().expect("refresh").to_string(),
        }
    }

    /// Invite `email` into `owner`'s org as `role`, register them and accept; returns their account
    /// (whose `org_id` is the inviting org).
    pub async fn add_member(&self, owner: &Account, email: &str, role: &str) -> Account {
        let inv = self
            .post(
                &format!("/api/v1/orgs/{}/invites", owner.org_id),
                Some(&owner.token),
                json!({"email": email, "role": role}),
            )
            .await;
        assert_eq!(inv.status, StatusCode::CREATED, "invite: {}", inv.body);
        let token = inv.body["token"].as_str().expect("invite token").to_string();
        let mut member = self.register(email).await;
        let acc = self.post("/api/v1/invites/accept", Some(&member.token), json!({"token": token})).await;
        assert_eq!(acc.status, StatusCode::OK, "accept: {}", acc.body);
        member.org_id = owner.org_id.clone();
        member
    }
}

pub struct Response {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Response {
    pub async fn read(res: reqwest::Response) -> Response {
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Response { status, headers, body }
    }

    /// Assert the status and, for errors, the standard error body with this code.
    pub fn expect(&self, status: StatusCode, code: Option<&str>) -> &Self {
        assert_eq!(self.status, status, "body: {}", self.body);
        if let Some(code) = code {
            assert_eq!(self.body["error"]["code"], code, "body: {}", self.body);
            assert!(self.body["error"]["message"].is_string(), "body: {}", self.body);
            assert!(self.body["error"]["request_id"].is_string(), "body: {}", self.body);
        }
        self
    }
}

/// An instant written in RFC 3339, e.g. `2027-02-28T20:00:00Z`.
pub fn instant(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap_or_else(|e| panic!("{rfc3339}: {e}")).with_timezone(&Utc)
}

/// The `field`s listed in a VALIDATION_ERROR's details.
pub fn error_fields(r: &Response) -> Vec<String> {
    r.body["error"]["details"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["field"].as_str().map(String::from)).collect())
        .unwrap_or_default()
}
