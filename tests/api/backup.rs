//! `pepite backup` while a server writes, and `pepite restore`: the restored server serves
//! exactly what the backup holds, its search index rebuilt.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use pepite::config::Settings;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, cli, spawn_app_with};

/// SQLite settings for a data directory, whatever `PEPITE_TEST_DATABASE_URL` says.
fn sqlite_settings(dir: &std::path::Path) -> Settings {
    let mut settings = Settings::with_data_dir(dir.join("data"));
    settings.admin_tokens = vec![ADMIN_TOKEN.to_string()];
    settings
}

/// Creates `burst-0`, `burst-1`, … one after another until told to stop; counts those acknowledged.
async fn write_burst(address: String, stop: Arc<AtomicBool>, acknowledged: Arc<AtomicUsize>) {
    let client = reqwest::Client::new();
    let create = "mutation($input: CreateCompanyInput!) { createCompany(input: $input) { id } }";
    for i in 0.. {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let input =
            json!({"slug": format!("burst-{i}"), "name": format!("Zephyrine {i}"), "stage": "STARTUP", "lang": "en"});
        let answer: Value = client
            .post(format!("{address}/graphql"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({"query": create, "variables": {"input": input}}))
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
        assert!(answer["data"]["createCompany"]["id"].is_string(), "{answer}");
        acknowledged.store(i + 1, Ordering::SeqCst);
    }
}

fn burst_slugs(export: &Value) -> Vec<String> {
    let companies = export["companies"].as_array().expect("companies");
    companies.iter().filter_map(|c| c["slug"].as_str()).filter(|s| s.starts_with("burst-")).map(String::from).collect()
}

fn export(settings: &Settings) -> Value {
    let out = cli(settings, &["export"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("an exported document")
}

#[tokio::test]
async fn a_backup_taken_during_a_write_burst_restores_exactly_what_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let backup_dir = dir.path().join("backup");
    let live = tempfile::tempdir().unwrap();
    let app = spawn_app_with(live, sqlite_settings(dir.path())).await;
    let (stop, acknowledged) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(0)));
    let burst = tokio::spawn(write_burst(app.address.clone(), stop.clone(), acknowledged.clone()));

    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = acknowledged.load(Ordering::SeqCst);
    let out = app.cli(&["backup", backup_dir.to_str().unwrap()]).await;
    let after = acknowledged.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);
    burst.await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let written = acknowledged.load(Ordering::SeqCst);

    let restored_dir = tempfile::tempdir().unwrap();
    let restored = sqlite_settings(restored_dir.path());
    let out = cli(&restored, &["restore", backup_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let server = spawn_app_with(restored_dir, restored.clone()).await;

    let restored_export = export(&restored);
    let slugs = burst_slugs(&restored_export);
    let held = slugs.len();
    assert!(
        before > 0 && held >= before && held <= after + 1,
        "{held} held; {before} acknowledged before, {after} after"
    );
    assert!(held < written, "the writes after the backup ({written} in all) are not in it");
    let mut expected: Vec<String> = (0..held).map(|i| format!("burst-{i}")).collect();
    let mut sorted = slugs.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected, "the backup holds the writes up to one moment, none missing");
    assert_eq!(restored_export, export(&sqlite_settings_at(&backup_dir)), "restore changes nothing of the backup");
    assert_eq!(
        export(&app.settings)["companies"].as_array().map(Vec::len),
        Some(restored_export["companies"].as_array().unwrap().len() + written - held)
    );

    let search = r#"{ search(query: "zephyrine", kinds: [COMPANY], first: 1) { totalCount } }"#;
    let mut found = Value::Null;
    for _ in 0..50 {
        found = server.data(search, json!({})).await["search"]["totalCount"].clone();
        if found == json!(held) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(found, json!(held), "the restored server's rebuilt index finds every backed-up company");
}

#[test]
fn restore_refuses_a_directory_that_is_not_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let settings = sqlite_settings(dir.path());
    let out = cli(&settings, &["restore", dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a backup"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Settings whose data directory is the given one.
fn sqlite_settings_at(data_dir: &std::path::Path) -> Settings {
    let mut settings = Settings::with_data_dir(data_dir);
    settings.admin_tokens = vec![ADMIN_TOKEN.to_string()];
    settings
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with PEPITE_TEST_DATABASE_URL and --include-ignored"]
async fn a_postgresql_database_restored_with_pg_restore_is_served_from_a_fresh_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = sqlite_settings(dir.path());
    settings.database_url = Some(crate::helpers::postgres_database_url().await);
    let app = spawn_app_with(tempfile::tempdir().unwrap(), settings.clone()).await;
    for i in 0..5 {
        let input =
            json!({"slug": format!("dumped-{i}"), "name": format!("Quillwort {i}"), "stage": "SME", "lang": "en"});
        let create = "mutation($input: CreateCompanyInput!) { createCompany(input: $input) { id } }";
        app.mutate_ok(create, json!({"input": input})).await;
    }
    let dump = dir.path().join("pepite.dump");
    let source = settings.database_url.clone().unwrap();
    let dumped = std::process::Command::new("pg_dump")
        .args(["--format=custom", "--file", dump.to_str().unwrap(), &source])
        .output()
        .expect("run pg_dump");
    assert!(dumped.status.success(), "{}", String::from_utf8_lossy(&dumped.stderr));

    let target = crate::helpers::postgres_database_url().await;
    let restored = std::process::Command::new("pg_restore")
        .args(["--no-owner", "--dbname", &target, dump.to_str().unwrap()])
        .output()
        .expect("run pg_restore");
    assert!(restored.status.success(), "{}", String::from_utf8_lossy(&restored.stderr));
    let fresh = tempfile::tempdir().unwrap();
    let mut restored_settings = sqlite_settings(fresh.path());
    restored_settings.database_url = Some(target);
    let server = spawn_app_with(fresh, restored_settings.clone()).await;

    assert_eq!(export(&restored_settings), export(&settings), "the restored database holds every entity");
    let search = r#"{ search(query: "quillwort", kinds: [COMPANY], first: 10) { totalCount } }"#;
    let mut found = Value::Null;
    for _ in 0..50 {
        found = server.data(search, json!({})).await["search"]["totalCount"].clone();
        if found == json!(5) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(found, json!(5), "the fresh data directory's index is rebuilt from the restored database");
}
