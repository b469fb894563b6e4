//! GraphQL over WebSocket on `/graphql`: subscriptions, and queries and mutations too, with the
//! `graphql-transport-ws` subprotocol (the `graphql-ws` library's) or the legacy `graphql-ws` one.
//!
//! A client authenticates with `{"Authorization": "Bearer …"}` (or `{"token": "…"}`) in
//! `connection_init`'s payload. Every operation gets a fresh DataLoader and goes through the same
//! schema, limits extension, token check and audit as over HTTP.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::{BatchRequest, BatchResponse, Data, Executor, Request as GqlRequest, Response as GqlResponse};
use async_graphql_poem::{GraphQLProtocol, GraphQLWebSocket};
use futures_util::stream::BoxStream;
use futures_util::{SinkExt, StreamExt};
use poem::http::{StatusCode, header};
use poem::web::websocket::{CloseCode, Message, WebSocket};
use poem::{FromRequest, IntoResponse, Request, Response};

use super::{Serving, error_response};
use crate::graphql::{self, AppSchema};

/// WebSocket connections one process holds at once.
pub const MAX_CONNECTIONS: usize = 512;
/// A connection that sends nothing (not even a ping) for this long is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// Whether the request asks for a WebSocket upgrade.
pub(super) fn is_upgrade(req: &Request) -> bool {
    req.headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Runs each operation with its own DataLoader and the connection's data.
#[derive(Clone)]
struct PerOperation {
    schema: AppSchema,
    serving: Arc<Serving>,
}

impl PerOperation {
    fn prepare(&self, request: GqlRequest) -> GqlRequest {
        request.data(graphql::loader(&self.serving.kb)).data(Arc::new(graphql::limits::OperationInfo::default()))
    }
}

impl Executor for PerOperation {
    async fn execute(&self, request: GqlRequest) -> GqlResponse {
        self.schema.execute(self.prepare(request)).await
    }

    fn execute_stream(&self, request: GqlRequest, session: Option<Arc<Data>>) -> BoxStream<'static, GqlResponse> {
        self.schema.execute_stream_with_session_data(self.prepare(request), session.unwrap_or_default()).boxed()
    }

    async fn execute_batch(&self, batch: BatchRequest) -> BatchResponse {
        match batch {
            BatchRequest::Single(request) => BatchResponse::Single(self.execute(request).await),
            BatchRequest::Batch(requests) => {
                let mut responses = Vec::with_capacity(requests.len());
                for request in requests {
                    responses.push(self.execute(request).await);
                }
                BatchResponse::Batch(responses)
            }
        }
    }
}

/// The bearer token of a `connection_init` payload, if any.
fn token_of(payload: &serde_json::Value) -> Option<String> {
    let header = ["Authorization", "authorization"].iter().find_map(|k| payload.get(*k)).and_then(|v| v.as_str());
    match header {
        Some(value) => value.strip_prefix("Bearer ").map(|t| t.trim().to_string()),
        None => payload.get("token").and_then(|v| v.as_str()).map(str::to_string),
    }
}

/// Upgrades `/graphql` to a GraphQL WebSocket, unless too many are open already.
pub(super) async fn serve(req: Request) -> poem::Result<Response> {
    let (Some(schema), Some(serving)) = (req.data::<AppSchema>().cloned(), req.data::<Arc<Serving>>().cloned()) else {
        return Ok(error_response(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "internal error"));
    };
    let (req, mut body) = req.split();
    let Ok(protocol) = GraphQLProtocol::from_request(&req, &mut body).await else {
        return Ok(error_response(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "ask for the `graphql-transport-ws` (or legacy `graphql-ws`) subprotocol",
        ));
    };
    let websocket = WebSocket::from_request(&req, &mut body).await?;
    let Ok(permit) = serving.websockets.clone().try_acquire_owned() else {
        return Ok(error_response(StatusCode::SERVICE_UNAVAILABLE, "OVERLOADED", "too many WebSocket connections"));
    };
    let executor = PerOperation { schema, serving: serving.clone() };
    let mut shutdown = serving.shutdown.clone();
    Ok(websocket
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            let _permit = permit;
            let (mut sink, stream) = socket.split();
            // At shutdown the subscriptions end (each is completed), then the connection closes.
            let stopping = async move {
                let _ = shutdown.wait_for(|stop| *stop).await;
                tokio::time::sleep(Duration::from_millis(100)).await;
            };
            let stream = stream.take_until(stopping);
            GraphQLWebSocket::new_with_pair(&mut sink, stream, executor, protocol)
                .keepalive_timeout(IDLE_TIMEOUT)
                .on_connection_init(|payload| async move {
                    let mut data = Data::default();
                    data.insert(graphql::ConnectionSlots::default());
                    if let Some(token) = token_of(&payload) {
                        data.insert(graphql::Bearer(token));
                    }
                    Ok(data)
                })
                .serve()
                .await;
            // Says goodbye properly when the server stops (a client that left gets nothing).
            let _ = sink.send(Message::close_with(CloseCode::Away, "the server is shutting down")).await;
            let _ = sink.close().await;
        })
        .into_response())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::token_of;

    #[test]
    fn the_token_comes_from_the_connection_init_payload() {
        assert_eq!(token_of(&json!({"Authorization": "Bearer abc"})).as_deref(), Some("abc"));
        assert_eq!(token_of(&json!({"token": "abc"})).as_deref(), Some("abc"));
        assert_eq!(token_of(&json!({})), None);
    }
}
