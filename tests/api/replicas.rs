//! Several replicas over one database: the change log every index follows, its retention, commit
//! order on PostgreSQL, and three `pepite serve` processes converging.

use std::time::{Duration, Instant};

use entity::EntityKind;
use entity::change;
use pepite::changelog::{self, Operation, Touched};
use pepite::config::Settings;
use pepite::kb::IndexSource;
use pepite::search::{Following, SearchIndex};
use sea_orm::{ColumnTrait, Database, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, ServerProcess, fresh_database_url, postgres_database_url, require_tool, spawn_app};

const CREATE_COMPANY: &str = "mutation($input: CreateCompanyInput!) { createCompany(input: $input) { id } }";

#[tokio::test]
async fn every_write_is_logged_with_its_operation_and_stays_after_the_index_applied_it() {
    let app = spawn_app().await;
    let input = json!({"input": {"slug": "logged-co", "name": "Logged Co", "stage": "STARTUP", "lang": "fr"}});
    let id = app.mutate_ok(CREATE_COMPANY, input).await["createCompany"]["id"].clone();
    app.mutate_ok(
        "mutation($id: ID!) { updateCompany(id: $id, input: {name: \"Logged Company\"}) { id } }",
        json!({"id": id}),
    )
    .await;
    app.mutate_ok("mutation($id: ID!) { deleteCompany(id: $id) }", json!({"id": id})).await;

    let rows = change::Entity::find()
        .filter(change::Column::Slug.eq("logged-co"))
        .order_by_asc(change::Column::Seq)
        .all(app.kb.database())
        .await
        .unwrap();
    let operations: Vec<&str> = rows.iter().map(|r| r.operation.as_str()).collect();
    assert_eq!(operations, ["CREATED", "UPDATED", "DELETED"]);
    assert!(rows.iter().all(|r| r.kind == EntityKind::Company));
    let seeded =
        change::Entity::find().filter(change::Column::Operation.eq("CREATED")).all(app.kb.database()).await.unwrap();
    assert_eq!(seeded.len(), 23, "the seed's 22 entities and the created company, one entry each");
    assert_eq!(app.kb.index().status().position, changelog::position(app.kb.database()).await.unwrap());
}

/// Opens a second index on the same database, retrying while the previous owner of `dir` lets go.
async fn open_replica(db: &sea_orm::DatabaseConnection, dir: &std::path::Path) -> SearchIndex {
    let following = Following { replica: "second".into(), retention: Duration::from_secs(3600) };
    for _ in 0..100 {
        match SearchIndex::open_following(db.clone(), dir, following.clone(), IndexSource::shared()).await {
            Ok(index) => return index,
            Err(pepite::error::AppError::Conflict { .. }) => tokio::time::sleep(Duration::from_millis(20)).await,
            Err(err) => panic!("open the second index: {err:?}"),
        }
    }
    panic!("the second index stayed locked")
}

#[tokio::test]
async fn a_replica_behind_the_pruned_log_rebuilds_its_index_from_the_database() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let behind = open_replica(app.kb.database(), dir.path()).await;
    let position = behind.status().position;
    drop(behind);

    for i in 0..3 {
        let input = json!({"input": {"slug": format!("later-{i}"), "name": format!("Later {i}"), "stage": "STARTUP", "lang": "fr"}});
        app.mutate_ok(CREATE_COMPANY, input).await;
    }
    let low_water = changelog::prune(app.kb.database(), Duration::ZERO).await.unwrap().expect("pruned");
    assert!(low_water > position, "the entries the stopped replica needs are gone");
    assert_eq!(changelog::low_water(app.kb.database()).await.unwrap(), low_water);
    assert_eq!(change::Entity::find().all(app.kb.database()).await.unwrap().len(), 1, "the newest entry is kept");

    let reopened = open_replica(app.kb.database(), dir.path()).await;
    let status = reopened.status();
    assert_eq!(status.documents, app.kb.index().status().documents, "rebuilt with every entity");
    assert_eq!(status.position, changelog::position(app.kb.database()).await.unwrap());
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with PEPITE_TEST_DATABASE_URL and --include-ignored"]
async fn on_postgresql_positions_are_handed_out_in_commit_order() {
    let url = postgres_database_url().await;
    let db = Database::connect(&url).await.unwrap();
    pepite::startup::migrate(&db).await.unwrap();
    let before = changelog::position(&db).await.unwrap();

    // The first transaction appends, and does not commit yet.
    let first = db.begin().await.unwrap();
    changelog::record(&first, [Touched::Deleted(EntityKind::Company, 1, "first".into())]).await.unwrap();
    // The second one appends and commits meanwhile: without the append lock it would take the
    // next position and commit first, and a reader would pass over the first one's for good.
    let second = {
        let db = db.clone();
        tokio::spawn(async move {
            let txn = db.begin().await.unwrap();
            changelog::record(&txn, [Touched::Deleted(EntityKind::Company, 2, "second".into())]).await.unwrap();
            txn.commit().await.unwrap();
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!second.is_finished(), "the second append waits for the first transaction");
    assert!(changelog::after(&db, before, 10).await.unwrap().changes.is_empty(), "nothing committed yet");

    first.commit().await.unwrap();
    second.await.unwrap();
    let slugs: Vec<String> =
        changelog::after(&db, before, 10).await.unwrap().changes.into_iter().map(|c| c.slug).collect();
    assert_eq!(slugs, ["first", "second"], "log order is commit order");
    let operations = changelog::after(&db, before, 10).await.unwrap().changes;
    assert!(operations.iter().all(|c| c.operation == Operation::Deleted));
}

/// A `pepite serve` replica on a shared PostgreSQL database, with a data directory of its own.
struct Replica {
    server: ServerProcess,
    settings: Settings,
}

impl Replica {
    fn start(url: &str, dir: &std::path::Path, name: &str) -> Replica {
        let mut settings = Settings::with_data_dir(dir.join(name));
        settings.database_url = Some(url.to_string());
        let server = ServerProcess::start(&settings, &["--replica", name], 4096);
        Replica { server, settings }
    }

    fn restart(&mut self, name: &str) {
        self.server = ServerProcess::start(&self.settings, &["--replica", name], 4096);
    }

    async fn post(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self.server.client.post(format!("{}/graphql", self.server.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.json(&json!({"query": query, "variables": variables})).send().await.unwrap().json().await.unwrap()
    }

    /// Creates a company, coming back later when the replica answers `OVERLOADED` (as the README
    /// tells clients to do): a burst may queue more writes than one replica takes at once.
    async fn create(&self, slug: &str, name: &str) {
        let input = json!({"input": {"slug": slug, "name": name, "stage": "STARTUP", "lang": "fr"}});
        for _ in 0..50 {
            let response = self.post(Some(ADMIN_TOKEN), CREATE_COMPANY, input.clone()).await;
            if response["errors"][0]["extensions"]["code"] == "OVERLOADED" {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            assert!(response.get("errors").is_none(), "{response}");
            return;
        }
        panic!("{slug}: still overloaded after 50 tries");
    }

    async fn found(&self, q: &str) -> u64 {
        let response = self
            .post(None, "query($q: String!) { search(query: $q, kinds: [COMPANY]) { totalCount } }", json!({"q": q}))
            .await;
        response["data"]["search"]["totalCount"].as_u64().unwrap_or(0)
    }

    async fn health(&self) -> Value {
        self.server.client.get(format!("{}/health", self.server.address)).send().await.unwrap().json().await.unwrap()
    }
}

/// Waits until every replica finds `expected` companies for `q`; returns how long it took.
async fn converge(replicas: &[&Replica], q: &str, expected: u64, within: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let mut counts = Vec::new();
        for replica in replicas {
            counts.push(replica.found(q).await);
        }
        if counts.iter().all(|&n| n == expected) {
            return start.elapsed();
        }
        assert!(start.elapsed() < within, "{q:?}: found {counts:?} of {expected} after {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with PEPITE_TEST_DATABASE_URL and --include-ignored"]
async fn three_replicas_on_one_postgresql_database_converge() {
    let url = postgres_database_url().await;
    let dir = tempfile::tempdir().unwrap();
    // The first replica migrates and seeds the empty database; the others start on it.
    let a = Replica::start(&url, dir.path(), "a");
    let b = Replica::start(&url, dir.path(), "b");
    let mut c = Replica::start(&url, dir.path(), "c");

    // A write through any replica is searchable on all of them.
    for (writer, name) in [(&a, "Kestrel"), (&b, "Marmot"), (&c, "Pelican")] {
        writer.create(&name.to_lowercase(), name).await;
        assert_eq!(writer.found(name).await, 1, "read-your-writes on the writing replica");
        converge(&[&a, &b, &c], name, 1, Duration::from_secs(2)).await;
    }

    // 150 concurrent creates spread over the three.
    let writes = (0..150).map(|i| {
        let writer = [&a, &b, &c][i % 3];
        async move { writer.create(&format!("burst-{i}"), &format!("Alphaburst {i}")).await }
    });
    let start = Instant::now();
    futures_util::future::join_all(writes).await;
    eprintln!("150 concurrent creates written in {:?}", start.elapsed());
    converge(&[&a, &b, &c], "Alphaburst", 150, Duration::from_secs(5)).await;

    // A replica killed mid-burst, then restarted, catches up.
    let burst = async {
        for i in 0..60 {
            let writer = [&a, &b][i % 2];
            writer.create(&format!("second-burst-{i}"), &format!("Betaburst {i}")).await;
        }
    };
    let kill = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        c.server.child.kill().unwrap();
        c.server.child.wait().unwrap();
    };
    tokio::join!(burst, kill);
    c.restart("c");
    converge(&[&a, &b, &c], "Betaburst", 60, Duration::from_secs(10)).await;

    // A replica started later builds its index and follows from there.
    let d = Replica::start(&url, dir.path(), "d");
    converge(&[&d], "Alphaburst", 150, Duration::from_secs(2)).await;
    d.create("late", "Latecomer").await;
    converge(&[&a, &b, &c, &d], "Latecomer", 1, Duration::from_secs(2)).await;

    // `pepite import` while the replicas run returns once every one of them has applied it.
    let document = dir.path().join("late.json");
    let late =
        json!({"companies": [{"slug": "imported-late", "name": "Importedlate", "stage": "STARTUP", "lang": "fr"}]});
    std::fs::write(&document, late.to_string()).unwrap();
    let mut cli_settings = Settings::with_data_dir(dir.path().join("cli"));
    cli_settings.database_url = Some(url.clone());
    let import = tokio::task::spawn_blocking(move || {
        crate::helpers::cli(&cli_settings, &["import", document.to_str().unwrap()])
    })
    .await
    .unwrap();
    assert!(import.status.success(), "{}", String::from_utf8_lossy(&import.stderr));
    assert!(
        !String::from_utf8_lossy(&import.stderr).contains("warning"),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    for replica in [&a, &b, &c, &d] {
        assert_eq!(replica.found("Importedlate").await, 1, "searchable everywhere when the import returns");
    }

    // Its health says who it is and that it is not behind (probed once a second).
    let start = Instant::now();
    loop {
        let health = d.health().await;
        assert_eq!(health["replica"], "d", "{health}");
        let index = &health["index"];
        if index["position"] == index["databasePosition"] && index["lagChanges"] == 0 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(3), "{health}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The npm `graphql-ws` client subscribes on one replica to changes made on another (on
/// PostgreSQL; on SQLite, one server plays both parts), then resumes with `after:`. Needs Node.js
/// and `npm ci --prefix tests/graphql-ws`.
#[tokio::test]
#[ignore = "needs Node.js and `npm ci --prefix tests/graphql-ws`: run with --include-ignored"]
async fn a_graphql_ws_subscriber_receives_changes_made_on_another_replica_and_resumes_after_a_position() {
    let client = crate::helpers::repo_root().join("tests/graphql-ws");
    require_tool(&client.join("node_modules/graphql-ws"), "run `npm ci --prefix tests/graphql-ws`");
    let dir = tempfile::tempdir().unwrap();
    let (writer, reader) = match fresh_database_url().await {
        Some(url) => {
            let a = Replica::start(&url, dir.path(), "a");
            let b = Replica::start(&url, dir.path(), "b");
            (a, Some(b))
        }
        None => {
            let settings = Settings::with_data_dir(dir.path().join("only"));
            let server = ServerProcess::start(&settings, &[], 4096);
            (Replica { server, settings }, None)
        }
    };
    let reader_address = reader.as_ref().map_or(&writer.server.address, |r| &r.server.address).clone();
    let mut node = std::process::Command::new("node");
    node.arg(client.join("subscribe.mjs")).arg(&writer.server.address).arg(&reader_address).arg(ADMIN_TOKEN);
    let output = tokio::task::spawn_blocking(move || node.output().expect("run node")).await.unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{report}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(report.starts_with("ok:"), "{report}");
}
