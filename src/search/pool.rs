//! The blocking pool's share of the search index: tantivy's work runs there, never on the async runtime.

use std::sync::Arc;

use crate::error::{AppError, Result};

/// Runs blocking tantivy work off the async runtime.
pub(super) async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|err| AppError::Internal(format!("search task failed: {err}")))?
}

/// Searches run at once on the blocking pool: one per core. A search whose request timed out keeps
/// its slot until it ends, so abandoned work cannot pile up behind the async runtime's back.
static SEARCH_SLOTS: std::sync::LazyLock<Arc<tokio::sync::Semaphore>> = std::sync::LazyLock::new(|| {
    Arc::new(tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())))
});

/// Runs a search off the async runtime, waiting (cancellably) for one of the search slots; a
/// search is not started once the request's deadline has passed (however fast it would be).
pub(super) async fn bounded<T: Send + 'static>(work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    crate::deadline::check()?;
    let slot =
        SEARCH_SLOTS.clone().acquire_owned().await.map_err(|_| AppError::Internal("search slots closed".into()))?;
    blocking(move || {
        let _slot = slot;
        work()
    })
    .await
}
