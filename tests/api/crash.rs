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

    // The later delays let the import finish on a fast machine; the shorter ones, tried only while
    // no kill has landed before the import ended, make sure that one does on any machine.
    let mut outcomes = Vec::new();
    let delays = [150, 400, 800, 1_500, 3_000, 6_000, 60, 20, 5];
    for (attempt, delay_ms) in delays.into_iter().enumerate() {
        if attempt >= 6 && outcomes.iter().any(|outcome: &Outcome| outcome.interrupted) {
            break;
        }
        outcomes.push(kill_an_import_after(&file, delay_ms).await);
    }
    let report: Vec<String> = outcomes
        .iter()
        .map(|o| {
            format!("{} ms: {}, {} companies", o.delay_ms, if o.interrupted { "killed" } else { "done" }, o.companies)
        })
        .collect();
    eprintln!("kill delay, whether the kill ended the import, companies after restart: {report:?}");
    assert!(
        outcomes.iter().any(|outcome| outcome.interrupted),
        "no kill landed before the import ended, in {} tries: {report:?}",
        outcomes.len()
    );
}

/// What one import killed after a delay left behind.
struct Outcome {
    delay_ms: u64,
    /// The kill ended the import: it had not exited on its own yet.
    interrupted: bool,
    companies: serde_json::Value,
}

/// Imports `file` into a fresh knowledge base, kills the import with SIGKILL after `delay_ms`,
/// restarts on what it left, and checks that the index agrees with the database.
async fn kill_an_import_after(file: &std::path::Path, delay_ms: u64) -> Outcome {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    let settings = test_settings(dir.path()).await;
    let mut child = cli_command(&settings, &["import", file.to_str().unwrap()]).spawn().unwrap();
    tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    let _ = child.kill(); // SIGKILL: no cleanup runs
    let status = child.wait().unwrap();
    let interrupted = status.signal() == Some(SIGKILL);
    assert!(interrupted || status.success(), "the import failed on its own after {delay_ms} ms: {status}");

    let app = spawn_app_with(dir, settings).await;
    let data =
        app.data(r#"{ companies { totalCount } search(query: "", kinds: [COMPANY]) { totalCount } }"#, json!({})).await;
    let (in_db, in_index) = (data["companies"]["totalCount"].clone(), data["search"]["totalCount"].clone());
    assert_eq!(in_db, in_index, "after a kill at {delay_ms} ms, the index disagrees with the database");
    Outcome { delay_ms, interrupted, companies: in_db }
}

/// SIGKILL's number on Linux and every other Unix.
const SIGKILL: i32 = 9;

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
