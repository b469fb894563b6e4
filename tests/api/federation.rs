//! Pépite as an Apollo Federation v2 subgraph: its entities by `id` and `slug`, `_service`, and a
//! real gateway composing it with another subgraph.

use std::sync::atomic::Ordering;

use serde_json::{Value, json};

use crate::helpers::{cli, repo_root, require_tool, spawn_app};

#[tokio::test]
async fn entities_resolve_by_id_and_by_slug_in_one_statement_per_kind() {
    let app = spawn_app().await;
    let companies = app.data("{ companies(first: 5) { nodes { id slug name } } }", json!({})).await;
    let nodes = companies["companies"]["nodes"].as_array().expect("companies").clone();
    let mut representations: Vec<Value> =
        nodes.iter().map(|c| json!({"__typename": "Company", "id": c["id"]})).collect();
    representations.push(json!({"__typename": "Technology", "slug": "fuel-analysis"}));
    representations.push(json!({"__typename": "Company", "slug": nodes[0]["slug"]}));
    let query = "query($r: [_Any!]!) { _entities(representations: $r) { \
                 ... on Company { name } ... on Technology { slug } } }";

    let before = app.statements.load(Ordering::SeqCst);
    let answer = app.data(query, json!({"r": representations})).await;
    let statements = app.statements.load(Ordering::SeqCst) - before;

    let entities = answer["_entities"].as_array().expect("entities");
    assert!(nodes.len() >= 2, "several companies looked up at once");
    let names: Vec<&Value> = nodes.iter().map(|c| &c["name"]).collect();
    for (i, name) in names.iter().enumerate() {
        assert_eq!(&&entities[i]["name"], name, "{answer}");
    }
    assert_eq!(entities[nodes.len()]["slug"], "fuel-analysis", "{answer}");
    assert_eq!(entities[nodes.len() + 1]["name"], nodes[0]["name"], "{answer}");
    assert!(statements <= 3, "companies by id, by slug and technologies by slug: {statements} statements");
}

#[tokio::test]
async fn the_subgraph_sdl_declares_both_keys_of_every_kind() {
    let app = spawn_app().await;
    let served = app.data("{ _service { sdl } }", json!({})).await;
    let sdl = served["_service"]["sdl"].as_str().expect("sdl").to_string();
    assert!(sdl.contains("extend schema @link(") && sdl.contains("https://specs.apollo.dev/federation/v2"), "v2");
    for kind in ["Company", "Technology", "Programme", "Organisation", "Person", "Event"] {
        let start = sdl.find(&format!("type {kind} ")).unwrap_or_else(|| panic!("{kind} in the SDL"));
        let line = &sdl[start..start + sdl[start..].find('{').unwrap()];
        assert!(line.contains("@key(fields: \"id\")") && line.contains("@key(fields: \"slug\")"), "{line}");
    }
    let printed = cli(&app.settings, &["schema", "--federation"]);
    assert!(printed.status.success());
    assert_eq!(String::from_utf8_lossy(&printed.stdout), sdl, "`pepite schema --federation` prints what is served");
}

/// A "members" subgraph written with `@apollo/subgraph` refers to companies by id; `@apollo/gateway`
/// composes it with Pépite and answers a query that reaches the companies' technologies.
#[tokio::test]
#[ignore = "needs Node.js and `npm ci --prefix tests/federation`: run with --include-ignored"]
async fn a_gateway_composes_pepite_with_another_subgraph_in_one_entities_call() {
    let federation = repo_root().join("tests/federation");
    require_tool(&federation.join("node_modules/@apollo/gateway"), "run `npm ci --prefix tests/federation`");
    let app = spawn_app().await;
    let mut document = Vec::new();
    pepite::generate::write(&mut document, 100, 3).unwrap();
    let output = app.import(&serde_json::from_slice(&document).unwrap()).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let list = "{ companies(first: 100) { nodes { id name technologies { name } } } }";
    let companies = app.data(list, json!({})).await;
    let nodes = companies["companies"]["nodes"].as_array().expect("companies").clone();
    let members: Vec<Value> = nodes
        .iter()
        .enumerate()
        .map(|(i, company)| json!({"name": format!("Member {i}"), "companyId": company["id"]}))
        .collect();

    let before = app.statements.load(Ordering::SeqCst);
    let mut node = std::process::Command::new("node");
    node.arg(federation.join("compose.mjs")).arg(format!("{}/graphql", app.address)).arg(json!(members).to_string());
    let output = tokio::task::spawn_blocking(move || node.output().expect("run node")).await.unwrap();
    let statements = app.statements.load(Ordering::SeqCst) - before;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let last = stdout.lines().last().unwrap_or_default();
    let report: Value = serde_json::from_str(last).expect("the script's JSON report, its last line");

    let answered = report["answer"]["data"]["members"].as_array().expect("members").clone();
    assert_eq!(answered.len(), nodes.len(), "{report}");
    for (member, company) in answered.iter().zip(&nodes) {
        assert_eq!(member["company"]["name"], company["name"], "{report}");
        assert_eq!(member["company"]["technologies"], company["technologies"], "{report}");
    }
    assert!(nodes.iter().any(|c| !c["technologies"].as_array().unwrap().is_empty()), "some technologies to reach");
    assert_eq!(report["entitiesCalls"], 1, "one `_entities` call for the whole list: {report}");
    // The server's own health probes run meanwhile; one statement per member would be 100 more.
    assert!(nodes.len() == 100 && statements < 50, "batched, not per member: {statements} statements");
}
