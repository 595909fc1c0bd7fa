//! The binary refuses a `SELLCAST_*` variable it does not know, naming the closest setting,
//! and starts with the variables that belong to the CLI and the test harnesses.

use crate::support::*;

#[test]
fn a_mistyped_variable_stops_the_start_naming_the_closest_key() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(dir.path(), &["migrate"], &[("SELLCAST_DATABSE_URL", "sqlite://elsewhere.db".into())]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("SELLCAST_DATABSE_URL") && err.contains("did you mean SELLCAST_DATABASE_URL?"), "{err}");
    assert!(!dir.path().join("sellcast-data").exists(), "a refused start leaves nothing behind");
}

#[test]
fn the_cli_and_harness_variables_are_not_settings() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("SELLCAST_LOG", "warn".to_string()),
        ("SELLCAST_ADMIN_PASSWORD", "Very-Secret-Pass-42".to_string()),
        ("SELLCAST_DEMO_PASSWORD", "Very-Secret-Pass-42".to_string()),
        ("SELLCAST_TEST_S3S_FS", "/nowhere/s3s-fs".to_string()),
        ("SELLCAST_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres".to_string()),
    ];
    let (code, out, err) = run(dir.path(), &["migrate"], &env);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(dir.path().join("sellcast-data").exists(), "migrate ran");
}
