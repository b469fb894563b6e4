//! HTTP routes: GraphQL over HTTP (POST and GET) behind the request limits, the playground, its
//! assets, and `/health`.

mod admission;
mod health;

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use async_graphql_poem::{GraphQLRequest, GraphQLResponse};
use futures_util::FutureExt;
use poem::http::{Method, StatusCode, header};
use poem::middleware::CatchPanic;
use poem::web::{Data, Json, Path, Redirect};
use poem::{Body, Endpoint, EndpointExt, IntoResponse, Request, Response, Route, get, handler};
use serde_json::json;

pub use admission::{Admission, Refusal};
pub use health::Health;

use crate::auth::Tokens;
use crate::deadline;
use crate::graphql::limits::OperationInfo;
use crate::graphql::{self, AppSchema};
use crate::kb::Kb;
use crate::metrics::METRICS;

/// Largest request body accepted: a knowledge-base document of a few thousand entities fits.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The query the playground opens with.
pub const DEFAULT_QUERY: &str = r#"# Welcome to Pépite: who does what at the Technopôle de l'Environnement Arbois-Méditerranée.
# Press ▶ to run this query, then try your own words, in French or English.
{
  search(query: "solar fibre lighting", first: 3) {
    totalCount
    edges {
      score
      highlights { field snippet }
      node { __typename slug name }
    }
    facets { kind { value count } }
  }
  companies(first: 10) {
    totalCount
    nodes {
      name
      stage
      site { name }
      technologies { name aliases }
    }
  }
}
"#;

/// Everything the HTTP layer needs besides the schema.
pub struct Serving {
    pub kb: Kb,
    pub admission: Admission,
    pub request_timeout: Duration,
    pub health: Arc<Health>,
    pub tokens: Tokens,
}

impl Serving {
    /// The name of a token allowed to write.
    fn known_token(&self, secret: &str) -> Option<&str> {
        self.tokens.identify(secret)
    }
}

/// The application's routes.
pub fn routes(schema: AppSchema, serving: Arc<Serving>) -> impl poem::Endpoint {
    Route::new()
        .at("/", get(root))
        .at("/graphql", get(graphql_endpoint).post(graphql_endpoint))
        .at("/playground/:file", get(asset))
        .at("/health", get(health_endpoint))
        .at("/ready", get(ready_endpoint))
        .around(limit_body)
        .with(CatchPanic::new().with_handler(|_| {
            tracing::error!("a request panicked outside GraphQL");
            error_response(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "internal error")
        }))
        .data(schema)
        .data(serving)
}

/// Refuses bodies announced as too large, and cuts off any body past the limit
/// (a truncated body then fails to parse, with a 400).
async fn limit_body<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    let announced =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Ok(error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            &format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
        ));
    }
    let body = req.take_body();
    req.set_body(Body::from_async_read(tokio::io::AsyncReadExt::take(body.into_async_read(), MAX_BODY_BYTES as u64)));
    Ok(next.call(req).await?.into_response())
}

#[handler]
fn root() -> Redirect {
    Redirect::see_other("/graphql")
}

#[handler]
async fn graphql_endpoint(
    req: &Request,
    schema: Data<&AppSchema>,
    serving: Data<&Arc<Serving>>,
    request: poem::Result<GraphQLRequest>,
) -> Response {
    if req.method() == Method::GET && !has_query_param(req) {
        if accepts_html(req) {
            return playground();
        }
        return error_response(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "GET /graphql needs a `query` parameter; open it in a browser for the playground",
        );
    }
    let request = match request {
        Ok(GraphQLRequest(request)) => request,
        Err(err) => return error_response(err.status(), "BAD_REQUEST", &format!("not a GraphQL request: {err}")),
    };
    let token = bearer_token(req);
    let client = client_key(req, &serving, token.as_deref());
    let _slot = match serving.admission.enter(&client).await {
        Ok(slot) => slot,
        Err(refusal) => return refused(refusal),
    };
    let started = std::time::Instant::now();
    let request_id = request_id(req);
    let operation = Arc::new(OperationInfo::default());
    let mut request = request.data(graphql::loader(&serving.kb)).data(operation.clone());
    if req.method() == Method::GET {
        request = request.data(graphql::ReadOnlyRequest);
    }
    if let Some(token) = token {
        request = request.data(graphql::Bearer(token));
    }
    let deadline = tokio::time::Instant::now() + serving.request_timeout;
    let response = contained(deadline::scope(deadline, schema.execute(request)), &request_id).await;
    let status = transport_status(&response);
    record(req, &response, status.map_or(StatusCode::OK, |s| s.0), &operation, &request_id, started.elapsed());
    let mut http = GraphQLResponse::from(response).into_response();
    if let Some((status, retry_after)) = status {
        http.set_status(status);
        if let Some(seconds) = retry_after {
            http.headers_mut().insert(header::RETRY_AFTER, seconds.into());
        }
    }
    if let Ok(value) = request_id.parse() {
        http.headers_mut().insert(REQUEST_ID, value);
    }
    http
}

/// The access log line and the metrics of one GraphQL request: never its variables, body or token.
fn record(
    req: &Request,
    response: &async_graphql::Response,
    status: StatusCode,
    operation: &OperationInfo,
    request_id: &str,
    took: Duration,
) {
    let kind = operation.kind();
    let outcome = if response.errors.is_empty() { "ok" } else { "error" };
    METRICS.requests.with_label_values(&[kind, outcome]).inc();
    METRICS.request_seconds.with_label_values(&[kind]).observe(took.as_secs_f64());
    for error in &response.errors {
        let code = match error.extensions.as_ref().and_then(|e| e.get("code")) {
            Some(async_graphql::Value::String(code)) => code.as_str(),
            _ => "NONE",
        };
        METRICS.errors.with_label_values(&[code]).inc();
    }
    tracing::info!(
        target: "pepite::access",
        method = %req.method(),
        path = req.uri().path(),
        status = status.as_u16(),
        duration_ms = took.as_secs_f64() * 1000.0,
        operation = operation.name().unwrap_or(""),
        kind,
        errors = response.errors.len(),
        request_id,
        "request"
    );
}

/// The header that carries the request id, in both directions.
const REQUEST_ID: &str = "x-request-id";

/// The caller's request id when it is a sane one (a proxy's), else a new one.
fn request_id(req: &Request) -> String {
    let given = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).filter(|v| {
        !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    given.map_or_else(|| format!("{:016x}", rand::random::<u64>()), str::to_string)
}

/// Runs a request's execution, turning a panic into an `INTERNAL` error that names the request.
async fn contained(work: impl Future<Output = async_graphql::Response>, request_id: &str) -> async_graphql::Response {
    match AssertUnwindSafe(work).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(request_id, panic = %what, "a GraphQL request panicked");
            let mut error = async_graphql::ServerError::new("internal error", None);
            let mut extensions = async_graphql::ErrorExtensionValues::default();
            extensions.set("code", "INTERNAL");
            extensions.set("requestId", request_id);
            error.extensions = Some(extensions);
            async_graphql::Response::from_errors(vec![error])
        }
    }
}

/// The HTTP status (and `Retry-After`) of answers whose outcome is the transport's, not the query's.
fn transport_status(response: &async_graphql::Response) -> Option<(StatusCode, Option<u64>)> {
    response.errors.iter().find_map(|error| {
        let code = error.extensions.as_ref()?.get("code")?;
        match code {
            async_graphql::Value::String(code) => match code.as_str() {
                "TIMEOUT" => Some((StatusCode::GATEWAY_TIMEOUT, None)),
                "SERVICE_UNAVAILABLE" => Some((StatusCode::SERVICE_UNAVAILABLE, Some(1))),
                "INTERNAL" if response.data == async_graphql::Value::Null => {
                    Some((StatusCode::INTERNAL_SERVER_ERROR, None))
                }
                _ => None,
            },
            _ => None,
        }
    })
}

/// The answer to a request that was not let in.
fn refused(refusal: Refusal) -> Response {
    METRICS.requests.with_label_values(&["unknown", "refused"]).inc();
    let (status, code, message, wait) = match refusal {
        Refusal::Overloaded(wait) => {
            (StatusCode::SERVICE_UNAVAILABLE, "OVERLOADED", "the server is busy; try again shortly", wait)
        }
        Refusal::RateLimited(wait) => {
            (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", "too many requests from this client; slow down", wait)
        }
    };
    let mut response = error_response(status, code, message);
    let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
    response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
    response
}

/// Who a request counts against for the rate limit: a known token, else the client's address.
fn client_key(req: &Request, serving: &Serving, token: Option<&str>) -> String {
    if let Some(token) = token
        && let Some(name) = serving.known_token(token)
    {
        return format!("token:{name}");
    }
    let peer = match req.remote_addr().0 {
        poem::Addr::SocketAddr(addr) => Some(addr.ip()),
        _ => None,
    };
    let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    serving.admission.client_address(peer, forwarded).map_or_else(|| "unknown".into(), |ip| ip.to_string())
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer_token(req: &Request) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
}

fn has_query_param(req: &Request) -> bool {
    req.uri().query().is_some_and(|q| q.split('&').any(|pair| pair.starts_with("query=")))
}

fn accepts_html(req: &Request) -> bool {
    req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
}

/// A GraphQL-shaped error for requests that never reached the executor.
fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"errors": [{"message": message, "extensions": {"code": code}}]});
    (status, Json(body)).into_response()
}

/// The playground page, with the default query in it (escaped so that it cannot close the script).
static PLAYGROUND: LazyLock<String> = LazyLock::new(|| {
    let query = serde_json::to_string(DEFAULT_QUERY).unwrap_or_default().replace('<', "\\u003c");
    include_str!("../../assets/playground.html").replace("{{DEFAULT_QUERY_JSON}}", &query)
});

fn playground() -> Response {
    Response::builder().content_type("text/html; charset=utf-8").body(PLAYGROUND.as_str())
}

/// GraphiQL's files, served from the binary: the playground works with no internet access.
#[handler]
fn asset(Path(file): Path<String>) -> Response {
    let (body, content_type): (&'static [u8], &str) = match file.as_str() {
        "graphiql.min.js" => (include_bytes!("../../assets/graphiql/graphiql.min.js"), "text/javascript"),
        "graphiql.min.css" => (include_bytes!("../../assets/graphiql/graphiql.min.css"), "text/css"),
        "react.production.min.js" => {
            (include_bytes!("../../assets/graphiql/react.production.min.js"), "text/javascript")
        }
        "react-dom.production.min.js" => {
            (include_bytes!("../../assets/graphiql/react-dom.production.min.js"), "text/javascript")
        }
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    Response::builder().content_type(content_type).header(header::CACHE_CONTROL, "public, max-age=86400").body(body)
}

/// Liveness: 200 while the process serves, with the database's last probe, the entities and the
/// index; never waits on the database, never shows error details.
#[handler]
async fn health_endpoint(serving: Data<&Arc<Serving>>) -> Response {
    let mut report = serving.health.report();
    report["status"] = json!("ok");
    Json(report).into_response()
}

/// Readiness, for a load balancer: 503 while the database is unreachable or the index is rebuilt.
#[handler]
async fn ready_endpoint(serving: Data<&Arc<Serving>>) -> Response {
    if serving.health.ready() {
        Json(json!({"status": "ready"})).into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unavailable"}))).into_response()
    }
}

/// The routes of the metrics listener: `/metrics` in Prometheus' text format.
pub fn metrics_routes(health: Arc<Health>) -> impl poem::Endpoint {
    Route::new().at("/metrics", get(metrics_endpoint)).data(health)
}

#[handler]
fn metrics_endpoint(health: Data<&Arc<Health>>) -> Response {
    health.update_metrics();
    Response::builder().content_type("text/plain; version=0.0.4; charset=utf-8").body(METRICS.render())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_an_internal_error_naming_the_request() {
        let response = contained(async { panic!("boom") }, "req-42").await;
        let error = &response.errors[0];
        assert_eq!(error.message, "internal error", "the panic's text is logged, not returned");
        let extensions = error.extensions.as_ref().expect("extensions");
        assert_eq!(extensions.get("code"), Some(&async_graphql::Value::from("INTERNAL")));
        assert_eq!(extensions.get("requestId"), Some(&async_graphql::Value::from("req-42")));
        assert_eq!(transport_status(&response), Some((StatusCode::INTERNAL_SERVER_ERROR, None)));
    }
}
