//! Writes under load: concurrent writers each find their own write, commits grouped, bulk
//! creates all or nothing, and a crash between a group's database commits and its index commit.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, ServerProcess, TestApp, spawn_app, test_settings};

const CREATE: &str = "mutation($i: CreateCompanyInput!) { createCompany(input: $i) { slug } }";
const CREATE_MANY: &str = "mutation($i: [CreateCompanyInput!]!) { createCompanies(inputs: $i) { slug name } }";
const FIND: &str =
    "query($q: String!) { search(query: $q, kinds: [COMPANY], first: 5) { totalCount edges { node { slug } } } }";

/// A company findable by one word that no other company holds.
fn company(tag: &str) -> Value {
    json!({"slug": format!("written-{tag}"), "name": format!("Écrite {tag}"), "stage": "SME", "lang": "fr",
        "description": format!("Repérable par zqmark{tag}.")})
}

/// The slugs a search for `word` finds.
async fn found(app: &TestApp, word: &str) -> Vec<String> {
    let data = app.data(FIND, json!({"q": word})).await;
    let edges = data["search"]["edges"].as_array().cloned().unwrap_or_default();
    edges.iter().filter_map(|e| e["node"]["slug"].as_str().map(String::from)).collect()
}

/// The index's commits since the server opened it, from `/health`.
async fn commits(app: &TestApp) -> u64 {
    let health: Value = app.client.get(format!("{}/health", app.address)).send().await.unwrap().json().await.unwrap();
    health["index"]["commits"].as_u64().expect("/health reports the index's commits")
}

#[tokio::test]
async fn concurrent_writers_each_find_their_own_write_as_soon_as_it_returns_in_fewer_commits() {
    let app = std::sync::Arc::new(spawn_app().await);
    let before = commits(&app).await;
    let (writers, each) = (16, 4);
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let app = app.clone();
            tokio::spawn(async move {
                for i in 0..each {
                    let tag = format!("c{w}x{i}");
                    app.mutate_ok(CREATE, json!({"i": company(&tag)})).await;
                    let first = found(&app, &format!("zqmark{tag}")).await.into_iter().next();
                    assert_eq!(first, Some(format!("written-{tag}")), "{tag} is the first hit");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a writer failed");
    }
    let grouped = commits(&app).await - before;
    assert!(grouped > 0, "the writes were committed to the index");
    assert!(
        grouped < writers * each,
        "{} writes from {writers} concurrent writers took {grouped} index commits: none was shared",
        writers * each
    );
}

#[tokio::test]
async fn a_bulk_create_writes_every_company_in_one_index_commit() {
    let app = spawn_app().await;
    let before = commits(&app).await;
    let inputs: Vec<Value> = (0..50).map(|i| company(&format!("b{i}"))).collect();
    let data = app.mutate_ok(CREATE_MANY, json!({"i": inputs})).await;
    let slugs: Vec<&str> =
        data["createCompanies"].as_array().unwrap().iter().map(|c| c["slug"].as_str().unwrap()).collect();
    let expected: Vec<String> = (0..50).map(|i| format!("written-b{i}")).collect();
    assert_eq!(slugs, expected, "the answer lists the companies in the order given");
    assert_eq!(data["createCompanies"][7]["name"], "Écrite b7");
    for i in [0, 21, 49] {
        let first = found(&app, &format!("zqmarkb{i}")).await.into_iter().next();
        assert_eq!(first, Some(format!("written-b{i}")));
    }
    assert_eq!(commits(&app).await - before, 1, "one index commit for the whole list");
}

#[tokio::test]
async fn a_bulk_create_with_one_bad_item_writes_nothing_and_names_the_item() {
    let app = spawn_app().await;
    let count = "{ companies { totalCount } }";
    let companies = app.data(count, json!({})).await["companies"]["totalCount"].clone();

    let mut unknown_technology = company("bad1");
    unknown_technology["technologies"] = json!(["no-such-technology"]);
    let inputs = json!([company("ok0"), unknown_technology, company("ok2")]);
    let error = app.mutate(CREATE_MANY, json!({"i": inputs})).await["errors"][0].clone();
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error:#}");
    let fields: Vec<&str> =
        error["extensions"]["problems"].as_array().unwrap().iter().filter_map(|p| p["path"].as_str()).collect();
    assert!(fields.iter().all(|f| f.starts_with("inputs[1].technologies")), "{error:#}");

    let twice = json!([company("dup"), company("dup")]);
    let error = app.mutate(CREATE_MANY, json!({"i": twice})).await["errors"][0].clone();
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error:#}");
    assert!(error.to_string().contains("inputs[1].slug"), "the second of two equal slugs is named: {error:#}");

    let mut taken = company("taken");
    taken["slug"] = json!("sp3h");
    let error = app.mutate(CREATE_MANY, json!({"i": [company("ok3"), taken]})).await["errors"][0].clone();
    assert_eq!(error["extensions"]["code"], "CONFLICT", "{error:#}");
    assert_eq!(error["extensions"]["field"], "inputs[1].slug", "{error:#}");

    let too_many: Vec<Value> =
        (0..1001).map(|i| json!({"slug": format!("n{i}"), "name": "N", "stage": "SME", "lang": "fr"})).collect();
    let error = app
        .mutate("mutation($i: [CreateCompanyInput!]!) { createCompanies(inputs: $i) { id } }", json!({"i": too_many}))
        .await["errors"][0]
        .clone();
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error:#}");

    assert_eq!(app.data(count, json!({})).await["companies"]["totalCount"], companies, "nothing was written");
    for tag in ["ok0", "ok2", "ok3", "dup"] {
        assert!(found(&app, &format!("zqmark{tag}")).await.is_empty(), "{tag} is not in the index");
    }
}

#[tokio::test]
async fn a_bulk_create_needs_a_token_and_counts_against_the_cost_limit() {
    let app = spawn_app().await;
    let refused = app.graphql(CREATE_MANY, json!({"i": [company("anon")]})).await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{refused:#}");

    // Each item's price and what it selects: technologies' names for a thousand companies.
    let query = "mutation($i: [CreateCompanyInput!]!) { createCompanies(inputs: $i) { technologies { name } } }";
    let inputs: Vec<Value> = (0..1000).map(|i| company(&format!("cost{i}"))).collect();
    let refused = app.mutate(query, json!({"i": inputs})).await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX", "{refused:#}");
}

/// SIGKILLs a server while writers keep it busy, restarts it on what it left, and checks that
/// every acknowledged write is searchable and the index holds one document per entity.
#[tokio::test]
async fn a_crash_between_database_commits_and_their_index_commit_loses_no_write() {
    let dir = tempfile::tempdir().unwrap();
    let settings = test_settings(dir.path()).await;
    let mut replayed = Vec::new();
    let mut acknowledged: Vec<String> = Vec::new();
    for round in 0..3 {
        let log = dir.path().join(format!("serve-{round}.log"));
        let mut server = ServerProcess::start_logging(&settings, &[], 3 * 1024, std::fs::File::create(&log).unwrap());
        let url = format!("{}/graphql", server.address);
        let writers: Vec<_> = (0..8)
            .map(|w| {
                let (client, url) = (reqwest::Client::new(), url.clone());
                tokio::spawn(async move {
                    let mut done = Vec::new();
                    for i in 0.. {
                        let tag = format!("k{round}x{w}x{i}");
                        let body = json!({"query": CREATE, "variables": {"i": company(&tag)}});
                        let Ok(response) = client.post(&url).bearer_auth(ADMIN_TOKEN).json(&body).send().await else {
                            return done;
                        };
                        let Ok(answer) = response.json::<Value>().await else { return done };
                        if answer["data"]["createCompany"]["slug"].is_string() {
                            done.push(tag);
                        }
                    }
                    done
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let _ = server.child.kill();
        let _ = server.child.wait();
        for writer in writers {
            acknowledged.extend(writer.await.unwrap());
        }
        // Started again, the server says how many changes it applied that its index had not.
        let restarted = ServerProcess::start_logging(&settings, &[], 3 * 1024, std::fs::File::create(&log).unwrap());
        let health: Value = reqwest::get(format!("{}/health", restarted.address)).await.unwrap().json().await.unwrap();
        let entities: u64 = health["entities"].as_object().unwrap().values().filter_map(Value::as_u64).sum();
        assert_eq!(health["index"]["documents"].as_u64(), Some(entities), "one document per entity: {health:#}");
        let log = std::fs::read_to_string(&log).unwrap();
        replayed.push(log.lines().filter(|l| l.contains("applied the changes the index had not")).count());
        for tag in acknowledged.iter().rev().take(20) {
            let body = json!({"query": FIND, "variables": {"q": format!("zqmark{tag}")}});
            let answer: Value = restarted
                .client
                .post(format!("{}/graphql", restarted.address))
                .json(&body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(
                answer["data"]["search"]["edges"][0]["node"]["slug"],
                format!("written-{tag}"),
                "{tag}: {answer:#}"
            );
        }
        drop(restarted);
    }
    assert!(acknowledged.len() > 20, "the writers were acknowledged: {}", acknowledged.len());
    assert!(
        replayed.iter().any(|&n| n > 0),
        "no kill landed between a database commit and its index commit: {replayed:?}"
    );
}
