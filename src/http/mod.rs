//! HTTP routes: GraphQL over HTTP (POST and GET) behind the request limits, the playground, its
//! assets, the lists as GeoJSON (`/geojson`), and `/health`.

mod admission;
mod connections;
mod endpoint;
mod geojson;
mod health;
mod persisted;
mod trusted;
mod websocket;

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use poem::http::{Method, StatusCode, header};
use poem::middleware::{CatchPanic, Cors};
use poem::web::{Data, Json, Path, Redirect};
use poem::{Body, Endpoint, EndpointExt, IntoResponse, Request, Response, Route, get, handler};
use serde_json::json;

pub use admission::{Admission, Refusal};
pub use connections::{ConnectionRules, Guarded};
pub use health::{DatabaseStatus, Health, HealthReport, Readiness};
pub use trusted::TrustedDocuments;
pub use websocket::PING_EVERY;

use crate::auth::Tokens;
use crate::error::ErrorCode;
use crate::graphql::AppSchema;
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
  # The park's questions for one company: which aids, which partners, which entry points, each
  # answered with reasons. Partners pair start-ups and SMEs with large groups and mid-caps. The
  # fourth, `mentors`, ranks the experts who offer mentoring: the bundled knowledge base names none.
  company(slug: "sp3h") {
    name
    eligibleProgrammes { programme { name } eligible criteria { name met detail } }
    partners(first: 3) { company { name stage } reasons }
    entryPoints { organisation { name } reasons }
  }
}
"#;

/// Everything the HTTP layer needs besides the schema.
pub struct Serving {
    pub kb: Kb,
    pub persisted: persisted::PersistedQueries,
    /// The only documents anonymous clients may run, when `--trusted-documents` is set.
    pub trusted: Option<TrustedDocuments>,
    /// `Cache-Control: max-age` of answers to GET queries; `no-cache` when absent.
    pub cache_max_age: Option<Duration>,
    pub admission: Admission,
    pub request_timeout: Duration,
    pub health: Arc<Health>,
    pub tokens: Tokens,
    /// WebSocket connections still allowed.
    pub websockets: Arc<tokio::sync::Semaphore>,
    /// How long a client may take to send a request's body.
    pub body_timeout: Duration,
    /// How long a WebSocket client may take to accept a message before it is closed as too slow.
    pub websocket_send_timeout: Duration,
    /// Turns true when the server stops: subscriptions end and WebSockets close.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}

impl Serving {
    /// The name of a token allowed to write.
    fn known_token(&self, secret: &str) -> Option<&str> {
        self.tokens.identify(secret)
    }

    /// Lets a request through the trusted documents, when there are some; `token` is the bearer
    /// token it came with.
    fn admit(&self, request: &mut async_graphql::Request, token: Option<&str>) -> Result<(), trusted::Refused> {
        match &self.trusted {
            Some(trusted) => trusted.admit(request, token.and_then(|token| self.known_token(token)).is_some()),
            None => Ok(()),
        }
    }
}

/// The application's routes.
pub fn routes(schema: AppSchema, serving: Arc<Serving>, cors_origins: Vec<String>) -> impl poem::Endpoint {
    let mut cors = Cors::new()
        .allow_methods([Method::GET, Method::POST])
        .allow_headers(["authorization", "content-type", "apollographql-client-name", "apollographql-client-version"])
        .expose_headers(["etag", "retry-after", "x-request-id"])
        .max_age(86_400);
    if !cors_origins.iter().any(|origin| origin.trim() == "*") {
        cors = cors.allow_origins(cors_origins.into_iter().map(|origin| origin.trim().to_string()));
    }
    Route::new()
        .at("/", get(root))
        .at("/graphql", get(endpoint::graphql_endpoint.around(upgrade_websockets)).post(endpoint::graphql_endpoint))
        .at("/geojson", get(geojson::geojson_endpoint))
        .at("/playground/:file", get(asset))
        .at("/health", get(health_endpoint))
        .at("/ready", get(ready_endpoint))
        .around(limit_body)
        .with(cors)
        .with(CatchPanic::new().with_handler(|_| {
            tracing::error!("a request panicked outside GraphQL");
            error_response(ErrorCode::Internal, "internal error")
        }))
        .data(schema)
        .data(serving)
}

/// Refuses bodies announced as too large, and cuts off any body past the limit
/// (a truncated body then fails to parse, with a 400), or not arrived within its time limit.
async fn limit_body<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    let announced =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Ok(error_response(
            ErrorCode::PayloadTooLarge,
            &format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
        ));
    }
    let body_timeout = req.data::<Arc<Serving>>().map_or(Duration::from_secs(10), |serving| serving.body_timeout);
    let body = tokio::io::AsyncReadExt::take(req.take_body().into_async_read(), MAX_BODY_BYTES as u64);
    req.set_body(Body::from_async_read(connections::TimedBody::new(body, body_timeout)));
    Ok(next.call(req).await?.into_response())
}

/// Sends WebSocket upgrades of `/graphql` to GraphQL over WebSocket.
async fn upgrade_websockets<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    if websocket::is_upgrade(&req) {
        return websocket::serve(req).await;
    }
    Ok(next.call(req).await?.into_response())
}

#[handler]
fn root() -> Redirect {
    Redirect::see_other("/graphql")
}

fn accepts_html(req: &Request) -> bool {
    req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
}

/// A GraphQL-shaped error for requests that never reached the executor, with its code's status.
fn error_response(code: ErrorCode, message: &str) -> Response {
    let body = json!({"errors": [{"message": message, "extensions": {"code": code.as_str()}}]});
    (code.http_status().unwrap_or(StatusCode::OK), Json(body)).into_response()
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
    #[derive(serde::Serialize)]
    struct Live {
        status: &'static str,
        #[serde(flatten)]
        report: HealthReport,
    }
    Json(Live { status: "ok", report: serving.health.report() }).into_response()
}

/// Readiness, for a load balancer: 503 while the database is unreachable, the index is rebuilt
/// or lags behind the change log, with the reason as `status`.
#[handler]
async fn ready_endpoint(serving: Data<&Arc<Serving>>) -> Response {
    let readiness = serving.health.readiness();
    let status = if readiness == Readiness::Ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(json!({"status": readiness}))).into_response()
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
