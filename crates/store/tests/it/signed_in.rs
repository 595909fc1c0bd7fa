//! `signed_in::read`: the session, its user and their role in the org the request names, in
//! one statement (on SQLite files, a blocking reader with its own row decoding).

use crate::support::*;
use sellcast_domain::Role;
use sellcast_store::sessions::{self, SessionRow};
use sellcast_store::{signed_in, users};

async fn session(db: &sellcast_store::Db, user_id: &str) -> SessionRow {
    let t = now();
    let row = SessionRow {
        id: new_id(),
        user_id: user_id.into(),
        created_at: t,
        last_used_at: t,
        expires_at: t + chrono::Duration::days(30),
        revoked_at: None,
        revoked_reason: None,
        ip: Some("127.0.0.1".into()),
        user_agent: None,
    };
    let mut tx = db.begin().await.unwrap();
    sessions::insert(tx.conn(), &row).await.unwrap();
    tx.commit().await.unwrap();
    row
}

async fn reads_the_session_its_user_and_the_role_in_one_go(b: Backend) {
    let t = TestDb::new(b).await;
    let db = &t.db;
    let org = org(db).await;
    let other = crate::support::org(db).await;
    let editor = member(db, &org.id, Role::Editor).await;
    let s = session(db, &editor).await;

    let found = signed_in::read(db, &s.id, Some(&org.id)).await.unwrap().expect("the session");
    assert_eq!(found.session.session_id, s.id);
    assert_eq!(found.session.session_user_id, editor);
    assert_eq!(found.session.session_expires_at, s.expires_at);
    assert_eq!(found.session.session_last_used_at, s.last_used_at);
    assert!(found.session.session_revoked_at.is_none());
    let mut c = db.read().await.unwrap();
    let user = users::by_id(c.conn(), &editor).await.unwrap().unwrap();
    drop(c);
    assert_eq!(json(&found.session.user), json(&user));
    assert_eq!(found.session.user.password_hash, user.password_hash, "the whole row (serde skips the hash)");
    assert_eq!(found.role, Some(Role::Editor));

    let elsewhere = signed_in::read(db, &s.id, Some(&other.id)).await.unwrap().unwrap();
    assert_eq!(elsewhere.role, None, "not a member of the other org");
    let no_org = signed_in::read(db, &s.id, None).await.unwrap().unwrap();
    assert_eq!(no_org.role, None);
    assert_eq!(no_org.session.session_id, s.id);

    {
        let mut tx = db.begin().await.unwrap();
        sessions::revoke(tx.conn(), &s.id, "logout", now()).await.unwrap();
        tx.commit().await.unwrap();
    }
    let revoked = signed_in::read(db, &s.id, Some(&org.id)).await.unwrap().unwrap();
    assert!(revoked.session.session_revoked_at.is_some(), "a revocation is seen by the next read");
    assert!(signed_in::read(db, &new_id(), None).await.unwrap().is_none(), "no such session");
    t.drop_schema().await;
}

on_both_backends!(reads_the_session_its_user_and_the_role_in_one_go);
