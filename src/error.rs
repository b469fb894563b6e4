//! The one error type of Pépite: each variant says what the client sees.

use poem::http::StatusCode;
use sea_orm::{DbErr, RuntimeErr, sqlx};

/// The stable code of every error a client can see, in `extensions.code`: the one list of them.
///
/// Each code also says the HTTP status of an answer whose outcome it is ([`ErrorCode::http_status`]),
/// for every transport alike (HTTP, WebSocket handshakes, the routes outside GraphQL).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The query text does not parse.
    GraphqlParseFailed,
    /// The document breaks a GraphQL rule or a shape limit.
    GraphqlValidationFailed,
    /// The request would cost more than the cost limit.
    QueryTooComplex,
    /// A persisted-query hash the server does not know.
    PersistedQueryNotFound,
    /// A document an anonymous client may not send: only the trusted documents' hashes are let in.
    OperationNotAllowed,
    /// An argument, input or variable breaks a rule.
    BadUserInput,
    /// An id given to a mutation matches nothing.
    NotFound,
    /// A taken slug, a reference in the way, a record changed meanwhile; nothing was written.
    Conflict,
    /// A mutation without a bearer token.
    Unauthenticated,
    /// A mutation with a token that may not write.
    Forbidden,
    /// Not a GraphQL request (bad JSON, a GET without a query, a bad persisted-query hash).
    BadRequest,
    /// A mutation sent with GET.
    MethodNotAllowed,
    /// A body over the size limit.
    PayloadTooLarge,
    /// The client is over its rate limit.
    RateLimited,
    /// A failure on the server's side.
    Internal,
    /// Too many requests in flight and waiting.
    Overloaded,
    /// The database cannot be reached.
    ServiceUnavailable,
    /// The request ran past its deadline.
    Timeout,
}

impl ErrorCode {
    /// Every code, in the order the outcomes table lists them.
    pub const ALL: [ErrorCode; 18] = [
        ErrorCode::GraphqlParseFailed,
        ErrorCode::GraphqlValidationFailed,
        ErrorCode::QueryTooComplex,
        ErrorCode::PersistedQueryNotFound,
        ErrorCode::OperationNotAllowed,
        ErrorCode::BadUserInput,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::BadRequest,
        ErrorCode::MethodNotAllowed,
        ErrorCode::PayloadTooLarge,
        ErrorCode::RateLimited,
        ErrorCode::Internal,
        ErrorCode::Overloaded,
        ErrorCode::ServiceUnavailable,
        ErrorCode::Timeout,
    ];

    /// The code as clients see it in `extensions.code`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            ErrorCode::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            ErrorCode::QueryTooComplex => "QUERY_TOO_COMPLEX",
            ErrorCode::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            ErrorCode::OperationNotAllowed => "OPERATION_NOT_ALLOWED",
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Internal => "INTERNAL",
            ErrorCode::Overloaded => "OVERLOADED",
            ErrorCode::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            ErrorCode::Timeout => "TIMEOUT",
        }
    }

    /// The code a client saw, if it is one of ours.
    pub fn parse(code: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == code)
    }

    /// The HTTP status of an answer whose outcome this code is, when it is the transport's outcome.
    ///
    /// `None` for the outcomes of GraphQL itself: those are answered 200, or 400 for a request
    /// error in `application/graphql-response+json`, as GraphQL over HTTP has it.
    pub fn http_status(self) -> Option<StatusCode> {
        match self {
            ErrorCode::GraphqlParseFailed
            | ErrorCode::GraphqlValidationFailed
            | ErrorCode::QueryTooComplex
            | ErrorCode::PersistedQueryNotFound
            | ErrorCode::OperationNotAllowed
            | ErrorCode::BadUserInput
            | ErrorCode::NotFound
            | ErrorCode::Conflict
            | ErrorCode::Unauthenticated
            | ErrorCode::Forbidden => None,
            ErrorCode::BadRequest => Some(StatusCode::BAD_REQUEST),
            ErrorCode::MethodNotAllowed => Some(StatusCode::METHOD_NOT_ALLOWED),
            ErrorCode::PayloadTooLarge => Some(StatusCode::PAYLOAD_TOO_LARGE),
            ErrorCode::RateLimited => Some(StatusCode::TOO_MANY_REQUESTS),
            ErrorCode::Internal => Some(StatusCode::INTERNAL_SERVER_ERROR),
            ErrorCode::Overloaded | ErrorCode::ServiceUnavailable => Some(StatusCode::SERVICE_UNAVAILABLE),
            ErrorCode::Timeout => Some(StatusCode::GATEWAY_TIMEOUT),
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in client input, with the path of the value at fault.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// Where the problem is, e.g. `companies[3].technologies[1]` or `slug`.
    pub path: String,
    /// What is wrong, in words a user can act on.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() { write!(f, "{}", self.message) } else { write!(f, "{}: {}", self.path, self.message) }
    }
}

/// What went wrong, as the client sees it.
///
/// It has no `Display` on purpose: async-graphql turns any `Display` into an error without
/// `extensions.code`, so every conversion must go through [`ErrorExtensions`](async_graphql::ErrorExtensions).
#[derive(Clone, Debug)]
pub enum AppError {
    /// The input breaks one or more rules; every problem is listed.
    Invalid(Vec<Problem>),
    NotFound(String),
    /// The write would break a uniqueness rule or a reference, or the record changed meanwhile.
    Conflict {
        message: String,
        field: Option<String>,
    },
    Unauthenticated,
    Forbidden,
    /// The request ran past its deadline; a write that answers this was not committed.
    Timeout,
    /// The database cannot be reached; the cause is logged, never shown to API clients.
    Unavailable(String),
    /// A failure on our side; the cause is logged, never shown to API clients.
    Internal(String),
}

fn summarize(problems: &[Problem]) -> String {
    match problems {
        [one] => one.to_string(),
        many => {
            let lines: Vec<String> = many.iter().map(|p| p.to_string()).collect();
            format!("{} problems: {}", many.len(), lines.join("; "))
        }
    }
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// The text a panic was raised with, for the log line that reports it.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic.downcast_ref::<&str>().copied().or_else(|| panic.downcast_ref::<String>().map(String::as_str)).unwrap_or("")
}

impl AppError {
    /// The message a client sees.
    pub fn message(&self) -> String {
        match self {
            AppError::Invalid(problems) => summarize(problems),
            AppError::NotFound(message) | AppError::Conflict { message, .. } => message.clone(),
            AppError::Unauthenticated => "this operation needs an `Authorization: Bearer <token>` header".into(),
            AppError::Forbidden => "the bearer token is not allowed to write".into(),
            AppError::Timeout => "the request did not finish within its time limit; nothing was written".into(),
            AppError::Unavailable(_) => "the database is unavailable; nothing was written, try again shortly".into(),
            AppError::Internal(_) => "internal error".into(),
        }
    }

    /// The full cause, for logs: the message, or the internal detail clients never see.
    pub fn cause(&self) -> String {
        match self {
            AppError::Internal(cause) | AppError::Unavailable(cause) => cause.clone(),
            other => other.message(),
        }
    }

    /// A single invalid value at `path`.
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![Problem { path: path.into(), message: message.into() }])
    }

    /// The stable code clients branch on, in `extensions.code`.
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Invalid(_) => ErrorCode::BadUserInput,
            AppError::NotFound(_) => ErrorCode::NotFound,
            AppError::Conflict { .. } => ErrorCode::Conflict,
            AppError::Unauthenticated => ErrorCode::Unauthenticated,
            AppError::Forbidden => ErrorCode::Forbidden,
            AppError::Timeout => ErrorCode::Timeout,
            AppError::Unavailable(_) => ErrorCode::ServiceUnavailable,
            AppError::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        match err.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                AppError::Conflict { message: "the slug is already taken".into(), field: Some("input.slug".into()) }
            }
            _ if is_timeout(&err) => AppError::Timeout,
            _ if is_unreachable(&err) => AppError::Unavailable(format!("database: {err}")),
            _ => AppError::Internal(format!("database: {err}")),
        }
    }
}

/// The driver's error, when there is one.
fn sqlx_error(err: &DbErr) -> Option<&sqlx::Error> {
    match err {
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => Some(e),
        _ => None,
    }
}

/// The SQLSTATE of a database error.
fn sql_state(err: &DbErr) -> Option<String> {
    match sqlx_error(err)? {
        sqlx::Error::Database(db) => db.code().map(|c| c.into_owned()),
        _ => None,
    }
}

/// PostgreSQL cancelled a statement past `statement_timeout`.
fn is_timeout(err: &DbErr) -> bool {
    sql_state(err).as_deref() == Some("57014")
}

/// The database cannot be reached: no connection to be had, or the one in use broke.
fn is_unreachable(err: &DbErr) -> bool {
    if matches!(err, DbErr::ConnectionAcquire(_) | DbErr::Conn(_)) {
        return true;
    }
    // PostgreSQL's connection exceptions (08…) and operator interventions (57P…: shutting down).
    if sql_state(err).is_some_and(|state| state.starts_with("08") || state.starts_with("57P")) {
        return true;
    }
    matches!(
        sqlx_error(err),
        Some(
            sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::Protocol(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed
        )
    )
}

impl From<tantivy::TantivyError> for AppError {
    fn from(err: tantivy::TantivyError) -> Self {
        AppError::Internal(format!("search index: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn every_code_reads_back_from_its_text_and_no_two_share_one() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        }
        let mut texts: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        texts.sort_unstable();
        texts.dedup();
        assert_eq!(texts.len(), ErrorCode::ALL.len());
        assert_eq!(ErrorCode::parse("NO_SUCH_CODE"), None);
    }

    #[test]
    fn outcomes_of_graphql_itself_leave_the_status_to_graphql_over_http() {
        assert_eq!(ErrorCode::BadUserInput.http_status(), None);
        assert_eq!(ErrorCode::Timeout.http_status().map(|s| s.as_u16()), Some(504));
        assert_eq!(ErrorCode::Overloaded.http_status().map(|s| s.as_u16()), Some(503));
    }
}
