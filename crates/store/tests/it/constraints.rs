//! Unique violations reach callers as `StoreError::Conflict` with the constraint's one name on
//! both backends, although PostgreSQL reports the index name and SQLite the columns.

use crate::support::*;
use sellcast_store::invites::{self, InviteRow};
use sellcast_store::posts;
use sellcast_store::sessions::{self, RefreshTokenRow, SessionRow};
use sellcast_store::{calendar, channels, clients, orgs, users, StoreError, StoreResult};

fn assert_conflict(result: StoreResult<()>, name: &str) {
    match result {
        Err(StoreError::Conflict { constraint }) => assert_eq!(constraint.name(), name),
        other => panic!("expected a conflict on {name}, got {other:?}"),
    }
}

fn invite(org_id: &str, email: &str, token_hash: &str) -> InviteRow {
    let t = now();
    InviteRow {
        id: new_id(),
        org_id: org_id.into(),
        email: email.into(),
        role: sellcast_domain::Role::Editor,
        token_hash: token_hash.into(),
        invited_by: None,
        created_at: t,
        expires_at: t + chrono::Duration::days(7),
        accepted_at: None,
        accepted_by: None,
        revoked_at: None,
    }
}

fn client(org_id: &str, name: &str) -> clients::ClientRow {
    let t = now();
    clients::ClientRow {
        id: new_id(),
        org_id: org_id.into(),
        name: name.into(),
        email: None,
        phone: None,
        website: None,
        notes: String::new(),
        archived: false,
        created_at: t,
        updated_at: t,
    }
}

async fn unique_violations_are_conflicts_named_alike(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let org = org(db).await;
    let other_user = user(db).await;
    let ch = channels(db, &org.id, 1).await;
    let (post, variants) = post_to(db, &org.id, &ch).await;
    let t0 = now();
    let session = SessionRow {
        id: new_id(),
        user_id: org.owner_id.clone(),
        created_at: t0,
        last_used_at: t0,
        expires_at: t0 + chrono::Duration::days(1),
        revoked_at: None,
        revoked_reason: None,
        ip: None,
        user_agent: None,
    };
    let refresh = |hash: &str| RefreshTokenRow {
        id: new_id(),
        session_id: session.id.clone(),
        token_hash: hash.into(),
        created_at: t0,
        expires_at: t0 + chrono::Duration::days(1),
        used_at: None,
    };
    let mut tx = db.begin().await.unwrap();
    let first_user = users::by_id(tx.conn(), &org.owner_id).await.unwrap().unwrap();
    invites::insert(tx.conn(), &invite(&org.id, "new@store.test", "token-1")).await.unwrap();
    clients::insert(tx.conn(), &client(&org.id, "Acme")).await.unwrap();
    sessions::insert(tx.conn(), &session).await.unwrap();
    sessions::insert_refresh(tx.conn(), &refresh("refresh-1")).await.unwrap();
    users::insert_password_reset(tx.conn(), &org.owner_id, "reset-1", t0, t0 + chrono::Duration::hours(1))
        .await
        .unwrap();
    calendar::set_feed(tx.conn(), &org.owner_id, "feed-1", t0).await.unwrap();
    tx.commit().await.unwrap();

    // Each violation in a transaction of its own, dropped at the end of its block (a failed
    // statement ends a PostgreSQL transaction; SQLite's one writer must be free again).
    {
        let mut tx = db.begin().await.unwrap();
        let same_email = users::UserRow { id: new_id(), ..first_user };
        assert_conflict(users::insert(tx.conn(), &same_email).await, "uq_users_email");
    }
    {
        let mut tx = db.begin().await.unwrap();
        assert_conflict(
            orgs::add_member(tx.conn(), &org.id, &org.owner_id, sellcast_domain::Role::Admin, t0).await,
            "memberships_pkey",
        );
    }
    {
        let mut tx = db.begin().await.unwrap();
        let pending = invite(&org.id, "new@store.test", "token-2");
        assert_conflict(invites::insert(tx.conn(), &pending).await, "uq_invites_pending");
    }
    {
        let mut tx = db.begin().await.unwrap();
        let same_token = invite(&org.id, "other@store.test", "token-1");
        assert_conflict(invites::insert(tx.conn(), &same_token).await, "uq_invites_token");
    }
    {
        let mut tx = db.begin().await.unwrap();
        assert_conflict(clients::insert(tx.conn(), &client(&org.id, " ACME ")).await, "uq_clients_org_name");
    }
    {
        let mut tx = db.begin().await.unwrap();
        assert_conflict(sessions::insert_refresh(tx.conn(), &refresh("refresh-1")).await, "uq_refresh_tokens_hash");
    }
    {
        let mut tx = db.begin().await.unwrap();
        let reset = users::insert_password_reset(tx.conn(), &other_user, "reset-1", t0, t0).await;
        assert_conflict(reset, "uq_password_resets_hash");
    }
    {
        let mut tx = db.begin().await.unwrap();
        assert_conflict(channels::insert(tx.conn(), &channel_row(&org.id, 0)).await, "uq_channels_account");
    }
    {
        let mut tx = db.begin().await.unwrap();
        let second = variant_row(&post, &variants[0].channel_id);
        assert_conflict(posts::insert_variant(tx.conn(), &second).await, "uq_post_variants_channel");
    }
    {
        let mut tx = db.begin().await.unwrap();
        assert_conflict(calendar::set_feed(tx.conn(), &other_user, "feed-1", t0).await, "uq_calendar_feeds_token");
    }
    t.drop_schema().await;
}

on_both_backends!(unique_violations_are_conflicts_named_alike);
