use crate::common::*;
use reqwest::StatusCode;

async fn register_and_read_me(b: Backend) {
    let srv = TestServer::start(b).await;
    let a = srv.register("ann@example.com").await;
    let me = srv.get("/api/v1/me", Some(&a.token)).await;
    me.expect(StatusCode::OK, None);
    assert_eq!(me.body["email"], "ann@example.com");
    srv.stop().await;
}

on_both_backends!(register_and_read_me);
