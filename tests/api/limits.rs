//! Load shedding, rate limits, deadlines and the cost of ordinary queries.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, TestApp, spawn_app, spawn_app_with, test_settings};

async fn app_with(limits: impl FnOnce(&mut pepite::config::Limits)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path()).await;
    limits(&mut settings.limits);
    spawn_app_with(dir, settings).await
}

async fn post(app: &TestApp, token: Option<&str>, query: &str) -> reqwest::Response {
    let mut request = app.client.post(format!("{}/graphql", app.address)).json(&json!({ "query": query }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("an answer")
}

const HEAVY_SEARCH: &str = "{ search(query: \"energie solaire fibre\", first: 100) { totalCount \
    facets { kind { value count } city { value count } } edges { highlights { field snippet } node { name } } } }";

#[tokio::test]
async fn a_burst_past_the_queue_is_shed_with_retry_after_and_health_stays_fast() {
    let app = app_with(|limits| {
        limits.max_in_flight = Some(2);
        limits.max_queue = 2;
        limits.queue_timeout = Duration::from_millis(200);
    })
    .await;

    let burst = (0..50).map(|_| post(&app, None, HEAVY_SEARCH));
    let health = async {
        tokio::time::sleep(Duration::from_millis(5)).await;
        let started = Instant::now();
        let response = app.client.get(format!("{}/health", app.address)).send().await.unwrap();
        (response.status().as_u16(), started.elapsed())
    };
    let (responses, (health_status, health_took)) = tokio::join!(futures_util::future::join_all(burst), health);

    assert_eq!(health_status, 200);
    assert!(health_took < Duration::from_secs(1), "/health took {health_took:?}");
    let (mut served, mut shed) = (0, 0);
    for response in responses {
        let status = response.status().as_u16();
        let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
        let body: Value = response.json().await.unwrap();
        match status {
            200 => {
                assert!(body["data"]["search"]["totalCount"].as_u64().is_some(), "{body}");
                served += 1;
            }
            503 => {
                assert_eq!(body["errors"][0]["extensions"]["code"], "OVERLOADED", "{body}");
                assert_eq!(retry_after.as_deref(), Some("1"));
                shed += 1;
            }
            other => panic!("unexpected status {other}: {body}"),
        }
    }
    assert!(served >= 2 && shed >= 1, "served {served}, shed {shed}");
}

#[tokio::test]
async fn each_client_is_rate_limited_on_its_own() {
    let app = app_with(|limits| limits.rate_limit = std::num::NonZeroU32::new(3)).await;

    let mut statuses = Vec::new();
    for _ in 0..5 {
        let response = post(&app, None, "{ __typename }").await;
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            assert!(response.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
        }
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    let with_token = post(&app, Some(ADMIN_TOKEN), "{ __typename }").await;
    assert_eq!(with_token.status(), 200, "a token's allowance is its own");
    assert_eq!(app.client.get(format!("{}/health", app.address)).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn past_the_deadline_reads_stop_and_writes_leave_nothing() {
    let app = app_with(|limits| limits.request_timeout = Duration::ZERO).await;

    let read = post(&app, None, "{ search(query: \"solar\") { totalCount } }").await;
    assert_eq!(read.status(), 504);
    let body: Value = read.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "TIMEOUT", "{body}");

    let write = post(
        &app,
        Some(ADMIN_TOKEN),
        r#"mutation { createCompany(input: {slug: "late", name: "Late", stage: STARTUP, lang: en}) { id } }"#,
    )
    .await;
    assert_eq!(write.status(), 504);
    let body: Value = write.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "TIMEOUT", "{body}");
    let document = pepite::kb::export::export(app.kb.database()).await.unwrap();
    assert!(document.companies.iter().all(|c| c.slug != "late"), "a write answered TIMEOUT was not committed");
    assert_eq!(post(&app, None, "{ __typename }").await.status(), 200, "what finishes at once still answers");
}

#[tokio::test]
async fn readme_sized_queries_and_introspection_fit_the_cost_limit() {
    let app = spawn_app().await;

    let introspection = include_str!("introspection.graphql");
    let data = app.data(introspection, json!({})).await;
    assert!(data["__schema"]["types"].as_array().unwrap().len() > 20);
    app.data(
        "{ companies(first: 100) { totalCount pageInfo { hasNextPage endCursor } \
           nodes { name site { name } technologies { name aliases } programmes { name } memberships { name } } } }",
        json!({}),
    )
    .await;
    app.data(
        "{ search(query: \"solar\", first: 20) { totalCount edges { score highlights { field snippet } \
           node { __typename slug name } } facets { kind { value count } domain { value count } \
           stage { value count } programmeKind { value count } city { value count } } } }",
        json!({}),
    )
    .await;
    let error = app
        .error(
            "{ companies(first: 100) { nodes { technologies { companies(first: 100) { nodes { name } } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "QUERY_TOO_COMPLEX");
}

#[tokio::test]
async fn thirty_two_concurrent_clients_queue_rather_than_fail_with_the_defaults() {
    let app = spawn_app().await;

    let burst = (0..32).map(|_| post(&app, None, HEAVY_SEARCH));
    let statuses: Vec<u16> =
        futures_util::future::join_all(burst).await.iter().map(|response| response.status().as_u16()).collect();
    assert!(statuses.iter().all(|&status| status == 200), "{statuses:?}");
}
