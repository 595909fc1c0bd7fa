//! Helpers of the publishing API tests: sandbox channels, posts, multipart uploads, PNGs,
//! and a worker running beside the test server.
#![allow(dead_code)]

mod media;
mod oauth;
mod reconnect;

use crate::common::tenancy::org;
use crate::common::{Account, Response, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

pub fn s(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("expected a string, got {v}")).to_string()
}

/// Connect a sandbox channel in `who`'s org; its JSON.
pub async fn sandbox_channel(srv: &TestServer, who: &Account, name: &str) -> Value {
    let r = srv
        .post(&org(&who.org_id, "/channels/connect"), Some(&who.token), json!({"platform": "sandbox", "name": name}))
        .await;
    r.expect(StatusCode::CREATED, None);
    let channels = r.body["channels"].as_array().expect("channels");
    assert_eq!(channels.len(), 1, "{}", r.body);
    channels[0].clone()
}

/// Create a post with `text` targeting `channel_id`; the response.
pub async fn create_post(srv: &TestServer, who: &Account, text: &str, channel_id: &str) -> Response {
    srv.post(
        &org(&who.org_id, "/posts"),
        Some(&who.token),
        json!({"text": text, "variants": [{"channel_id": channel_id}]}),
    )
    .await
}

pub fn rfc3339_in(d: chrono::Duration) -> String {
    (chrono::Utc::now() + d).to_rfc3339()
}

/// A real PNG of `w`×`h` pixels; `noisy` makes it incompressible (bigger).
pub fn png(w: u32, h: u32, noisy: bool) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        if noisy {
            let n = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)).wrapping_mul(2_246_822_519);
            image::Rgb([(n >> 8) as u8, (n >> 16) as u8, (n >> 24) as u8])
        } else {
            image::Rgb([(x * 30) as u8, (y * 40) as u8, 128])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("png");
    out.into_inner()
}

/// A multipart/form-data body: (content type, bytes). Each part: (name, filename, bytes).
pub fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "sellcast-test-boundary-7d1f0c";
    let mut body = Vec::new();
    for (name, filename, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => {
                body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes())
            }
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub async fn upload_parts(srv: &TestServer, who: &Account, parts: &[(&str, Option<&str>, &[u8])]) -> Response {
    let (content_type, body) = multipart(parts);
    let res = srv
        .http
        .post(srv.url(&org(&who.org_id, "/media")))
        .bearer_auth(&who.token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("upload sent");
    Response::read(res).await
}

/// Upload `bytes` as `filename`; the response.
pub async fn upload(srv: &TestServer, who: &Account, filename: &str, bytes: &[u8]) -> Response {
    upload_parts(srv, who, &[("file", Some(filename), bytes), ("alt_text", None, b"A test picture")]).await
}

/// Poll the post until `done` holds for it (at most `secs` seconds); the last body.
pub async fn wait_for_post(
    srv: &TestServer,
    who: &Account,
    post_id: &str,
    secs: u64,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let r = srv.get(&org(&who.org_id, &format!("/posts/{post_id}")), Some(&who.token)).await;
        r.expect(StatusCode::OK, None);
        if done(&r.body) {
            return r.body;
        }
        assert!(std::time::Instant::now() < deadline, "the post did not get there in {secs} s: {}", r.body);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every object key in a JSON document, recursively.
pub fn keys(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                out.push(k.clone());
                keys(v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

/// Sandbox posts stored for a channel (not deleted).
pub async fn sandbox_count(srv: &TestServer, channel_id: &str) -> i64 {
    let mut c = srv.app.db.read().await.expect("db");
    sellcast_store::sandbox::count(c.conn(), channel_id).await.expect("count")
}

/// The path part of an absolute URL of the test server.
pub fn path_of(srv: &TestServer, url: &str) -> String {
    url.strip_prefix(&srv.base).unwrap_or_else(|| panic!("{url} is not on {}", srv.base)).to_string()
}
