//! Waking the owner when another connection, or another replica, writes to the change log.

use sea_orm::DatabaseConnection;

use super::{POLL, State};
use crate::changelog;

/// Wakes the owner whenever a write on any replica notifies the change channel. Notifications
/// are lost while disconnected, so after every reconnection the owner is woken too (and polls anyway).
pub(super) async fn listen(db: DatabaseConnection, state: std::sync::Weak<State>) {
    use sea_orm::sqlx::postgres::PgListener;
    let pool = db.get_postgres_connection_pool().clone();
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(err) => {
                tracing::warn!(cause = %err, "cannot listen for changes; polling meanwhile");
                tokio::time::sleep(POLL).await;
                if state.upgrade().is_none() {
                    return;
                }
                continue;
            }
        };
        if let Err(err) = listener.listen(changelog::CHANNEL).await {
            tracing::warn!(cause = %err, "cannot listen for changes; polling meanwhile");
            tokio::time::sleep(POLL).await;
            continue;
        }
        loop {
            let Some(state) = state.upgrade() else { return };
            state.wake.notify_one();
            drop(state);
            match listener.try_recv().await {
                Ok(Some(_)) => {}
                // The connection was lost: what was notified meanwhile is lost with it.
                Ok(None) => tracing::warn!("change notifications interrupted; reconnecting"),
                Err(err) => {
                    tracing::warn!(cause = %err, "change notifications interrupted; reconnecting");
                    tokio::time::sleep(POLL).await;
                    break;
                }
            }
        }
    }
}
