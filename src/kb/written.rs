//! Read-your-writes, waited for outside a request's admission slot.
//!
//! A write is answered once its own replica can search it. A request that waited for the index
//! inside its slot would hold, for the length of an index commit, a slot that reads need; so the
//! transports (HTTP, WebSocket) run each request in a [`Written`] scope, where a commit is only
//! noted, and wait for the index themselves after giving the slot back, before they answer.
//! Outside such a scope (the CLI), a write waits for the index itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

tokio::task_local! {
    static WRITTEN: Written;
}

/// Whether the request run in this scope committed a write.
#[derive(Clone, Debug, Default)]
pub struct Written(Arc<AtomicBool>);

impl Written {
    /// Runs `work` in this scope: its commits are noted here instead of waited for.
    pub async fn scope<F: Future>(&self, work: F) -> F::Output {
        WRITTEN.scope(self.clone(), work).await
    }

    /// Whether anything was committed in this scope.
    pub fn any(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Notes a commit for the request's transport to wait for; `false` outside any scope.
pub(super) fn note() -> bool {
    WRITTEN.try_with(|written| written.0.store(true, Ordering::Release)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_commit_is_noted_in_its_scope_only() {
        assert!(!note(), "outside a scope, the writer waits itself");
        let (quiet, wrote) = (Written::default(), Written::default());
        quiet.scope(async {}).await;
        assert!(wrote.scope(async { note() }).await);
        assert!(!quiet.any());
        assert!(wrote.any());
    }
}
