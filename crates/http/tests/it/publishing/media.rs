//! Media over HTTP: uploads decided by their bytes, limits, content and signed links, and
//! media that a scheduled post still needs.

use super::*;
use crate::common::tenancy::{expect_validation, items, org};
use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn media_upload_decides_by_bytes(b: Backend) {
    let srv = TestServer::start_with(b, |c| {
        c.media_max_image_bytes = 4_000;
        c.media_max_video_bytes = 50_000;
    })
    .await;
    let owner = srv.register("owner@media.test").await;
    let picture = png(8, 6, false);
    let r = upload(&srv, &owner, "photo.png", &picture).await;
    r.expect(StatusCode::CREATED, None);
    assert_eq!((r.body["width"].as_i64(), r.body["height"].as_i64()), (Some(8), Some(6)), "{}", r.body);
    assert_eq!(r.body["kind"], "image");
    assert_eq!(r.body["mime"], "image/png");
    assert_eq!(r.body["alt_text"], "A test picture");
    assert_eq!(r.body["filename"], "photo.png");
    let media_id = s(&r.body["id"]);
    assert!(r.body.get("blob_key").is_none() && r.body.get("key").is_none(), "{}", r.body);

    let content = srv.http.get(s(&r.body["url"])).bearer_auth(&owner.token).send().await.unwrap();
    assert_eq!(content.status(), StatusCode::OK);
    assert_eq!(content.headers()["content-type"], "image/png");
    assert_eq!(content.headers()["cache-control"], "private, max-age=3600");
    assert_eq!(content.headers()["x-content-type-options"], "nosniff");
    assert_eq!(content.bytes().await.unwrap().as_ref(), picture.as_slice());
    let thumb = srv.http.get(s(&r.body["thumbnail_url"])).bearer_auth(&owner.token).send().await.unwrap();
    assert_eq!(thumb.status(), StatusCode::OK);
    let bad_variant =
        srv.get(&org(&owner.org_id, &format!("/media/{media_id}/content?variant=huge")), Some(&owner.token)).await;
    expect_validation(&bad_variant, "variant");

    // A signed link works without signing in, and only with its signature.
    let link = sellcast_app::media::signed_url(&srv.app, &media_id, "original");
    let signed = srv.http.get(&link).send().await.unwrap();
    assert_eq!(signed.status(), StatusCode::OK);
    assert_eq!(signed.bytes().await.unwrap().as_ref(), picture.as_slice());
    let other_digit = if link.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{other_digit}", &link[..link.len() - 1]);
    srv.get(&path_of(&srv, &forged), None).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));

    // Not an image, whatever its name says; too big; no file: refused, nothing stored.
    let r = upload(&srv, &owner, "notes.png", b"just some text, not a picture at all").await;
    expect_validation(&r, "file");
    let r = upload(&srv, &owner, "big.png", &png(64, 64, true)).await;
    expect_validation(&r, "file");
    let r = upload_parts(&srv, &owner, &[("alt_text", None, b"no file")]).await;
    expect_validation(&r, "file");
    let r = upload_parts(&srv, &owner, &[("file", Some("a.png"), &picture), ("owner", None, b"me")]).await;
    expect_validation(&r, "owner");
    let r = upload_parts(&srv, &owner, &[("file", Some("a.png"), &picture), ("alt_text", None, b"nul\0here")]).await;
    expect_validation(&r, "alt_text");
    let huge = vec![7u8; 1024 * 1024 + 60_000];
    let r = upload(&srv, &owner, "huge.mp4", &huge).await;
    r.expect(StatusCode::PAYLOAD_TOO_LARGE, Some("PAYLOAD_TOO_LARGE"));
    assert_eq!(r.headers["connection"], "close", "the unread rest of the body ends the connection");
    let json_body = srv.post(&org(&owner.org_id, "/media"), Some(&owner.token), json!({"file": "x"})).await;
    json_body.expect(StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("VALIDATION_ERROR"));
    let list = srv.get(&org(&owner.org_id, "/media"), Some(&owner.token)).await;
    assert_eq!(items(&list).len(), 1, "{}", list.body);
    assert_eq!(items(&srv.get(&org(&owner.org_id, "/media?kind=video"), Some(&owner.token)).await).len(), 0);

    let r = srv
        .patch(&org(&owner.org_id, &format!("/media/{media_id}")), Some(&owner.token), json!({"alt_text": "Blue"}))
        .await;
    assert_eq!(r.body["alt_text"], "Blue", "{}", r.body);
    srv.stop().await;
}

async fn media_used_by_a_scheduled_post_cannot_be_deleted(b: Backend) {
    let srv = TestServer::start(b).await;
    let owner = srv.register("owner@inuse.test").await;
    let channel = sandbox_channel(&srv, &owner, "Shop").await;
    let media = upload(&srv, &owner, "p.png", &png(10, 10, false)).await;
    let media_id = s(&media.body["id"]);
    // Created and scheduled in one request.
    let r = srv
        .post(
            &org(&owner.org_id, "/posts"),
            Some(&owner.token),
            json!({"text": "With a picture", "media_ids": [media_id], "tags": ["#Sale", "sale"], "campaign": "Spring",
                   "variants": [{"channel_id": channel["id"], "first_comment": "Link in bio"}],
                   "scheduled_at": rfc3339_in(chrono::Duration::hours(1))}),
        )
        .await;
    r.expect(StatusCode::CREATED, None);
    assert_eq!(r.body["status"], "scheduled");
    assert_eq!(r.body["media_ids"], json!([media_id]));
    assert_eq!(r.body["tags"], json!(["sale"]));
    let post_id = s(&r.body["id"]);
    let media_path = org(&owner.org_id, &format!("/media/{media_id}"));
    srv.delete(&media_path, Some(&owner.token)).await.expect(StatusCode::CONFLICT, Some("CONFLICT"));
    let tagged =
        srv.get(&org(&owner.org_id, "/posts?tag=%23SALE&q=PICTURE&status=scheduled"), Some(&owner.token)).await;
    assert_eq!(items(&tagged).len(), 1, "{}", tagged.body);
    srv.post(&org(&owner.org_id, &format!("/posts/{post_id}/unschedule")), Some(&owner.token), json!({}))
        .await
        .expect(StatusCode::OK, None);
    srv.delete(&media_path, Some(&owner.token)).await.expect(StatusCode::NO_CONTENT, None);
    srv.get(&media_path, Some(&owner.token)).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    srv.stop().await;
}

/// An upload sent chunked (no Content-Length) is cut off at the limit, with the error body.
async fn chunked_upload_over_the_limit_is_refused(b: Backend) {
    let srv = TestServer::start_with(b, |c| {
        c.media_max_image_bytes = 4_000;
        c.media_max_video_bytes = 50_000;
    })
    .await;
    let owner = srv.register("owner@chunked.test").await;
    let (content_type, body) = multipart(&[("file", Some("huge.mp4"), &vec![7u8; 1024 * 1024 + 60_000])]);
    let addr = srv.base.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: {content_type}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        org(&owner.org_id, "/media"),
        owner.token
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for chunk in body.chunks(64 * 1024) {
        // The server may answer and stop reading before the end: that is the point.
        if stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).await.is_err()
            || stream.write_all(chunk).await.is_err()
            || stream.write_all(b"\r\n").await.is_err()
        {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("PAYLOAD_TOO_LARGE"), "{answer}");
    let list = srv.get(&org(&owner.org_id, "/media"), Some(&owner.token)).await;
    assert_eq!(items(&list).len(), 0, "nothing stored");
    srv.stop().await;
}

on_both_backends!(
    media_upload_decides_by_bytes,
    media_used_by_a_scheduled_post_cannot_be_deleted,
    chunked_upload_over_the_limit_is_refused,
);
