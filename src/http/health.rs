//! The database probe behind `/health`: refreshed in the background, read without waiting, so that
//! health checks answer at once whatever the load or the state of the database.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection};

/// How often the database is probed, and how long one probe may take.
const PROBE_EVERY: Duration = Duration::from_secs(1);
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// What the last probe found.
#[derive(Debug)]
pub struct Health {
    database_up: AtomicBool,
}

impl Health {
    /// Probes once, then keeps probing in the background for as long as the result is shared.
    pub async fn start(db: DatabaseConnection) -> Arc<Health> {
        let health = Arc::new(Health { database_up: AtomicBool::new(probe(&db).await) });
        let weak = Arc::downgrade(&health);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(PROBE_EVERY);
            loop {
                tick.tick().await;
                let up = probe(&db).await;
                let Some(health) = weak.upgrade() else { return };
                if health.database_up.swap(up, Ordering::Relaxed) != up {
                    if up {
                        tracing::info!("database reachable again");
                    } else {
                        tracing::warn!("database unreachable");
                    }
                }
            }
        });
        health
    }

    /// Whether the database answered the last probe.
    pub fn database_up(&self) -> bool {
        self.database_up.load(Ordering::Relaxed)
    }
}

async fn probe(db: &DatabaseConnection) -> bool {
    match tokio::time::timeout(PROBE_TIMEOUT, db.execute_unprepared("SELECT 1")).await {
        Ok(Ok(_)) => true,
        Ok(Err(err)) => {
            tracing::debug!(cause = %err, "database probe failed");
            false
        }
        Err(_) => false,
    }
}
