//! Queries over the WebSocket pass the same deadline and admission as over HTTP.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{TestApp, spawn_app_with, test_settings};

async fn app_with(limits: impl FnOnce(&mut pepite::config::Limits)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path()).await;
    limits(&mut settings.limits);
    spawn_app_with(dir, settings).await
}

/// Runs queries one after the other over one `graphql-transport-ws` connection; returns each
/// operation's first payload.
async fn over_websocket(app: &TestApp, queries: &[&str]) -> Vec<Value> {
    let mut socket = connect(&app.address).await;
    let mut answers = Vec::new();
    for (i, query) in queries.iter().enumerate() {
        let subscribe = json!({"id": i.to_string(), "type": "subscribe", "payload": {"query": query}});
        socket.send(Message::text(subscribe.to_string())).await.unwrap();
        let answer = next_json(&mut socket).await;
        assert_eq!(answer["id"], i.to_string(), "{answer}");
        answers.push(answer["payload"].clone());
    }
    answers
}

fn code(payload: &Value) -> &str {
    payload["errors"][0]["extensions"]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn websocket_queries_have_the_same_deadline_and_rate_limit() {
    let late = app_with(|limits| limits.request_timeout = Duration::ZERO).await;
    let answers = over_websocket(&late, &["{ search(query: \"solar\") { totalCount } }", "{ __typename }"]).await;
    assert_eq!(code(&answers[0]), "TIMEOUT", "{}", answers[0]);
    assert_eq!(answers[1]["data"]["__typename"], "Query");

    let limited = app_with(|limits| limits.rate_limit = std::num::NonZeroU32::new(2)).await;
    let answers = over_websocket(&limited, &["{ __typename }", "{ __typename }", "{ __typename }"]).await;
    assert_eq!(answers[1]["data"]["__typename"], "Query");
    assert_eq!(code(&answers[2]), "RATE_LIMITED", "{}", answers[2]);
}

pub(crate) type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The upgrade request for a `graphql-transport-ws` connection to the server at `address`.
fn upgrade(address: &str) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let url = format!("{}/graphql", address.replacen("http", "ws", 1));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    request
}

/// A `graphql-transport-ws` connection to the server at `address`, acknowledged.
pub(crate) async fn connect(address: &str) -> Socket {
    let (mut socket, _) = tokio_tungstenite::connect_async(upgrade(address)).await.expect("a WebSocket");
    socket.send(Message::text(json!({"type": "connection_init"}).to_string())).await.unwrap();
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    socket
}

/// The next GraphQL message (pings, pongs and `complete` skipped).
pub(crate) async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next()).await.unwrap().unwrap().unwrap();
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(text.as_str()).unwrap();
            if value["type"] != "complete" {
                return value;
            }
        }
    }
}

#[tokio::test]
async fn subscriptions_follow_their_kinds_and_a_connection_holds_a_bounded_number() {
    let app = crate::helpers::spawn_app().await;
    let mut socket = connect(&app.address).await;
    let subscribe = |id: usize, query: &str| {
        Message::text(json!({"id": id.to_string(), "type": "subscribe", "payload": {"query": query}}).to_string())
    };
    socket.send(subscribe(0, "subscription { changes(kinds: [TECHNOLOGY]) { kind slug operation } }")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.mutate_ok(
        r#"mutation { createCompany(input: {slug: "not-a-tech", name: "N", stage: SME, lang: en}) { id } }"#,
        json!({}),
    )
    .await;
    app.mutate_ok(
        r#"mutation { createTechnology(input: {slug: "new-tech", name: "New tech", domain: ENERGY, lang: en}) { id } }"#,
        json!({}),
    )
    .await;
    let event = next_json(&mut socket).await;
    assert_eq!(
        event["payload"]["data"]["changes"],
        json!({"kind": "TECHNOLOGY", "slug": "new-tech", "operation": "CREATED"}),
        "{event}"
    );

    // Sixteen more on a connection that holds one: exactly one of them (whichever comes last to the
    // server, which runs them concurrently) is refused.
    for id in 1..=16 {
        socket.send(subscribe(id, "subscription { changes { slug } }")).await.unwrap();
    }
    let refused = next_json(&mut socket).await;
    assert_eq!(refused["type"], "next", "{refused}");
    assert!(refused["payload"].to_string().contains("at most 16 subscriptions"), "{refused}");
}

#[tokio::test]
async fn an_open_connection_is_pinged_by_the_server() {
    let app = crate::helpers::spawn_app().await;
    let mut socket = connect(&app.address).await;
    let started = std::time::Instant::now();
    let bound = pepite::http::PING_EVERY + Duration::from_secs(10);
    loop {
        let message = tokio::time::timeout(bound, socket.next()).await.expect("a ping in time").unwrap().unwrap();
        if matches!(message, Message::Ping(_)) {
            break;
        }
        assert!(started.elapsed() < bound, "no ping within {bound:?}");
    }
}

#[tokio::test]
async fn websockets_close_with_1001_when_the_server_stops() {
    let dir = tempfile::tempdir().unwrap();
    let settings = test_settings(dir.path()).await;
    let mut server = crate::helpers::ServerProcess::start(&settings, &[], 3 * 1024);
    let mut socket = connect(&server.address).await;
    let subscribe = json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { changes { slug } }"}});
    socket.send(Message::text(subscribe.to_string())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let stopping = tokio::task::spawn_blocking(move || server.stop());
    let mut close = None;
    while let Ok(Some(Ok(message))) = tokio::time::timeout(Duration::from_secs(10), socket.next()).await {
        if let Message::Close(frame) = message {
            close = frame;
            break;
        }
    }
    stopping.await.unwrap();
    let frame = close.expect("a close frame before the server exits");
    assert_eq!(u16::from(frame.code), 1001, "{frame:?}");
}

#[tokio::test]
async fn a_process_holds_a_bounded_number_of_websockets() {
    let app = app_with(|limits| limits.max_websockets = 2).await;
    let first = connect(&app.address).await;
    let _second = connect(&app.address).await;

    let request = upgrade(&app.address);
    let refused = tokio_tungstenite::connect_async(request.clone()).await.expect_err("a third is refused");
    let tokio_tungstenite::tungstenite::Error::Http(response) = refused else { panic!("{refused:?}") };
    assert_eq!(response.status(), 503);
    let body: Value = serde_json::from_slice(response.body().as_deref().unwrap_or_default()).unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "OVERLOADED", "{body}");
    // Plain HTTP is not affected.
    assert_eq!(app.data("{ __typename }", json!({})).await["__typename"], "Query");

    drop(first);
    let started = std::time::Instant::now();
    loop {
        match tokio_tungstenite::connect_async(request.clone()).await {
            Ok(_) => break,
            Err(err) => assert!(started.elapsed() < Duration::from_secs(10), "the freed slot is reused: {err:?}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_subscriber_that_stops_reading_is_closed_with_4008_not_buffered_for() {
    let app = app_with(|limits| limits.websocket_send_timeout = Duration::from_secs(1)).await;
    // A client socket with a small receive buffer, so that the server's writes stall soon.
    let request = upgrade(&app.address);
    let tcp = tokio::net::TcpSocket::new_v4().unwrap();
    tcp.set_recv_buffer_size(16 * 1024).unwrap();
    let stream = tcp.connect(app.address.trim_start_matches("http://").parse().unwrap()).await.unwrap();
    let (mut socket, _) = tokio_tungstenite::client_async(request, stream).await.unwrap();
    socket.send(Message::text(json!({"type": "connection_init"}).to_string())).await.unwrap();
    assert!(matches!(socket.next().await, Some(Ok(Message::Text(_)))), "connection_ack");
    let query = "subscription { changes(kinds: [COMPANY]) { slug node { ... on Company { description } } } }";
    for id in 0..16 {
        let subscribe = json!({"id": id.to_string(), "type": "subscribe", "payload": {"query": query}});
        socket.send(Message::text(subscribe.to_string())).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let too_slow = || pepite::metrics::METRICS.websockets_too_slow.get();
    let before = too_slow();

    // Act: 200 companies of 4 KB each, sent to 16 subscriptions (about 13 MB) to a client that reads nothing.
    let companies: Vec<Value> = (0..200)
        .map(|i| json!({"slug": format!("bulk-{i}"), "name": format!("Bulk {i}"), "stage": "SME", "lang": "en", "description": "x".repeat(4_000)}))
        .collect();
    app.mutate_ok(
        "mutation($d: JSON!) { importKnowledgeBase(document: $d) { dryRun } }",
        json!({"d": {"companies": companies}}),
    )
    .await;
    let started = std::time::Instant::now();
    while too_slow() == before {
        assert!(started.elapsed() < Duration::from_secs(30), "the stalled client was never closed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Meanwhile the server serves others.
    assert_eq!(app.data("{ __typename }", json!({})).await["__typename"], "Query");

    // Assert: reading now, the client gets what was on the wire, then close code 4008.
    let mut close = None;
    while let Ok(Some(Ok(message))) = tokio::time::timeout(Duration::from_secs(10), socket.next()).await {
        if let Message::Close(frame) = message {
            close = frame;
            break;
        }
    }
    let frame = close.expect("a close frame");
    assert_eq!(u16::from(frame.code), 4008, "{frame:?}");
}
