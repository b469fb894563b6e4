//! While the database is down, requests are answered `SERVICE_UNAVAILABLE` at once, never
//! `OVERLOADED`: they do not wait in the admission queue for a database that cannot answer.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{postgres_database_url, spawn_app_with, test_settings};
use crate::operations::Proxy;

#[tokio::test]
#[ignore = "needs PostgreSQL: run with PEPITE_TEST_DATABASE_URL and --include-ignored"]
async fn during_an_outage_requests_are_unavailable_at_once_not_overloaded() {
    let url = postgres_database_url().await;
    let (before_host, rest) = url.split_once('@').unwrap();
    let (host_port, database) = rest.split_once('/').unwrap();
    let proxy = Proxy::start(host_port.to_string()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path()).await;
    settings.database_url = Some(format!("{before_host}@127.0.0.1:{}/{database}", proxy.port));
    settings.limits.max_in_flight = Some(2);
    settings.limits.max_queue = 2;
    let app = spawn_app_with(dir, settings).await;
    let read = "{ companies { totalCount nodes { name } } }";
    assert_eq!(app.data(read, json!({})).await["companies"]["totalCount"], 2);

    proxy.cut();
    let cut = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..60 {
        let (client, address) = (app.client.clone(), app.address.clone());
        clients.spawn(async move {
            let started = Instant::now();
            let response =
                client.post(format!("{address}/graphql")).json(&json!({"query": read})).send().await.unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            (status, body["errors"][0]["extensions"]["code"].as_str().unwrap_or("").to_string(), started.elapsed())
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut codes = Vec::new();
    while let Some(answer) = clients.join_next().await {
        let (status, code, took) = answer.unwrap();
        assert_eq!(status, 503, "{code}");
        assert!(took < Duration::from_secs(5), "a {code} answer took {took:?}");
        codes.push(code);
    }
    assert!(codes.iter().all(|code| code == "SERVICE_UNAVAILABLE"), "{codes:?}");
    assert!(cut.elapsed() < Duration::from_secs(10), "the outage's answers took {:?} in all", cut.elapsed());

    proxy.restore();
    let mut total = Value::Null;
    for _ in 0..50 {
        total = app.graphql(read, json!({})).await["data"]["companies"]["totalCount"].clone();
        if total == json!(2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(total, json!(2), "the circuit closes once the database answers again, without a restart");
}
