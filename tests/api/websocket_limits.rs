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
    let url = format!("{}/graphql", app.address.replacen("http", "ws", 1));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("a WebSocket");
    let next = async |socket: &mut tokio_tungstenite::WebSocketStream<_>| -> Value {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), socket.next()).await.unwrap().unwrap().unwrap();
            if let Message::Text(text) = message {
                let value: Value = serde_json::from_str(text.as_str()).unwrap();
                if value["type"] != "complete" {
                    return value;
                }
            }
        }
    };
    socket.send(Message::text(json!({"type": "connection_init"}).to_string())).await.unwrap();
    assert_eq!(next(&mut socket).await["type"], "connection_ack");
    let mut answers = Vec::new();
    for (i, query) in queries.iter().enumerate() {
        let subscribe = json!({"id": i.to_string(), "type": "subscribe", "payload": {"query": query}});
        socket.send(Message::text(subscribe.to_string())).await.unwrap();
        let answer = next(&mut socket).await;
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
