//! What an operator relies on: health and readiness, logs, audit, metrics, and honest answers
//! while the database is unreachable.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::{
    ADMIN_TOKEN, NEEDS_POSTGRES, ServerProcess, TestApp, postgres_database_url, spawn_app, spawn_app_with,
    test_settings,
};

async fn get_json(app: &TestApp, path: &str) -> (u16, Value) {
    let response = app.client.get(format!("{}{path}", app.address)).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Polls `path` until it answers `status`, for at most `within`.
async fn wait_for_status(app: &TestApp, path: &str, status: u16, within: Duration) -> Value {
    let started = Instant::now();
    loop {
        let (got, body) = get_json(app, path).await;
        if got == status {
            return body;
        }
        assert!(started.elapsed() < within, "{path} still answers {got} after {within:?}: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn health_reports_database_entities_and_index_and_ready_follows_the_database() {
    let app = spawn_app().await;

    let (status, health) = get_json(&app, "/health").await;
    assert_eq!(status, 200);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["database"]["status"], "up");
    assert_eq!(health["entities"]["company"], 2, "{health}");
    assert!(health["index"]["documents"].as_u64().unwrap() > 0, "{health}");
    assert!(health["index"]["position"].is_i64() && health["index"]["bytes"].as_u64().unwrap() > 0, "{health}");
    assert_eq!(health["index"]["facetMemoryBytes"], 0, "no facet counted yet: {health}");
    app.data("{ search(query: \"echy\") { totalCount facets { stage { value count } } } }", json!({})).await;
    let (_, health) = get_json(&app, "/health").await;
    assert!(health["index"]["facetMemoryBytes"].as_u64().unwrap() > 0, "the stages' ordinals are kept: {health}");
    assert_eq!(get_json(&app, "/ready").await, (200, json!({"status": "ready"})));

    app.kb.database().clone().close().await.unwrap();
    let body = wait_for_status(&app, "/ready", 503, Duration::from_secs(5)).await;
    assert_eq!(body, json!({"status": "unavailable"}), "no error details");
    let (status, health) = get_json(&app, "/health").await;
    assert_eq!((status, &health["database"]["status"]), (200, &json!("unavailable")), "alive, and says why not ready");
    assert!(!health.to_string().to_lowercase().contains("error"), "{health}");
}

#[tokio::test]
async fn logs_are_plain_lines_with_access_and_audit_and_never_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let settings = test_settings(dir.path()).await;
    for format in ["json", "text"] {
        let log_path = dir.path().join(format!("{format}.log"));
        let log = std::fs::File::create(&log_path).unwrap();
        let secret = "s3cr3t-of-the-crm";
        let extra = ["--log-format", format, "--admin-token", &format!("crm:{secret}")];
        let mut server = ServerProcess::start_logging(&settings, &extra, 3 * 1024, log);
        let graphql = |token: Option<&str>, body: Value| {
            let mut request = server.client.post(format!("{}/graphql", server.address)).json(&body);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            request.send()
        };
        let listed = graphql(None, json!({"query": "query ListCompanies { companies { totalCount } }"})).await.unwrap();
        assert_eq!(listed.status(), 200);
        let slug = format!("logged-{format}");
        let create = format!(
            r#"mutation CreateOne {{ createCompany(input: {{slug: "{slug}", name: "Logged", stage: SME, lang: en}}) {{ id }} }}"#
        );
        let created: Value = graphql(Some(secret), json!({ "query": create })).await.unwrap().json().await.unwrap();
        assert!(created["errors"].is_null(), "{created}");
        let document = json!({"companies": [{"slug": format!("imported-{format}"), "name": "Imported", "stage": "SME", "lang": "en"}]});
        let import = json!({"query": "mutation($d: JSON!) { importKnowledgeBase(document: $d) { dryRun } }", "variables": {"d": document}});
        let imported: Value = graphql(Some(secret), import).await.unwrap().json().await.unwrap();
        assert!(imported["errors"].is_null(), "{imported}");
        server.stop();

        let text = std::fs::read_to_string(&log_path).unwrap();
        assert!(!text.contains('\u{1b}'), "no terminal escape codes in a redirected log:\n{text}");
        assert!(!text.contains(secret) && !text.contains(ADMIN_TOKEN), "a secret reached the log:\n{text}");
        let access = text.lines().find(|l| l.contains("pepite::access") && l.contains("ListCompanies"));
        let access = access.unwrap_or_else(|| panic!("an access line for the query:\n{text}"));
        assert!(access.contains("query") && access.contains("200"), "{access}");
        let audit = text.lines().find(|l| l.contains("pepite::audit") && l.contains("crm"));
        let audit = audit.unwrap_or_else(|| panic!("an audit line naming the token crm:\n{text}"));
        assert!(audit.contains("create") && audit.contains("COMPANY"), "{audit}");
        let import = text.lines().find(|l| l.contains("pepite::audit") && l.contains("import") && l.contains("crm"));
        let import = import.unwrap_or_else(|| panic!("an audit line for the import:\n{text}"));
        assert!(import.contains("COMPANY:") && import.contains("1 created"), "the ids and counts it wrote: {import}");
        if format == "json" {
            for line in text.lines() {
                let parsed: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                assert!(parsed["level"].is_string() && parsed["target"].is_string(), "{line}");
            }
            let access: Value = serde_json::from_str(access).unwrap();
            assert_eq!((access["operation"].as_str(), access["kind"].as_str()), (Some("ListCompanies"), Some("query")));
            let audit: Value = serde_json::from_str(audit).unwrap();
            assert_eq!((audit["actor"].as_str(), audit["action"].as_str()), (Some("crm"), Some("create")));
        }
    }
}

#[tokio::test]
async fn metrics_are_scraped_from_their_own_listener() {
    let dir = tempfile::tempdir().unwrap();
    let settings = test_settings(dir.path()).await;
    let server = ServerProcess::start(&settings, &["--metrics-listen", "127.0.0.1:0"], 3 * 1024);
    let metrics = server.metrics.clone().expect("a metrics listener");
    for query in ["{ companies { totalCount } }", "{ search(query: \"solar\") { totalCount } }", "{ nope }"] {
        server
            .client
            .post(format!("{}/graphql", server.address))
            .json(&json!({ "query": query }))
            .send()
            .await
            .unwrap();
    }

    let scraped = server.client.get(format!("{metrics}/metrics")).send().await.unwrap();
    assert_eq!(scraped.status(), 200);
    assert!(scraped.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = scraped.text().await.unwrap();
    for expected in [
        "pepite_requests_total{operation=\"query\",outcome=\"ok\"} 2",
        "pepite_graphql_errors_total{code=\"GRAPHQL_VALIDATION_FAILED\"} 1",
        "pepite_request_duration_seconds_bucket{operation=\"query\",le=\"0.5\"}",
        "pepite_request_duration_seconds_count{operation=\"query\"} 3",
        "pepite_requests_total{operation=\"query\",outcome=\"error\"} 1",
        "pepite_search_duration_seconds_count{kind=\"search\"} 1",
        "pepite_entities{kind=\"COMPANY\"} 2",
        "pepite_index_documents ",
        "pepite_index_position ",
        "pepite_index_facet_memory_bytes ",
        "pepite_db_pool_connections{state=\"idle\"}",
        "pepite_process_resident_memory_bytes ",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    let public = server.client.get(format!("{}/metrics", server.address)).send().await.unwrap();
    assert_eq!(public.status(), 404, "metrics are never served anonymously on the public port");
}

/// A TCP proxy of the test's own between Pépite and PostgreSQL, which the test cuts and restores.
struct Proxy {
    port: u16,
    cut: Arc<Mutex<bool>>,
    links: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(Mutex::new(false));
        let links: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let (cut_flag, all_links) = (cut.clone(), links.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else { return };
                if *cut_flag.lock().unwrap() {
                    continue; // dropped: the database is unreachable
                }
                let upstream = upstream.clone();
                all_links.lock().unwrap().push(tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                }));
            }
        });
        Proxy { port, cut, links }
    }

    /// Closes every connection and refuses new ones.
    fn cut(&self) {
        *self.cut.lock().unwrap() = true;
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        *self.cut.lock().unwrap() = false;
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with PEPITE_TEST_DATABASE_URL and --include-ignored"]
async fn a_database_outage_is_answered_503_and_recovery_needs_no_restart() {
    let url = postgres_database_url().await;
    let (before_host, rest) = url.split_once('@').unwrap();
    let (host_port, database) = rest.split_once('/').unwrap();
    let proxy = Proxy::start(host_port.to_string()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path()).await;
    settings.database_url = Some(format!("{before_host}@127.0.0.1:{}/{database}", proxy.port));
    let app = spawn_app_with(dir, settings).await;
    let read = "{ companies { totalCount nodes { name } } }";
    assert_eq!(app.data(read, json!({})).await["companies"]["totalCount"], 2);

    // Traffic in flight when the link is cut.
    let traffic = {
        let (client, address) = (app.client.clone(), app.address.clone());
        tokio::spawn(async move {
            for _ in 0..20 {
                let _ = client.post(format!("{address}/graphql")).json(&json!({"query": read})).send().await;
            }
        })
    };
    proxy.cut();
    let answered = |body: &Value| body.to_string();
    for (name, token, query) in [
        ("read", None, read.to_string()),
        (
            "write",
            Some(ADMIN_TOKEN),
            r#"mutation { createCompany(input: {slug: "during-outage", name: "During", stage: SME, lang: en}) { id } }"#
                .to_string(),
        ),
    ] {
        let started = Instant::now();
        let mut request = app.client.post(format!("{}/graphql", app.address)).json(&json!({ "query": query }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let took = started.elapsed();
        let status = response.status().as_u16();
        let retry_after = response.headers().contains_key("retry-after");
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 503, "{name}: {body}");
        assert!(retry_after, "{name}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE", "{name}: {body}");
        assert!(took < Duration::from_secs(8), "{name} answered in {took:?}");
        let text = answered(&body);
        for leak in ["5432", &proxy.port.to_string(), "127.0.0.1", "postgres", "onnection"] {
            assert!(!text.contains(leak), "{name}: {leak:?} leaked to the client: {text}");
        }
    }
    wait_for_status(&app, "/ready", 503, Duration::from_secs(5)).await;
    traffic.await.unwrap();

    proxy.restore();
    wait_for_status(&app, "/ready", 200, Duration::from_secs(15)).await;
    let document = pepite::kb::export::export(app.kb.database()).await.unwrap();
    assert!(document.companies.iter().all(|c| c.slug != "during-outage"), "the failed write left nothing behind");
    assert_eq!(app.data(read, json!({})).await["companies"]["totalCount"], 2, "reads work again without a restart");
    let created = app
        .mutate_ok(r#"mutation { createCompany(input: {slug: "after-outage", name: "After", stage: SME, lang: en}) { slug } }"#, json!({}))
        .await;
    assert_eq!(created["createCompany"]["slug"], "after-outage");
}

/// The indexer is held back with a table lock, which only PostgreSQL has.
#[tokio::test]
#[ignore = "needs PostgreSQL: run with PEPITE_TEST_DATABASE_URL and --include-ignored"]
async fn ready_answers_503_lagging_while_the_index_falls_behind_the_change_log() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path()).await;
    let url = settings.database_url.clone().expect(NEEDS_POSTGRES);
    settings.replication.max_index_lag = Duration::from_secs(1);
    let app = spawn_app_with(dir, settings).await;
    assert_eq!(get_json(&app, "/ready").await.0, 200);

    // Arrange: another session locks the company table, so the indexer cannot read the company
    // that a change (written as a write would) asks it to reindex.
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let db = sea_orm::Database::connect(&url).await.unwrap();
    let blocker = db.begin().await.unwrap();
    blocker.execute_unprepared("LOCK TABLE company IN ACCESS EXCLUSIVE MODE").await.unwrap();
    db.execute_unprepared(
        "INSERT INTO change (kind, entity_id, operation, slug, at) SELECT 'COMPANY', 1, 'UPDATED', 'sp3h', now(); \
         NOTIFY pepite_changes",
    )
    .await
    .unwrap();

    // Act and assert: not ready once the change has waited past the threshold, with the reason.
    let body = wait_for_status(&app, "/ready", 503, Duration::from_secs(10)).await;
    assert_eq!(body, json!({"status": "lagging"}));
    let (_, health) = get_json(&app, "/health").await;
    assert!(health["index"]["lagChanges"].as_u64().unwrap() >= 1, "{health}");
    assert!(health["index"]["lagSeconds"].as_f64().unwrap() > 1.0, "{health}");
    assert_eq!(health["database"]["status"], "up", "{health}");

    // Once the indexer can read again it catches up, and traffic may come back.
    blocker.rollback().await.unwrap();
    wait_for_status(&app, "/ready", 200, Duration::from_secs(20)).await;
    let (_, health) = get_json(&app, "/health").await;
    assert_eq!(health["index"]["lagChanges"], 0, "{health}");
}
