//! GraphQL over HTTP: POST and GET as the GraphQL-over-HTTP specification has them, behind the
//! request limits, with persisted queries and cacheable GET answers.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use poem::http::{Method, StatusCode, header};
use poem::web::Data;
use poem::{Body, Request, Response, handler};
use serde_json::{Value, json};

use super::admission::Slot;
use super::persisted::{Lookup, Miss, sha256};
use super::{Refusal, Serving, error_response};
use crate::error::{ErrorCode, panic_message};
use crate::graphql::limits::OperationInfo;
use crate::graphql::{self, AppSchema};
use crate::metrics::METRICS;
use crate::{deadline, kb};

/// The media type of the GraphQL-over-HTTP specification.
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// How a client wants its answer.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Media {
    /// `application/graphql-response+json`: request errors get 4xx statuses.
    GraphqlResponse,
    /// `application/json`, the legacy default: GraphQL errors come with 200.
    Json,
}

impl Media {
    fn of(req: &Request) -> Media {
        let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if accept.contains(GRAPHQL_RESPONSE) { Media::GraphqlResponse } else { Media::Json }
    }

    fn content_type(self) -> &'static str {
        match self {
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json; charset=utf-8",
        }
    }
}

/// The answer to a request error: the errors, and no `data` (the document never ran).
#[derive(serde::Serialize)]
pub(super) struct RequestErrors<'a> {
    pub(super) errors: &'a [async_graphql::ServerError],
}

/// An error answered before the request reached GraphQL, in the client's media type.
fn request_error(media: Media, status: StatusCode, code: ErrorCode, message: &str) -> Response {
    let body = json!({"errors": [{"message": message, "extensions": {"code": code.as_str()}}]});
    Response::builder().status(status).content_type(media.content_type()).body(body.to_string())
}

/// Reads a request from a GET's query string; `None` when it names neither a query nor a
/// persisted query (a browser asking for the playground).
fn from_query_string(query: &str) -> Option<Result<async_graphql::Request, String>> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Params {
        #[serde(default)]
        query: String,
        operation_name: Option<String>,
        variables: Option<String>,
        extensions: Option<String>,
    }
    let params: Params = match serde_urlencoded::from_str(query) {
        Ok(params) => params,
        Err(err) => return Some(Err(format!("unreadable query string: {err}"))),
    };
    if params.query.is_empty() && params.extensions.is_none() {
        return None;
    }
    let json = |name: &str, text: Option<String>| -> Result<Value, String> {
        match text {
            Some(text) => serde_json::from_str(&text).map_err(|err| format!("`{name}` is not JSON: {err}")),
            None => Ok(Value::Null),
        }
    };
    let parsed = (|| {
        let request = json!({
            "query": params.query,
            "operationName": params.operation_name,
            "variables": json("variables", params.variables)?,
            "extensions": json("extensions", params.extensions)?,
        });
        serde_json::from_value(request).map_err(|err| format!("not a GraphQL request: {err}"))
    })();
    Some(parsed)
}

/// Reads a request from a POST body, which must be JSON.
async fn from_body(req: &Request, body: Body) -> Result<async_graphql::Request, (StatusCode, String)> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if essence != "application/json" {
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send GraphQL requests as `Content-Type: application/json`".to_string(),
        ));
    }
    let bytes = body.into_vec().await.map_err(|err| (StatusCode::BAD_REQUEST, format!("unreadable body: {err}")))?;
    serde_json::from_slice(&bytes).map_err(|err| (StatusCode::BAD_REQUEST, format!("not a GraphQL request: {err}")))
}

/// The GraphQL request of a GET (its query string) or a POST (its JSON body), or the answer
/// when there is none: the playground for a browser, a `BAD_REQUEST` otherwise.
async fn read_request(req: &Request, body: Body, media: Media) -> Result<async_graphql::Request, Response> {
    let parsed = if req.method() == Method::GET {
        match from_query_string(req.uri().query().unwrap_or_default()) {
            Some(parsed) => parsed.map_err(|message| (StatusCode::BAD_REQUEST, message)),
            None if super::accepts_html(req) => return Err(super::playground()),
            None => Err((
                StatusCode::BAD_REQUEST,
                "GET /graphql needs a `query` parameter; open it in a browser for the playground".to_string(),
            )),
        }
    } else {
        from_body(req, body).await
    };
    parsed.map_err(|(status, message)| request_error(media, status, ErrorCode::BadRequest, &message))
}

/// A successful GET answer, cacheable: an ETag of the body, `Cache-Control`, and 304 when the
/// client holds it already.
pub(super) fn cached(req: &Request, http: poem::ResponseBuilder, body: String, max_age: Option<Duration>) -> Response {
    let etag = format!("\"{}\"", &sha256(body.as_bytes())[..32]);
    let cache_control = match max_age {
        Some(age) => format!("public, max-age={}", age.as_secs()),
        None => "no-cache".to_string(),
    };
    let http = http.header(header::CACHE_CONTROL, cache_control).header(header::ETAG, etag.as_str());
    let matches = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|tags| {
        tags.split(',').any(|tag| tag.trim() == "*" || tag.trim().trim_start_matches("W/") == etag)
    });
    if matches {
        return http.status(StatusCode::NOT_MODIFIED).body(Body::empty());
    }
    http.body(body)
}

/// Lets a request through the trusted documents, then the automatic persisted queries, filling
/// its query from a hash; or the status, code and message that refuse it, before its text is parsed.
fn let_in(
    serving: &Serving,
    request: &mut async_graphql::Request,
    token: Option<&str>,
    media: Media,
) -> Result<Lookup, (StatusCode, ErrorCode, &'static str)> {
    if let Err(refused) = serving.admit(request, token) {
        // A hash not found is answered as the automatic persisted queries answer it: 200.
        let request_error_status = media == Media::GraphqlResponse && refused.code == ErrorCode::OperationNotAllowed;
        let status = if request_error_status { StatusCode::BAD_REQUEST } else { StatusCode::OK };
        return Err((status, refused.code, refused.message));
    }
    serving.persisted.resolve(request).map_err(|miss| match miss {
        Miss::NotFound => (StatusCode::OK, ErrorCode::PersistedQueryNotFound, "PersistedQueryNotFound"),
        Miss::Invalid(why) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest, why),
    })
}

#[handler]
pub(super) async fn graphql_endpoint(
    req: &Request,
    body: Body,
    schema: Data<&AppSchema>,
    serving: Data<&Arc<Serving>>,
) -> Response {
    let media = Media::of(req);
    let get = req.method() == Method::GET;
    let mut request = match read_request(req, body, media).await {
        Ok(request) => request,
        Err(answer) => return answer,
    };
    let token = bearer_token(req);
    let persisted = match let_in(&serving, &mut request, token.as_deref(), media) {
        Ok(lookup) => lookup,
        Err((status, code, message)) => return request_error(media, status, code, message),
    };

    let slot = match enter(req, &serving, token.as_deref()).await {
        Ok(slot) => slot,
        Err(answer) => return answer,
    };
    let started = std::time::Instant::now();
    let request_id = request_id(req);
    let operation = Arc::new(OperationInfo::default());
    let query = request.query.clone();
    let mut request = request.data(graphql::loader(&serving.kb)).data(operation.clone());
    if get {
        request = request.data(graphql::ReadOnlyRequest);
    }
    if let Some(token) = token {
        request = request.data(graphql::Bearer(token));
    }
    let deadline = tokio::time::Instant::now() + serving.request_timeout;
    let response = admitted(&serving, slot, deadline, &request_id, schema.execute(request)).await;

    // A request error: the document never ran (it did not parse, validate or fit the limits).
    let request_failed = !operation.executed() && !response.errors.is_empty();
    if let Lookup::Register(hash) = persisted
        && !request_failed
    {
        serving.persisted.register(hash, &query);
    }
    let status = match transport_status(&response) {
        Some(status) => status,
        None if request_failed && media == Media::GraphqlResponse => (StatusCode::BAD_REQUEST, None),
        None => (StatusCode::OK, None),
    };
    record(req.method().as_str(), req.uri().path(), &response, status.0, &operation, &request_id, started.elapsed());

    // Serialized as is: a JSON value would sort the fields, and answers keep the query's order.
    let body = if request_failed {
        serde_json::to_string(&RequestErrors { errors: &response.errors })
    } else {
        serde_json::to_string(&response)
    };
    let body = body.unwrap_or_else(|_| json!({"errors": [{"message": "internal error"}]}).to_string());
    let mut http = Response::builder().status(status.0).content_type(media.content_type());
    if let Some(seconds) = status.1 {
        http = http.header(header::RETRY_AFTER, seconds);
    }
    if status.0 == StatusCode::METHOD_NOT_ALLOWED {
        http = http.header(header::ALLOW, "POST");
    }
    http = http.header(REQUEST_ID, request_id.as_str());
    if get && status.0 == StatusCode::OK && response.errors.is_empty() {
        return cached(req, http, body, serving.cache_max_age);
    } else if get {
        http = http.header(header::CACHE_CONTROL, "no-store");
    }
    http.body(body)
}

/// A slot among the requests being served, or the answer refusing it: at once while the
/// database is known to be down (the circuit: nothing waits in the queue for it), and to a
/// request waiting behind requests stuck on a database that fell.
pub(super) async fn enter(req: &Request, serving: &Serving, token: Option<&str>) -> Result<Slot, Response> {
    let client = client_key(req, serving, token);
    if !serving.health.database_up() {
        return Err(database_unavailable());
    }
    tokio::select! {
        entered = serving.admission.enter(&client) => match entered {
            Ok(slot) => Ok(slot),
            Err(_) if !serving.health.database_up() => Err(database_unavailable()),
            Err(refusal) => Err(refused(refusal)),
        },
        () = serving.health.database_down() => Err(database_unavailable()),
    }
}

/// The access log line and the metrics of one GraphQL request: never its variables, body or token.
pub(super) fn record(
    method: &str,
    path: &str,
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
        method,
        path,
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
pub(super) fn request_id(req: &Request) -> String {
    let given = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).filter(|v| {
        !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    given.map_or_else(|| format!("{:016x}", rand::random::<u64>()), str::to_string)
}

/// Runs an admitted request within its deadline, its panics contained. The slot is given back as
/// soon as the request has run: a request that wrote then waits, without it, for its own index to
/// apply the write before it is answered (see [`kb::Written`]).
pub(super) async fn admitted(
    serving: &Serving,
    slot: Slot,
    deadline: tokio::time::Instant,
    request_id: &str,
    work: impl Future<Output = async_graphql::Response>,
) -> async_graphql::Response {
    let written = kb::Written::default();
    let response = contained(deadline::scope(deadline, written.scope(work)), request_id).await;
    drop(slot);
    // The database failed this request: the circuit opens for the next ones.
    if response.errors.iter().any(|error| has_code(error, ErrorCode::ServiceUnavailable)) {
        serving.health.database_failed();
    }
    if written.any() {
        serving.kb.settle(deadline).await;
    }
    response
}

/// Runs a request's execution, turning a panic into an `INTERNAL` error that names the request.
pub(super) async fn contained(
    work: impl Future<Output = async_graphql::Response>,
    request_id: &str,
) -> async_graphql::Response {
    match AssertUnwindSafe(work).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            tracing::error!(request_id, panic = panic_message(&*panic), "a GraphQL request panicked");
            let mut error = graphql::limits::refused(ErrorCode::Internal, "internal error");
            if let Some(extensions) = error.extensions.as_mut() {
                extensions.set("requestId", request_id);
            }
            async_graphql::Response::from_errors(vec![error])
        }
    }
}

/// The HTTP status (and `Retry-After`) of answers whose outcome is the transport's, not the query's.
pub(super) fn transport_status(response: &async_graphql::Response) -> Option<(StatusCode, Option<u64>)> {
    response.errors.iter().find_map(|error| {
        let async_graphql::Value::String(code) = error.extensions.as_ref()?.get("code")? else { return None };
        let code = ErrorCode::parse(code)?;
        // An internal failure in one field leaves the rest of the answer served: 200, with the error.
        if code == ErrorCode::Internal && response.data != async_graphql::Value::Null {
            return None;
        }
        let retry_after = (code == ErrorCode::ServiceUnavailable).then_some(1);
        Some((code.http_status()?, retry_after))
    })
}

/// The status, code and message of a request that was not let in, and how long to wait.
pub(super) fn refusal(refusal: Refusal) -> (ErrorCode, &'static str, Duration) {
    METRICS.requests.with_label_values(&["unknown", "refused"]).inc();
    match refusal {
        Refusal::Overloaded(wait) => (ErrorCode::Overloaded, "the server is busy; try again shortly", wait),
        Refusal::RateLimited(wait) => (ErrorCode::RateLimited, "too many requests from this client; slow down", wait),
    }
}

/// The answer to a request that was not let in.
/// The answer while the circuit is open: at once, without taking a place in the queue.
fn database_unavailable() -> Response {
    let message = "the database is unavailable; nothing was written, try again shortly";
    let mut response = error_response(ErrorCode::ServiceUnavailable, message);
    response.headers_mut().insert(header::RETRY_AFTER, 1.into());
    response
}

fn has_code(error: &async_graphql::ServerError, code: ErrorCode) -> bool {
    matches!(error.extensions.as_ref().and_then(|e| e.get("code")), Some(async_graphql::Value::String(c)) if c == code.as_str())
}

fn refused(refused: Refusal) -> Response {
    let (code, message, wait) = refusal(refused);
    let mut response = error_response(code, message);
    let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
    response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
    response
}

/// Who a request counts against for the rate limit: a known token, else the client's address.
pub(super) fn client_key(req: &Request, serving: &Serving, token: Option<&str>) -> String {
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
pub(super) fn bearer_token(req: &Request) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
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
