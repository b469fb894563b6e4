//! The HTTP surface: GraphQL over GET, the playground and its assets, `/health`, limits, the SDL.

use serde_json::json;

use crate::helpers::{repo_root, run_browser_check, spawn_app};

#[tokio::test]
async fn graphql_answers_over_get_and_post() {
    let app = spawn_app().await;

    let get = app.graphql_get(None, "{ companies { totalCount } }").await;
    assert_eq!(get["data"]["companies"]["totalCount"], 2);

    let bare = app.client.get(format!("{}/graphql", app.address)).send().await.unwrap();
    assert_eq!(bare.status(), 400);
    let garbage = app
        .client
        .post(format!("{}/graphql", app.address))
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 400);
}

#[tokio::test]
async fn the_playground_is_served_from_the_binary() {
    let app = spawn_app().await;

    let page = app.client.get(format!("{}/graphql", app.address)).header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("/playground/graphiql.min.js") && html.contains("solar fibre lighting"), "{html}");
    assert!(!html.contains("{{DEFAULT_QUERY_JSON}}"));
    assert!(!html.contains("https://"), "nothing is loaded from another host");
    for (file, kind) in [
        ("graphiql.min.js", "text/javascript"),
        ("graphiql.min.css", "text/css"),
        ("react.production.min.js", "text/javascript"),
    ] {
        let asset = app.client.get(format!("{}/playground/{file}", app.address)).send().await.unwrap();
        assert_eq!(asset.status(), 200, "{file}");
        assert_eq!(asset.headers()["content-type"], kind);
    }
    let missing = app.client.get(format!("{}/playground/nope.js", app.address)).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let root = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let redirect = root.get(format!("{}/", app.address)).send().await.unwrap();
    assert_eq!(redirect.headers()["location"], "/graphql");
}

/// Needs Debian's Chromium and `npm ci --prefix tests/browser` (see tests/browser/README.md).
#[tokio::test]
#[ignore = "needs Chromium and `npm ci --prefix tests/browser`: run with --include-ignored"]
async fn the_default_query_and_a_subscription_run_in_a_real_browser_with_no_other_host_reachable() {
    let app = spawn_app().await;
    let url = format!("{}/graphql", app.address);
    run_browser_check("playground.mjs", vec![url, "SP3H".into(), crate::helpers::ADMIN_TOKEN.into()]).await;
}

#[tokio::test]
async fn oversized_deep_or_complex_requests_are_refused() {
    let app = spawn_app().await;

    let huge = "x".repeat(pepite::http::MAX_BODY_BYTES + 1);
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);

    let deep = format!(
        "{{ companies {{ nodes {{ {} name {} }} }} }}",
        "site { hostedCompanies { nodes { ".repeat(6),
        "} } } ".repeat(6)
    );
    let error = app.error(&deep, json!({})).await;
    assert!(error["message"].as_str().unwrap().contains("nested too deep"), "{error}");
}

#[tokio::test]
async fn errors_carry_a_code() {
    let app = spawn_app().await;
    let error = app.error("{ companies(first: 1000) { totalCount } }", json!({})).await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(error["extensions"]["field"], "first");
}

#[test]
fn the_committed_schema_matches_the_code() {
    let committed = std::fs::read_to_string(repo_root().join("schema.graphql")).expect("schema.graphql");
    assert!(
        committed == pepite::graphql::sdl(),
        "schema.graphql is out of date: run `cargo run -- schema > schema.graphql` and commit it"
    );
}
