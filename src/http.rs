//! HTTP routes: GraphQL over HTTP (POST and GET), the playground, its assets, and `/health`.

use std::sync::LazyLock;

use async_graphql_poem::{GraphQLRequest, GraphQLResponse};
use poem::http::{Method, StatusCode, header};
use poem::web::{Data, Json, Path, Redirect};
use poem::{Body, Endpoint, EndpointExt, IntoResponse, Request, Response, Route, get, handler};
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::graphql::{self, AppSchema};
use crate::kb::Kb;

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

/// The application's routes.
pub fn routes(schema: AppSchema, kb: Kb) -> impl poem::Endpoint {
    Route::new()
        .at("/", get(root))
        .at("/graphql", get(graphql_endpoint).post(graphql_endpoint))
        .at("/playground/:file", get(asset))
        .at("/health", get(health))
        .around(limit_body)
        .data(schema)
        .data(kb)
}

/// Refuses bodies announced as too large, and cuts off any body past the limit
/// (a truncated body then fails to parse, with a 400).
async fn limit_body<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    let announced =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Ok(error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
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
    kb: Data<&Kb>,
    request: poem::Result<GraphQLRequest>,
) -> Response {
    if req.method() == Method::GET && !has_query_param(req) {
        if accepts_html(req) {
            return playground();
        }
        return error_response(
            StatusCode::BAD_REQUEST,
            "GET /graphql needs a `query` parameter; open it in a browser for the playground",
        );
    }
    match request {
        Ok(GraphQLRequest(request)) => {
            let mut request = request.data(graphql::loader(&kb));
            if req.method() == Method::GET {
                request = request.data(graphql::ReadOnlyRequest);
            }
            if let Some(token) = bearer_token(req) {
                request = request.data(graphql::Bearer(token));
            }
            GraphQLResponse::from(schema.execute(request).await).into_response()
        }
        Err(err) => error_response(err.status(), &format!("not a GraphQL request: {err}")),
    }
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
fn error_response(status: StatusCode, message: &str) -> Response {
    let body = json!({"errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]});
    (status, Json(body)).into_response()
}

/// The playground page, with the default query in it (escaped so that it cannot close the script).
static PLAYGROUND: LazyLock<String> = LazyLock::new(|| {
    let query = serde_json::to_string(DEFAULT_QUERY).unwrap_or_default().replace('<', "\\u003c");
    include_str!("../assets/playground.html").replace("{{DEFAULT_QUERY_JSON}}", &query)
});

fn playground() -> Response {
    Response::builder().content_type("text/html; charset=utf-8").body(PLAYGROUND.as_str())
}

/// GraphiQL's files, served from the binary: the playground works with no internet access.
#[handler]
fn asset(Path(file): Path<String>) -> Response {
    let (body, content_type): (&'static [u8], &str) = match file.as_str() {
        "graphiql.min.js" => (include_bytes!("../assets/graphiql/graphiql.min.js"), "text/javascript"),
        "graphiql.min.css" => (include_bytes!("../assets/graphiql/graphiql.min.css"), "text/css"),
        "react.production.min.js" => (include_bytes!("../assets/graphiql/react.production.min.js"), "text/javascript"),
        "react-dom.production.min.js" => {
            (include_bytes!("../assets/graphiql/react-dom.production.min.js"), "text/javascript")
        }
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    Response::builder().content_type(content_type).header(header::CACHE_CONTROL, "public, max-age=86400").body(body)
}

/// 200 when the database answers, 503 with the reason otherwise.
#[handler]
async fn health(kb: Data<&Kb>) -> Response {
    let backend = kb.db.get_database_backend();
    match kb.db.execute_unprepared("SELECT 1").await {
        Ok(_) => Json(json!({"status": "ok", "database": format!("{backend:?}").to_lowercase()})).into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "reason": format!("database: {err}")})),
            )
                .into_response()
        }
    }
}
