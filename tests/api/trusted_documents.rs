//! Trusted documents: with a manifest, clients without a token run only its operations, by hash.

use std::path::Path;

use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, TestApp, repo_root, require_tool, spawn_app_with, test_settings};

/// Runs Apollo's `generate-persisted-query-manifest` on the small client app of
/// `tests/trusted-documents`, writing the manifest into `dir`.
fn generate_manifest(dir: &Path) -> std::path::PathBuf {
    let client = repo_root().join("tests/trusted-documents");
    let tool = client.join("node_modules/.bin/generate-persisted-query-manifest");
    require_tool(&tool, "run `npm ci --prefix tests/trusted-documents`");
    let manifest = dir.join("manifest.json");
    let config = dir.join("manifest.config.json");
    let settings = json!({"documents": ["src/**/*.js"], "output": manifest});
    std::fs::write(&config, settings.to_string()).expect("write the tool's configuration");
    let output = std::process::Command::new(tool)
        .arg("--config")
        .arg(&config)
        .current_dir(&client)
        .output()
        .expect("run generate-persisted-query-manifest");
    assert!(output.status.success(), "the tool failed: {}", String::from_utf8_lossy(&output.stderr));
    manifest
}

/// The id of the manifest's operation `name`.
fn id_of(manifest: &Value, name: &str) -> String {
    let operations = manifest["operations"].as_array().expect("operations");
    let operation = operations.iter().find(|op| op["name"] == name).expect("the operation is in the manifest");
    operation["id"].as_str().expect("an id").to_string()
}

async fn post(app: &TestApp, token: Option<&str>, accept: &str, body: Value) -> (u16, Value) {
    let mut request = app.client.post(format!("{}/graphql", app.address)).header("accept", accept).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    (response.status().as_u16(), response.json().await.expect("JSON"))
}

fn by_hash(hash: &str, variables: Value) -> Value {
    json!({"variables": variables, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": hash}}})
}

fn code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
#[ignore = "needs Node.js and `npm ci --prefix tests/trusted-documents`: run with --include-ignored"]
async fn clients_without_a_token_run_only_the_manifests_operations_by_hash() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let manifest_file = generate_manifest(dir.path());
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(&manifest_file).unwrap()).unwrap();
    let mut settings = test_settings(dir.path()).await;
    settings.trusted_documents = Some(manifest_file);
    let app = spawn_app_with(dir, settings).await;
    let json = "application/json";

    // A trusted operation, by the id Apollo's tool gave it.
    let company = by_hash(&id_of(&manifest, "Company"), json!({"slug": "sp3h"}));
    let (status, answer) = post(&app, None, json, company.clone()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["data"]["company"]["name"], "SP3H", "{answer}");
    assert!(answer["data"]["company"]["technologies"].as_array().is_some_and(|t| !t.is_empty()), "{answer}");
    let search = by_hash(&id_of(&manifest, "Search"), json!({"words": "carburant"}));
    let (_, answer) = post(&app, None, json, search).await;
    assert!(answer["data"]["search"]["totalCount"].as_u64().is_some_and(|n| n > 0), "{answer}");

    // Any other document, or hash, is refused before it is parsed.
    let free = json!({"query": "{ companies { totalCount } }"});
    let (status, answer) = post(&app, None, json, free.clone()).await;
    assert_eq!((status, code(&answer)), (200, "OPERATION_NOT_ALLOWED"), "{answer}");
    assert!(answer.get("data").is_none(), "{answer}");
    let (status, answer) = post(&app, None, "application/graphql-response+json", free.clone()).await;
    assert_eq!((status, code(&answer)), (400, "OPERATION_NOT_ALLOWED"), "{answer}");
    let unparsable = json!({"query": "{ this does not parse"});
    let (_, answer) = post(&app, None, json, unparsable).await;
    assert_eq!(code(&answer), "OPERATION_NOT_ALLOWED", "refused before parsing: {answer}");
    let unknown = by_hash(&"0".repeat(64), json!({}));
    let (status, answer) = post(&app, None, json, unknown).await;
    assert_eq!((status, code(&answer)), (200, "PERSISTED_QUERY_NOT_FOUND"), "{answer}");
    let mut swapped = company.clone();
    swapped["query"] = json!("{ companies { totalCount } }");
    let (_, answer) = post(&app, None, json, swapped).await;
    assert_eq!(code(&answer), "OPERATION_NOT_ALLOWED", "a trusted hash does not carry another document: {answer}");
    let (_, answer) = post(&app, Some("not-a-token"), json, free.clone()).await;
    assert_eq!(code(&answer), "OPERATION_NOT_ALLOWED", "an unknown token is no token: {answer}");
    let anonymous_get = app.graphql_get(None, "{ companies { totalCount } }").await;
    assert_eq!(code(&anonymous_get), "OPERATION_NOT_ALLOWED", "{anonymous_get}");

    // A token holder sends any document, as the playground does, and the trusted ones by hash.
    let (_, answer) = post(&app, Some(ADMIN_TOKEN), json, free).await;
    assert!(answer["data"]["companies"]["totalCount"].as_u64().is_some_and(|n| n > 0), "{answer}");
    let (_, answer) = post(&app, Some(ADMIN_TOKEN), json, company).await;
    assert_eq!(answer["data"]["company"]["name"], "SP3H", "{answer}");
    let playground = app.client.get(format!("{}/graphql", app.address)).header("accept", "text/html").send().await;
    assert_eq!(playground.expect("playground").status().as_u16(), 200);
}

#[tokio::test]
async fn a_manifest_that_cannot_be_read_stops_the_server_from_starting() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("manifest.json");
    std::fs::write(&file, r#"{"format": "apollo-persisted-query-manifest", "version": 9, "operations": []}"#).unwrap();
    let mut settings = test_settings(dir.path()).await;
    settings.trusted_documents = Some(file);
    let kb = pepite::startup::open(&settings).await.expect("open the knowledge base");
    let Err(err) = pepite::startup::Application::build_with(settings, kb).await else {
        panic!("a server started on a manifest it cannot read")
    };
    assert!(err.cause().contains("version 9"), "{}", err.cause());
}

/// One operation over a new `graphql-transport-ws` connection, opened with `init`'s payload.
async fn over_websocket(app: &TestApp, init: Value, payload: Value) -> Value {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = format!("{}/graphql", app.address.replacen("http", "ws", 1));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("a WebSocket");
    let init = json!({"type": "connection_init", "payload": init});
    socket.send(Message::text(init.to_string())).await.unwrap();
    assert_eq!(crate::websocket_limits::next_json(&mut socket).await["type"], "connection_ack");
    let subscribe = json!({"id": "1", "type": "subscribe", "payload": payload});
    socket.send(Message::text(subscribe.to_string())).await.unwrap();
    crate::websocket_limits::next_json(&mut socket).await["payload"].clone()
}

#[tokio::test]
async fn the_trusted_documents_hold_over_websocket_and_a_relay_manifest_reads() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("relay.json");
    std::fs::write(&file, json!({"q1": "query Typename { __typename }"}).to_string()).unwrap();
    let mut settings = test_settings(dir.path()).await;
    settings.trusted_documents = Some(file);
    let app = spawn_app_with(dir, settings).await;
    let free = json!({"query": "{ companies { totalCount } }"});

    let answer = over_websocket(&app, json!({}), free.clone()).await;
    assert_eq!(code(&answer), "OPERATION_NOT_ALLOWED", "{answer}");
    let answer = over_websocket(&app, json!({}), by_hash("q1", json!({}))).await;
    assert_eq!(answer["data"]["__typename"], "Query", "{answer}");
    let token = json!({"Authorization": format!("Bearer {ADMIN_TOKEN}")});
    let answer = over_websocket(&app, token, free).await;
    assert!(answer["data"]["companies"]["totalCount"].as_u64().is_some(), "{answer}");
}
