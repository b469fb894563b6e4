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

#[tokio::test]
async fn an_index_left_in_several_segments_is_compacted_once_the_server_is_idle() {
    // `pepite import` exits once its commit is searchable, before any merge could finish.
    let dir = tempfile::tempdir().unwrap();
    let settings = test_settings(dir.path()).await;
    let generated = cli(&settings, &["generate", "--companies", "1000", "--seed", "7"]);
    let file = dir.path().join("generated.json");
    std::fs::write(&file, &generated.stdout).unwrap();
    let output = cli(&settings, &["import", file.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    let app = spawn_app_with(dir, settings).await;
    let opened = app.kb.index().status();
    assert!(opened.segments > 1, "the import left several segments: {opened:?}");
    let waited = std::time::Instant::now();
    while app.kb.index().status().segments > 1 {
        assert!(waited.elapsed() < std::time::Duration::from_secs(60), "{:?}", app.kb.index().status());
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(app.kb.index().status().documents, opened.documents, "merging keeps every document");
    let data = app.data(r#"{ search(query: "photovoltaïque") { totalCount } }"#, json!({})).await;
    assert!(data["search"]["totalCount"].as_u64().unwrap() > 0, "{data}");
}
