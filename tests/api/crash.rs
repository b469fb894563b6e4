//! A crash at any point of an import leaves, after restart, an index that agrees with the database.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{cli, cli_command, spawn_app_with, test_settings};

#[tokio::test]
async fn killing_an_import_at_any_point_leaves_index_and_database_in_agreement() {
    let source = tempfile::tempdir().unwrap();
    let generated = cli(&test_settings(source.path()).await, &["generate", "--companies", "4000", "--seed", "5"]);
    let file = source.path().join("kb.json");
    std::fs::write(&file, &generated.stdout).unwrap();

    let mut outcomes = Vec::new();
    for delay_ms in [150, 400, 800, 1_500, 3_000, 6_000] {
        let dir = tempfile::tempdir().unwrap();
        let settings = test_settings(dir.path()).await;
        let mut child = cli_command(&settings, &["import", file.to_str().unwrap()]).spawn().unwrap();
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        let _ = child.kill(); // SIGKILL: no cleanup runs
        let finished = child.wait().unwrap().success();

        let app = spawn_app_with(dir, settings).await;
        let data = app
            .data(r#"{ companies { totalCount } search(query: "", kinds: [COMPANY]) { totalCount } }"#, json!({}))
            .await;
        let (in_db, in_index) = (data["companies"]["totalCount"].clone(), data["search"]["totalCount"].clone());
        assert_eq!(in_db, in_index, "after a kill at {delay_ms} ms, the index disagrees with the database");
        outcomes.push((delay_ms, finished, in_db));
    }
    eprintln!("kill delay (ms), import finished, companies after restart: {outcomes:?}");
}

/// A process killed while it migrates a new database leaves no half-applied migration: the next
/// start migrates it (a column added twice was "duplicate column name" on SQLite).
#[tokio::test]
async fn killing_a_migration_at_any_point_leaves_a_database_the_next_start_migrates() {
    for delay_ms in (0..80).step_by(4) {
        let dir = tempfile::tempdir().unwrap();
        let settings = test_settings(dir.path()).await;
        let mut child = cli_command(&settings, &["migrate"]).spawn().unwrap();
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        let _ = child.kill();
        let _ = child.wait();
        let again = cli(&settings, &["migrate"]);
        let stderr = String::from_utf8_lossy(&again.stderr);
        assert!(again.status.success(), "after a kill at {delay_ms} ms, migrating again failed: {stderr}");
    }
}
