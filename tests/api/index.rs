//! The index's lifecycle: rebuilt when missing or unreadable, and by `pepite reindex`.

use serde_json::json;

use crate::helpers::{cli, repo_root, spawn_app_with, test_settings};

const COUNTS: &str = r#"{ companies { totalCount } search(query: "fuel analysis", kinds: [COMPANY]) { totalCount edges { node { slug } } } }"#;

async fn imported_dir() -> (tempfile::TempDir, pepite::config::Settings) {
    let dir = tempfile::tempdir().unwrap();
    let settings = test_settings(dir.path()).await;
    let seed = repo_root().join("seed/knowledge-base.json");
    let output = cli(&settings, &["import", seed.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    (dir, settings)
}

#[tokio::test]
async fn a_missing_index_is_rebuilt_from_the_database() {
    let (dir, settings) = imported_dir().await;
    std::fs::remove_dir_all(settings.index_dir()).unwrap();

    let app = spawn_app_with(dir, settings).await;

    let data = app.data(COUNTS, json!({})).await;
    assert_eq!(data["search"]["edges"][0]["node"]["slug"], "sp3h");
}

#[tokio::test]
async fn an_unreadable_index_is_rebuilt_from_the_database() {
    let (dir, settings) = imported_dir().await;
    std::fs::write(settings.index_dir().join("meta.json"), "{ not json").unwrap();

    let app = spawn_app_with(dir, settings).await;

    let data = app.data(COUNTS, json!({})).await;
    assert_eq!(data["search"]["edges"][0]["node"]["slug"], "sp3h");
}

#[tokio::test]
async fn reindex_rebuilds_the_index() {
    let (dir, settings) = imported_dir().await;
    for entry in std::fs::read_dir(settings.index_dir()).unwrap().flatten() {
        if entry.path().extension().is_some_and(|e| e == "store") {
            std::fs::remove_file(entry.path()).unwrap();
        }
    }

    let output = cli(&settings, &["reindex"]);

    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stderr).contains("search index rebuilt"));
    let app = spawn_app_with(dir, settings).await;
    let data = app.data(COUNTS, json!({})).await;
    assert_eq!(data["companies"]["totalCount"], 2);
    assert_eq!(data["search"]["totalCount"], 1);
}
