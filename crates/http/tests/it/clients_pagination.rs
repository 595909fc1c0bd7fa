//! Multi-tenancy over HTTP: clients (CRUD, permissions, validation, filters) and cursor
//! pagination.

use crate::common::tenancy::*;
use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashSet;

// ---------------------------------------------------------------------------------------
// 1. Clients.
// ---------------------------------------------------------------------------------------

async fn clients_crud_permissions_and_validation(b: Backend) {
    let srv = TestServer::start(b).await;
    let owner = srv.register("owner@clients.test").await;
    let admin = srv.add_member(&owner, "admin@clients.test", "admin").await;
    let manager = srv.add_member(&owner, "manager@clients.test", "manager").await;
    let editor = srv.add_member(&owner, "editor@clients.test", "editor").await;
    let viewer = srv.add_member(&owner, "viewer@clients.test", "viewer").await;
    let clients = org(&owner.org_id, "/clients");

    // Create: owner, admin, manager.
    let r = srv
        .post(
            &clients,
            Some(&owner.token),
            json!({
                "name": "  Acme  ", "email": " Hello@Acme.TEST ", "phone": "+33 6 12 34 56 78",
                "website": "https://acme.test", "notes": "VIP\nsince 2020"
            }),
        )
        .await;
    r.expect(StatusCode::CREATED, None);
    assert_eq!(r.body["name"], "Acme");
    assert_eq!(r.body["email"], "hello@acme.test");
    assert_eq!(r.body["phone"], "+33 6 12 34 56 78");
    assert_eq!(r.body["website"], "https://acme.test");
    assert_eq!(r.body["notes"], "VIP\nsince 2020");
    assert_eq!(r.body["archived"], false);
    assert_eq!(r.body["org_id"], owner.org_id.as_str());
    let acme_id = r.body["id"].as_str().unwrap().to_string();
    let acme = format!("{clients}/{acme_id}");
    let globex = create_client(&srv, &admin, "Globex Corp").await;
    let initech = create_client(&srv, &manager, "Initech").await;
    assert!(globex["email"].is_null() && globex["notes"] == "" && globex["archived"] == false);
    for acc in [&editor, &viewer] {
        let r = srv.post(&clients, Some(&acc.token), json!({ "name": "Not allowed" })).await;
        r.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    }

    // Everyone reads.
    for acc in [&owner, &admin, &manager, &editor, &viewer] {
        let r = srv.get(&clients, Some(&acc.token)).await;
        r.expect(StatusCode::OK, None);
        assert_eq!(names(&r), vec!["Initech", "Globex Corp", "Acme"], "newest first");
        assert!(r.body["next_cursor"].is_null());
        let r = srv.get(&acme, Some(&acc.token)).await;
        r.expect(StatusCode::OK, None);
        assert_eq!(r.body["id"], acme_id.as_str());
        assert_eq!(r.body["email"], "hello@acme.test");
    }

    // Validation names the field.
    expect_validation(&srv.post(&clients, Some(&owner.token), json!({})).await, "name");
    expect_validation(&srv.post(&clients, Some(&owner.token), json!({ "name": "   " })).await, "name");
    expect_validation(&srv.post(&clients, Some(&owner.token), json!({ "name": "X", "email": "nope" })).await, "email");
    expect_validation(
        &srv.post(&clients, Some(&owner.token), json!({ "name": "X", "website": "ftp://x.test" })).await,
        "website",
    );
    expect_validation(
        &srv.post(&clients, Some(&owner.token), json!({ "name": "X", "website": "acme.test" })).await,
        "website",
    );
    expect_validation(
        &srv.post(&clients, Some(&owner.token), json!({ "name": "X", "phone": "call me" })).await,
        "phone",
    );
    let long = "n".repeat(10_001);
    expect_validation(&srv.post(&clients, Some(&owner.token), json!({ "name": "X", "notes": long })).await, "notes");
    expect_validation(&srv.post(&clients, Some(&owner.token), json!({ "name": "X".repeat(201) })).await, "name");
    let r = srv.post(&clients, Some(&owner.token), json!({ "email": "bad", "website": "bad" })).await;
    r.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    let mut fields = error_fields(&r);
    fields.sort();
    assert_eq!(fields, vec!["email", "name", "website"], "all problems at once: {}", r.body);
    let r = srv.post(&clients, Some(&owner.token), json!({ "name": "X", "colour": "red" })).await;
    r.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    let r = srv.post(&clients, Some(&owner.token), json!({ "name": 42 })).await;
    r.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    let r = srv.post(&clients, Some(&owner.token), json!({ "name": "Notes Max", "notes": "n".repeat(10_000) })).await;
    r.expect(StatusCode::CREATED, None);
    let notes_max_id = r.body["id"].as_str().unwrap().to_string();
    let r = srv.get(&clients, Some(&owner.token)).await;
    assert_eq!(items(&r).len(), 4, "refused creates stored nothing: {}", names(&r).join(", "));

    // Names are unique per org, case-insensitively; another org may reuse them.
    srv.post(&clients, Some(&owner.token), json!({ "name": "ACME" }))
        .await
        .expect(StatusCode::CONFLICT, Some("CONFLICT"));
    srv.post(&clients, Some(&manager.token), json!({ "name": " acme " }))
        .await
        .expect(StatusCode::CONFLICT, Some("CONFLICT"));
    let other = srv.register("other@clients.test").await;
    let theirs = create_client(&srv, &other, "Acme").await;
    assert_ne!(theirs["id"], acme_id.as_str());
    let r = srv.get(&org(&other.org_id, "/clients"), Some(&other.token)).await;
    assert_eq!(names(&r), vec!["Acme"]);

    // PATCH: given fields change, null clears, absent fields stay.
    let r = srv.patch(&acme, Some(&manager.token), json!({ "email": null, "notes": "updated" })).await;
    r.expect(StatusCode::OK, None);
    assert!(r.body["email"].is_null(), "{}", r.body);
    assert_eq!(r.body["notes"], "updated");
    assert_eq!(r.body["name"], "Acme");
    assert_eq!(r.body["phone"], "+33 6 12 34 56 78");
    assert_eq!(r.body["website"], "https://acme.test");
    assert_eq!(r.body["archived"], false);
    let r = srv.get(&acme, Some(&viewer.token)).await;
    assert!(r.body["email"].is_null());
    assert_eq!(r.body["notes"], "updated");
    assert_eq!(r.body["phone"], "+33 6 12 34 56 78");
    let r = srv
        .patch(&acme, Some(&admin.token), json!({ "name": "Acme Inc", "email": "Sales@Acme.test", "website": null }))
        .await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["name"], "Acme Inc");
    assert_eq!(r.body["email"], "sales@acme.test");
    assert!(r.body["website"].is_null());
    assert_eq!(r.body["phone"], "+33 6 12 34 56 78");
    assert_eq!(r.body["notes"], "updated");
    let r = srv.patch(&acme, Some(&owner.token), json!({})).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["name"], "Acme Inc");
    // A case-only rename of itself is fine; taking another client's name is not.
    srv.patch(&acme, Some(&owner.token), json!({ "name": "ACME INC" })).await.expect(StatusCode::OK, None);
    srv.patch(&acme, Some(&owner.token), json!({ "name": "globex corp" }))
        .await
        .expect(StatusCode::CONFLICT, Some("CONFLICT"));
    expect_validation(&srv.patch(&acme, Some(&owner.token), json!({ "website": "nope" })).await, "website");
    expect_validation(&srv.patch(&acme, Some(&owner.token), json!({ "name": "" })).await, "name");
    expect_validation(&srv.patch(&acme, Some(&owner.token), json!({ "notes": "n".repeat(10_001) })).await, "notes");
    for acc in [&editor, &viewer] {
        srv.patch(&acme, Some(&acc.token), json!({ "notes": "x" }))
            .await
            .expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
        srv.delete(&acme, Some(&acc.token)).await.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    }
    let r = srv.get(&acme, Some(&owner.token)).await;
    assert_eq!(r.body["name"], "ACME INC");
    assert_eq!(r.body["notes"], "updated");
    assert!(r.body["website"].is_null());

    // Filters: archived and name search.
    let initech_id = initech["id"].as_str().unwrap();
    let r = srv.patch(&format!("{clients}/{initech_id}"), Some(&owner.token), json!({ "archived": true })).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["archived"], true);
    assert_eq!(names(&srv.get(&format!("{clients}?archived=true"), Some(&viewer.token)).await), vec!["Initech"]);
    assert_eq!(
        names(&srv.get(&format!("{clients}?archived=false"), Some(&viewer.token)).await),
        vec!["Notes Max", "Globex Corp", "ACME INC"]
    );
    assert_eq!(items(&srv.get(&clients, Some(&viewer.token)).await).len(), 4);
    assert_eq!(names(&srv.get(&format!("{clients}?q=cme"), Some(&viewer.token)).await), vec!["ACME INC"]);
    assert_eq!(names(&srv.get(&format!("{clients}?q=CORP"), Some(&viewer.token)).await), vec!["Globex Corp"]);
    assert_eq!(names(&srv.get(&format!("{clients}?q=ni&archived=true"), Some(&viewer.token)).await), vec!["Initech"]);
    assert!(names(&srv.get(&format!("{clients}?q=ni&archived=false"), Some(&viewer.token)).await).is_empty());
    assert!(names(&srv.get(&format!("{clients}?q=%25"), Some(&viewer.token)).await).is_empty(), "% is literal");
    assert!(names(&srv.get(&format!("{clients}?q=_"), Some(&viewer.token)).await).is_empty(), "_ is literal");
    assert!(names(&srv.get(&format!("{clients}?q=zzz"), Some(&viewer.token)).await).is_empty());
    srv.get(&format!("{clients}?archived=maybe"), Some(&viewer.token))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));

    // Delete.
    srv.delete(&acme, Some(&manager.token)).await.expect(StatusCode::NO_CONTENT, None);
    srv.get(&acme, Some(&owner.token)).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    srv.delete(&acme, Some(&owner.token)).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    srv.patch(&acme, Some(&owner.token), json!({ "notes": "ghost" }))
        .await
        .expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    srv.get(&format!("{clients}/not-an-id"), Some(&owner.token)).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    let r = srv.get(&clients, Some(&owner.token)).await;
    assert_eq!(names(&r), vec!["Notes Max", "Initech", "Globex Corp"]);
    // The freed name can be used again; the other org's Acme was never touched.
    create_client(&srv, &owner, "Acme").await;
    srv.get(&format!("{}/{}", org(&other.org_id, "/clients"), theirs["id"].as_str().unwrap()), Some(&other.token))
        .await
        .expect(StatusCode::OK, None);
    srv.delete(&format!("{clients}/{notes_max_id}"), Some(&admin.token)).await.expect(StatusCode::NO_CONTENT, None);

    srv.stop().await;
}

// ---------------------------------------------------------------------------------------
// 2. Cursor pagination.
// ---------------------------------------------------------------------------------------

async fn cursor_pagination(b: Backend) {
    let srv = TestServer::start(b).await;
    let owner = srv.register("owner@pages.test").await;
    let clients = org(&owner.org_id, "/clients");
    let mut created = Vec::new();
    for i in 0..7 {
        created.push(create_client(&srv, &owner, &format!("Client {i}")).await["id"].as_str().unwrap().to_string());
    }

    let first = srv.get(&format!("{clients}?limit=3"), Some(&owner.token)).await;
    first.expect(StatusCode::OK, None);
    assert_eq!(names(&first), vec!["Client 6", "Client 5", "Client 4"]);
    assert!(first.body["next_cursor"].is_string(), "{}", first.body);

    let pages = all_pages(&srv, &format!("{clients}?limit=3"), &owner.token).await;
    assert_eq!(pages.iter().map(|p| items(p).len()).collect::<Vec<_>>(), vec![3, 3, 1]);
    assert!(pages.last().unwrap().body["next_cursor"].is_null());
    let seen: Vec<String> =
        pages.iter().flat_map(|p| items(p).iter().map(|c| c["id"].as_str().unwrap().to_string())).collect();
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(seen.len(), 7);
    assert_eq!(unique.len(), 7, "no item twice");
    let mut expected = created.clone();
    expected.reverse();
    assert_eq!(seen, expected, "every client exactly once, newest first");

    // A page size that divides the total ends without an empty extra page.
    let pages = all_pages(&srv, &format!("{clients}?limit=7"), &owner.token).await;
    assert_eq!(pages.len(), 1);
    assert_eq!(items(&pages[0]).len(), 7);
    let pages = all_pages(&srv, &format!("{clients}?limit=200"), &owner.token).await;
    assert_eq!(items(&pages[0]).len(), 7);
    let pages = all_pages(&srv, &format!("{clients}?limit=1"), &owner.token).await;
    assert_eq!(pages.len(), 7);
    // Filters combine with cursors.
    let pages = all_pages(&srv, &format!("{clients}?limit=2&q=client"), &owner.token).await;
    assert_eq!(pages.iter().map(|p| items(p).len()).sum::<usize>(), 7);

    for bad in ["0", "201", "-1", "abc"] {
        let r = srv.get(&format!("{clients}?limit={bad}"), Some(&owner.token)).await;
        r.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    }
    expect_validation(&srv.get(&format!("{clients}?limit=0"), Some(&owner.token)).await, "limit");
    expect_validation(&srv.get(&format!("{clients}?limit=201"), Some(&owner.token)).await, "limit");
    for bad in ["garbage", "zz", "abc", "6e6f742d616e2d6964"] {
        expect_validation(&srv.get(&format!("{clients}?cursor={bad}"), Some(&owner.token)).await, "cursor");
    }
    // The same rules on the other lists.
    for path in ["/members", "/invites", "/audit-log"] {
        expect_validation(&srv.get(&org(&owner.org_id, &format!("{path}?limit=0")), Some(&owner.token)).await, "limit");
        expect_validation(
            &srv.get(&org(&owner.org_id, &format!("{path}?cursor=garbage")), Some(&owner.token)).await,
            "cursor",
        );
    }
    expect_validation(&srv.get("/api/v1/orgs?limit=201", Some(&owner.token)).await, "limit");

    srv.stop().await;
}

on_both_backends!(clients_crud_permissions_and_validation, cursor_pagination,);
