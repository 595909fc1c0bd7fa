//! The `sellcast` binary as a self-hoster meets it: help, configuration errors, a first run
//! with no configuration, the whole sign-up → invite → audit flow over HTTP, the admin
//! commands, and logs that never contain a secret. SQLite and PostgreSQL alike.

use crate::support::*;
use reqwest::Method;
use serde_json::json;

const PASSWORD: &str = "Very-Secret-Pass-42";
const NEW_PASSWORD: &str = "Another-Secret-Pass-43";

#[test]
fn help_lists_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, _) = run(dir.path(), &["--help"], &[]);
    assert_eq!(code, 0);
    for cmd in ["serve", "worker", "migrate", "admin", "jobs", "openapi"] {
        assert!(out.contains(cmd), "{cmd} missing from:\n{out}");
    }
    let (code, out, _) = run(dir.path(), &["admin", "--help"], &[]);
    assert_eq!(code, 0);
    for cmd in ["create-user", "reset-password", "list-orgs", "list-users", "outbox"] {
        assert!(out.contains(cmd), "{cmd} missing from:\n{out}");
    }
    let (code, out, _) = run(dir.path(), &["serve", "--help"], &[]);
    assert_eq!(code, 0);
    assert!(out.contains("--no-workers"));
    assert!(!dir.path().join("sellcast-data").exists(), "help touches nothing");
}

#[test]
fn bad_configuration_is_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for (key, value) in [
        ("SELLCAST_BIND", "not-an-address"),
        ("SELLCAST_DATABASE_URL", "mysql://nope"),
        ("SELLCAST_JSON_BODY_LIMIT", "lots"),
        ("SELLCAST_LOG_FORMAT", "xml"),
        ("SELLCAST_ENCRYPTION_KEY", "short"),
    ] {
        let (code, _, err) = run(dir.path(), &["serve"], &[(key, value.to_string())]);
        assert_eq!(code, 2, "{key}: {err}");
        assert!(err.contains(key), "{key} not named in: {err}");
    }
    let toml = dir.path().join("sellcast.toml");
    std::fs::write(&toml, "bind = \"127.0.0.1:0\"\nratelimit = 3\n").unwrap();
    let (code, _, err) = run(dir.path(), &["migrate"], &[("SELLCAST_CONFIG", toml.display().to_string())]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown key 'ratelimit'"), "{err}");
    assert!(!dir.path().join("sellcast-data").exists(), "a refused start leaves nothing behind");
}

/// The README's "Done when": an empty directory, `sellcast serve`, and through the API alone a
/// user registers, logs in, invites a second user who joins, and sees the audit entries.
async fn first_run_and_whole_flow(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let mut env = vec![("SELLCAST_LOG_FORMAT", "json".to_string()), ("SELLCAST_LOG", "debug".to_string())];
    if let Some(url) = database(postgres).await {
        env.push(("SELLCAST_DATABASE_URL", url));
    }
    let srv = Server::start(dir.path(), &env);
    let data = dir.path().join("sellcast-data");
    assert!(data.join("media").is_dir());
    assert_eq!(data.join("sellcast.db").exists(), !postgres);
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(data.join("secrets.json")).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);

    let (s, reg) = srv.post("/api/v1/auth/register", None, register_body("owner@example.com", PASSWORD, "Acme")).await;
    assert_eq!(s, 201, "{reg}");
    let org = reg["organization"]["id"].as_str().unwrap().to_string();
    let (s, login) =
        srv.post("/api/v1/auth/login", None, json!({"email": "owner@example.com", "password": PASSWORD})).await;
    assert_eq!(s, 200, "{login}");
    let token = login["access_token"].as_str().unwrap().to_string();
    let (s, refreshed) = srv.post("/api/v1/auth/refresh", None, json!({"refresh_token": login["refresh_token"]})).await;
    assert_eq!(s, 200, "{refreshed}");

    let (s, inv) = srv
        .post(
            &format!("/api/v1/orgs/{org}/invites"),
            Some(&token),
            json!({"email": "second@example.com", "role": "editor"}),
        )
        .await;
    assert_eq!(s, 201, "{inv}");
    let invite_token = token_from_outbox(dir.path(), &env, "second@example.com");
    assert_eq!(inv["token"].as_str(), Some(invite_token.as_str()), "the mailed token is the one created");
    let mut second = register_body("second@example.com", PASSWORD, "unused");
    second["organization_name"] = serde_json::Value::Null;
    second["invite_token"] = json!(invite_token);
    let (s, joined) = srv.post("/api/v1/auth/register", None, second).await;
    assert_eq!(s, 201, "{joined}");
    assert_eq!(joined["organization"]["id"], org.as_str());
    assert_eq!(joined["organization"]["role"], "editor");

    let (s, members) = srv.get(&format!("/api/v1/orgs/{org}/members"), Some(&token)).await;
    assert_eq!(s, 200);
    assert_eq!(members["items"].as_array().unwrap().len(), 2);
    let (s, audit) = srv.get(&format!("/api/v1/orgs/{org}/audit-log"), Some(&token)).await;
    assert_eq!(s, 200, "{audit}");
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    for expected in ["organization.create", "invite.create", "invite.accept"] {
        assert!(actions.contains(&expected), "{expected} not in {actions:?}");
    }

    // Forgot / reset through the outbox, as a self-hoster without SMTP would.
    let (s, _) = srv.post("/api/v1/auth/password/forgot", None, json!({"email": "owner@example.com"})).await;
    assert_eq!(s, 202);
    let reset_token = token_from_outbox(dir.path(), &env, "owner@example.com");
    let (s, body) =
        srv.post("/api/v1/auth/password/reset", None, json!({"token": reset_token, "password": NEW_PASSWORD})).await;
    assert_eq!(s, 204, "{body}");
    let (s, _) = srv.get("/api/v1/me", Some(&token)).await;
    assert_eq!(s, 401, "a reset signs every session out");
    let (s, _) =
        srv.post("/api/v1/auth/login", None, json!({"email": "owner@example.com", "password": NEW_PASSWORD})).await;
    assert_eq!(s, 200);
    let (s, _) = srv.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(s, 200);

    let log = srv.stop();
    assert!(log.lines().count() > 10, "the server logged its requests");
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        assert!(serde_json::from_str::<serde_json::Value>(line).is_ok(), "not JSON: {line}");
    }
    let secrets = [
        PASSWORD.to_string(),
        NEW_PASSWORD.to_string(),
        token.clone(),
        login["refresh_token"].as_str().unwrap().to_string(),
        refreshed["access_token"].as_str().unwrap().to_string(),
        refreshed["refresh_token"].as_str().unwrap().to_string(),
        reg["access_token"].as_str().unwrap().to_string(),
        invite_token,
        reset_token,
    ];
    for secret in &secrets {
        assert!(!log.contains(secret.as_str()), "a secret leaked into the log: {secret}");
    }
    let stored = std::fs::read_to_string(data.join("secrets.json")).unwrap();
    let jwt_secret =
        serde_json::from_str::<serde_json::Value>(&stored).unwrap()["jwt_secret"].as_str().unwrap().to_string();
    assert!(!log.contains(&jwt_secret), "the signing key leaked into the log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_and_whole_flow_sqlite() {
    first_run_and_whole_flow(false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_and_whole_flow_postgres() {
    first_run_and_whole_flow(true).await
}

async fn admin_commands(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let mut env = Vec::new();
    if let Some(url) = database(postgres).await {
        env.push(("SELLCAST_DATABASE_URL", url));
    }
    let (code, out, err) = run(dir.path(), &["migrate"], &env);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("up to date"));
    let (code, out, err) = run(
        dir.path(),
        &[
            "admin",
            "create-user",
            "--email",
            "Root@Example.com",
            "--name",
            "Root",
            "--org",
            "Root Org",
            "--instance-admin",
        ],
        &[env.clone(), vec![("SELLCAST_ADMIN_PASSWORD", PASSWORD.to_string())]].concat(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("root@example.com"), "{out}");
    let (code, _, err) = run(
        dir.path(),
        &["admin", "create-user", "--email", "x@example.com", "--name", "X", "--password", "weak"],
        &env,
    );
    assert_eq!(code, 1);
    assert!(err.contains("password"), "{err}");
    let (code, out, _) = run(dir.path(), &["admin", "list-orgs"], &env);
    assert_eq!(code, 0);
    assert!(out.contains("Root Org") && out.contains("  1  "), "{out}");
    let (code, out, _) = run(dir.path(), &["admin", "list-users"], &env);
    assert_eq!(code, 0);
    assert!(out.contains("root@example.com") && out.contains("yes"), "{out}");
    let (code, _, err) =
        run(dir.path(), &["admin", "reset-password", "--email", "root@example.com", "--password", NEW_PASSWORD], &env);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(
        dir.path(),
        &["admin", "reset-password", "--email", "nobody@example.com", "--password", NEW_PASSWORD],
        &env,
    );
    assert_eq!(code, 1);
    assert!(err.contains("not found"), "{err}");
    let (code, out, _) = run(dir.path(), &["admin", "outbox"], &env);
    assert_eq!(code, 0);
    assert!(out.contains("empty"), "{out}");

    let srv = Server::start(dir.path(), &env);
    let (s, _) = srv.post("/api/v1/auth/login", None, json!({"email": "root@example.com", "password": PASSWORD})).await;
    assert_eq!(s, 401, "the old password is gone");
    let (s, body) =
        srv.post("/api/v1/auth/login", None, json!({"email": "root@example.com", "password": NEW_PASSWORD})).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["user"]["is_instance_admin"], true);
    srv.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_commands_sqlite() {
    admin_commands(false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_commands_postgres() {
    admin_commands(true).await
}
