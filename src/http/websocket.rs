//! GraphQL over WebSocket on `/graphql`: subscriptions, and queries and mutations too, with the
//! `graphql-transport-ws` subprotocol (the `graphql-ws` library's) or the legacy `graphql-ws` one.
//!
//! A client authenticates with `{"Authorization": "Bearer …"}` (or `{"token": "…"}`) in
//! `connection_init`'s payload. Every operation gets a fresh DataLoader and goes through the same
//! schema, limits extension, token check and audit as over HTTP.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{BatchRequest, BatchResponse, Data, Executor, Request as GqlRequest, Response as GqlResponse};
use async_graphql_poem::{GraphQLProtocol, GraphQLWebSocket};
use futures_util::stream::BoxStream;
use futures_util::{SinkExt, StreamExt};
use poem::http::{StatusCode, header};
use poem::web::websocket::{CloseCode, Message, WebSocket};
use poem::{FromRequest, IntoResponse, Request, Response};

use super::{Serving, endpoint, error_response};
use crate::error::ErrorCode;
use crate::graphql::{self, AppSchema};
use crate::metrics::METRICS;

/// A connection that sends nothing (not even a ping) for this long is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// Messages waiting for a slow client, past which the GraphQL side waits too.
const OUTBOX: usize = 16;
/// How often the server pings an open connection (a WebSocket ping frame; clients answer by
/// themselves), so that proxies and clients see it is alive.
pub const PING_EVERY: Duration = Duration::from_secs(15);
/// How long a too slow client is given to take the close frame (it may be reading its backlog).
const CLOSE_GRACE: Duration = Duration::from_secs(10);
/// The close code a too slow client gets (4000–4999 are the application's).
const TOO_SLOW: u16 = 4008;

/// Writes the GraphQL side's messages and a ping every [`PING_EVERY`]; closes a client that does
/// not take a message within `slow_after` with [`TOO_SLOW`], instead of buffering for it.
async fn write(
    mut sink: impl futures_util::Sink<Message> + Unpin,
    mut queued: futures_channel::mpsc::Receiver<Message>,
    slow_after: Duration,
) {
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        let message = tokio::select! {
            message = queued.next() => match message {
                Some(message) => message,
                None => break,
            },
            _ = ping.tick() => Message::Ping(Vec::new()),
        };
        match tokio::time::timeout(slow_after, sink.send(message)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return, // the client left
            Err(_) => {
                tracing::warn!(?slow_after, "a WebSocket client took no message in time; closing it");
                METRICS.websockets_too_slow.inc();
                // The GraphQL side stops here (its queue is dropped): only the close frame waits.
                drop(queued);
                let close = Message::close_with(CloseCode::from(TOO_SLOW), "too slow: messages were waiting");
                let _ = tokio::time::timeout(CLOSE_GRACE, sink.send(close)).await;
                return;
            }
        }
    }
    // Says goodbye properly when the server stops (a client that left gets nothing).
    let _ = tokio::time::timeout(
        Duration::from_secs(1),
        sink.send(Message::close_with(CloseCode::Away, "the server is shutting down")),
    )
    .await;
    let _ = sink.close().await;
}

/// An open connection: holds its slot and counts in `/metrics` until dropped.
struct Open {
    _slot: tokio::sync::OwnedSemaphorePermit,
}

impl Open {
    fn counted(permit: tokio::sync::OwnedSemaphorePermit) -> Open {
        METRICS.websockets.inc();
        Open { _slot: permit }
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        METRICS.websockets.dec();
    }
}

/// Whether the request asks for a WebSocket upgrade.
pub(super) fn is_upgrade(req: &Request) -> bool {
    req.headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Runs each operation with its own DataLoader and the connection's data. Queries and mutations
/// pass the same admission (in-flight bound, queue, rate limit), deadline, panic containment and
/// access log as over HTTP.
#[derive(Clone)]
struct PerOperation {
    schema: AppSchema,
    serving: Arc<Serving>,
    /// Who the connection's operations count against for the rate limit.
    client: String,
    /// The upgrade request's id; each operation's log line carries it.
    request_id: String,
}

impl PerOperation {
    fn prepare(&self, request: GqlRequest) -> GqlRequest {
        request.data(graphql::loader(&self.serving.kb)).data(Arc::new(graphql::limits::OperationInfo::default()))
    }
}

impl PerOperation {
    /// Runs a query or a mutation as over HTTP: admission, deadline, contained panics, access log.
    async fn limited(&self, request: GqlRequest, session: Arc<Data>) -> GqlResponse {
        let slot = match self.serving.admission.enter(&self.client).await {
            Ok(slot) => slot,
            Err(refused) => {
                let (code, message, _) = endpoint::refusal(refused);
                return GqlResponse::from_errors(vec![graphql::limits::refused(code, message)]);
            }
        };
        let started = std::time::Instant::now();
        let operation = Arc::new(graphql::limits::OperationInfo::default());
        let request = request.data(graphql::loader(&self.serving.kb)).data(operation.clone());
        let deadline = tokio::time::Instant::now() + self.serving.request_timeout;
        let mut answers = self.schema.execute_stream_with_session_data(request, session);
        let work = async move { answers.next().await.unwrap_or_default() };
        let response = endpoint::admitted(&self.serving, slot, deadline, &self.request_id, work).await;
        let status = endpoint::transport_status(&response).map_or(StatusCode::OK, |(status, _)| status);
        endpoint::record("WS", "/graphql", &response, status, &operation, &self.request_id, started.elapsed());
        response
    }
}

/// Whether a request's operation is a subscription (one that does not parse is not: the limits
/// report why).
fn is_subscription(request: &GqlRequest) -> bool {
    if request.query.len() > graphql::limits::MAX_QUERY_BYTES {
        return false;
    }
    let Ok(doc) = async_graphql::parser::parse_query(&request.query) else { return false };
    let kind = match &doc.operations {
        DocumentOperations::Single(op) => Some(op.node.ty),
        DocumentOperations::Multiple(map) => match &request.operation_name {
            Some(name) => map.get(name.as_str()).map(|op| op.node.ty),
            None => map.values().next().map(|op| op.node.ty),
        },
    };
    kind == Some(OperationType::Subscription)
}

/// The bearer token the connection was opened with.
fn session_token(session: &Data) -> Option<&str> {
    let bearer = session.get(&std::any::TypeId::of::<graphql::Bearer>())?.downcast_ref::<graphql::Bearer>()?;
    Some(bearer.0.as_str())
}

impl Executor for PerOperation {
    async fn execute(&self, mut request: GqlRequest) -> GqlResponse {
        if let Err(refused) = self.serving.admit(&mut request, None) {
            return GqlResponse::from_errors(vec![graphql::limits::refused(refused.code, refused.message)]);
        }
        self.limited(request, Arc::default()).await
    }

    fn execute_stream(&self, mut request: GqlRequest, session: Option<Arc<Data>>) -> BoxStream<'static, GqlResponse> {
        let session = session.unwrap_or_default();
        // The trusted documents hold for every transport: refused before the text is parsed.
        if let Err(refused) = self.serving.admit(&mut request, session_token(&session)) {
            let error = graphql::limits::refused(refused.code, refused.message);
            return futures_util::stream::once(async move { GqlResponse::from_errors(vec![error]) }).boxed();
        }
        if is_subscription(&request) {
            return self.schema.execute_stream_with_session_data(self.prepare(request), session).boxed();
        }
        let this = self.clone();
        futures_util::stream::once(async move { this.limited(request, session).await }).boxed()
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
        return Ok(error_response(ErrorCode::Internal, "internal error"));
    };
    let (req, mut body) = req.split();
    let Ok(protocol) = GraphQLProtocol::from_request(&req, &mut body).await else {
        return Ok(error_response(
            ErrorCode::BadRequest,
            "ask for the `graphql-transport-ws` (or legacy `graphql-ws`) subprotocol",
        ));
    };
    let websocket = WebSocket::from_request(&req, &mut body).await?;
    let Ok(permit) = serving.websockets.clone().try_acquire_owned() else {
        return Ok(error_response(ErrorCode::Overloaded, "too many WebSocket connections"));
    };
    let client = endpoint::client_key(&req, &serving, None);
    let slow_after = serving.websocket_send_timeout;
    let executor = PerOperation { schema, serving: serving.clone(), client, request_id: endpoint::request_id(&req) };
    let mut shutdown = serving.shutdown.clone();
    Ok(websocket
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            let _open = Open::counted(permit);
            let (sink, stream) = socket.split();
            // At shutdown the subscriptions end (each is completed), then the connection closes.
            let stopping = async move {
                let _ = shutdown.wait_for(|stop| *stop).await;
                tokio::time::sleep(Duration::from_millis(100)).await;
            };
            let stream = stream.take_until(stopping);
            // GraphQL messages go through a short queue to one writer, which also pings.
            let (outbox, queued) = futures_channel::mpsc::channel::<Message>(OUTBOX);
            let graphql = GraphQLWebSocket::new_with_pair(outbox, stream, executor, protocol)
                .keepalive_timeout(IDLE_TIMEOUT)
                .on_connection_init(|payload| async move {
                    let mut data = Data::default();
                    data.insert(graphql::ConnectionSlots::default());
                    if let Some(token) = token_of(&payload) {
                        data.insert(graphql::Bearer(token));
                    }
                    Ok(data)
                })
                .serve();
            let writer = write(sink, queued, slow_after);
            tokio::pin!(writer);
            tokio::select! {
                // The GraphQL side ended: the writer sends what is left, then closes.
                _ = graphql => writer.await,
                // The client left or was too slow: the GraphQL side (its subscriptions) goes too.
                _ = &mut writer => {}
            }
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
