//! The one error type of Pépite: each variant says what the client sees.

use sea_orm::{DbErr, RuntimeErr, sqlx};

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
/// `extensions.code`, so every conversion must go through [`ErrorExtensions`].
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
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid(_) => "BAD_USER_INPUT",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::Conflict { .. } => "CONFLICT",
            AppError::Unauthenticated => "UNAUTHENTICATED",
            AppError::Forbidden => "FORBIDDEN",
            AppError::Timeout => "TIMEOUT",
            AppError::Unavailable(_) => "SERVICE_UNAVAILABLE",
            AppError::Internal(_) => "INTERNAL",
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
