//! The deadline of the request being served, visible to the services it calls.
//!
//! Reads are cancelled at the deadline; writes are not cancelled midway: they check the deadline
//! just before committing, so a write is either refused with `TIMEOUT` and leaves nothing behind,
//! or committed and answered as done.

use std::time::Duration;

use tokio::time::Instant;

use crate::error::{AppError, Result};

tokio::task_local! {
    static DEADLINE: Instant;
}

/// Runs `work` with `deadline` as the current request's deadline.
pub async fn scope<F: Future>(deadline: Instant, work: F) -> F::Output {
    DEADLINE.scope(deadline, work).await
}

/// Time left before the current request's deadline; `None` outside a request (the CLI).
pub fn remaining() -> Option<Duration> {
    DEADLINE.try_with(|deadline| deadline.saturating_duration_since(Instant::now())).ok()
}

/// `TIMEOUT` once the current request's deadline has passed.
pub fn check() -> Result<()> {
    match remaining() {
        Some(left) if left.is_zero() => Err(AppError::Timeout),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_passed_deadline_refuses_and_no_deadline_allows() {
        assert!(check().is_ok(), "no deadline outside a request");
        let passed = scope(Instant::now(), async { check() }).await;
        assert!(matches!(passed, Err(AppError::Timeout)));
        let later = scope(Instant::now() + Duration::from_secs(60), async { check() }).await;
        assert!(later.is_ok());
    }
}
