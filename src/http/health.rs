//! What `/health`, `/ready`, `/metrics` and the start-up report say: a database probe and entity
//! counts refreshed in the background, read without waiting, so that they answer at once whatever
//! the load or the state of the database.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::Serialize;

use crate::kb::Kb;
use crate::metrics::METRICS;
use crate::search::IndexStatus;
use entity::EntityKind;

/// How often the database is probed, and how long one probe may take.
const PROBE_EVERY: Duration = Duration::from_secs(1);
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// Entity counts are refreshed every this many probes.
const COUNT_EVERY: u32 = 5;

/// Whether a replica should be sent traffic (`/ready`), or why not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Readiness {
    /// It serves.
    Ready,
    /// The database does not answer.
    Unavailable,
    /// The index is being rebuilt.
    Rebuilding,
    /// A change has waited longer than `--max-index-lag` to be applied.
    Lagging,
}

/// What `/health` and the start-up report show.
#[derive(Clone, Debug, Serialize)]
pub struct HealthReport {
    pub database: DatabaseReport,
    /// Entities by kind, in lowercase (`company`, `technology`, …).
    pub entities: std::collections::BTreeMap<String, u64>,
    /// This replica's name.
    pub replica: String,
    pub index: IndexReport,
}

/// The database, as the last probe found it.
#[derive(Clone, Debug, Serialize)]
pub struct DatabaseReport {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    pub status: DatabaseStatus,
    /// The URL without its password: in the start-up report only, never in `/health`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// Whether the database answered the last probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DatabaseStatus {
    Up,
    Unavailable,
}

/// The search index of this replica, and how far it is behind the change log.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexReport {
    pub documents: u64,
    pub segments: usize,
    /// The last change-log position the index applied.
    pub position: i64,
    /// The change log's last position.
    pub database_position: i64,
    /// Entries after the index's position.
    pub lag_changes: u64,
    /// Age of the oldest entry not applied yet.
    pub lag_seconds: f64,
    pub rebuilding: bool,
    /// Commits since this process opened the index: each makes a group of writes searchable.
    pub commits: u64,
    /// Size of the index on disk.
    pub bytes: u64,
    /// Memory the facets' ordinal arrays and value sets hold.
    pub facet_memory_bytes: u64,
}

/// What the last probes found.
pub struct Health {
    kb: Kb,
    max_index_lag: Duration,
    last: RwLock<Snapshot>,
    /// Whether the database is up, for requests waiting in the admission queue to hear it fall.
    up: tokio::sync::watch::Sender<bool>,
}

#[derive(Clone, Debug, Default)]
struct Snapshot {
    database_up: bool,
    entities: Vec<(EntityKind, u64)>,
    lag: Lag,
}

/// How far this replica's index is behind the change log.
#[derive(Clone, Copy, Debug, Default)]
struct Lag {
    /// The log's last position.
    database_position: i64,
    /// Entries after the index's position.
    changes: u64,
    /// Age of the oldest entry not applied yet.
    seconds: f64,
}

impl Health {
    /// Probes once, then keeps probing in the background for as long as the result is shared.
    pub async fn start(kb: Kb, max_index_lag: Duration) -> Arc<Health> {
        let up = tokio::sync::watch::Sender::new(true);
        let health = Arc::new(Health { kb, max_index_lag, last: RwLock::new(Snapshot::default()), up });
        health.refresh(true).await;
        let weak = Arc::downgrade(&health);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(PROBE_EVERY);
            for round in 1u32.. {
                tick.tick().await;
                let Some(health) = weak.upgrade() else { return };
                health.refresh(round % COUNT_EVERY == 0).await;
            }
        });
        health
    }

    async fn refresh(&self, count: bool) {
        let up = probe(self.kb.database()).await;
        let entities = match count && up {
            true => tokio::time::timeout(PROBE_TIMEOUT, self.kb.count_by_kind()).await.ok().and_then(Result::ok),
            false => None,
        };
        let lag = match up {
            true => tokio::time::timeout(PROBE_TIMEOUT, self.lag()).await.ok().and_then(Result::ok),
            false => None,
        };
        let mut last = self.last.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(lag) = lag {
            last.lag = lag;
        }
        if last.database_up != up {
            if up {
                tracing::info!("database reachable again");
            } else {
                tracing::warn!("database unreachable");
            }
        }
        last.database_up = up;
        self.up.send_replace(up);
        if let Some(entities) = entities {
            last.entities = entities;
        }
    }

    async fn lag(&self) -> crate::error::Result<Lag> {
        let position = self.kb.index().status().position;
        let database_position = crate::changelog::position(self.kb.database()).await?;
        let (changes, oldest) = crate::changelog::lag(self.kb.database(), position).await?;
        let seconds = oldest.map_or(0.0, |at| (chrono::Utc::now() - at).num_milliseconds().max(0) as f64 / 1000.0);
        Ok(Lag { database_position, changes, seconds })
    }

    fn snapshot(&self) -> Snapshot {
        self.last.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Whether the database answered the last probe.
    pub fn database_up(&self) -> bool {
        self.snapshot().database_up
    }

    /// A request found the database unreachable: it counts as down until the next probe answers.
    pub fn database_failed(&self) {
        let mut last = self.last.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if last.database_up {
            tracing::warn!("database unreachable");
        }
        last.database_up = false;
        self.up.send_replace(false);
    }

    /// Resolves when the database is found down (at once if it is).
    pub async fn database_down(&self) {
        let mut up = self.up.subscribe();
        let _ = up.wait_for(|up| !*up).await;
    }

    /// Whether to send traffic here, or why not.
    pub fn readiness(&self) -> Readiness {
        let snapshot = self.snapshot();
        if !snapshot.database_up {
            Readiness::Unavailable
        } else if self.kb.index().status().rebuilding {
            Readiness::Rebuilding
        } else if snapshot.lag.seconds > self.max_index_lag.as_secs_f64() {
            Readiness::Lagging
        } else {
            Readiness::Ready
        }
    }

    /// The figures `/health` and the start-up report show: database, entities by kind, index.
    pub fn report(&self) -> HealthReport {
        let snapshot = self.snapshot();
        let index: IndexStatus = self.kb.index().status();
        HealthReport {
            database: DatabaseReport {
                backend: match self.kb.database().get_database_backend() {
                    sea_orm::DbBackend::Postgres => "postgres",
                    sea_orm::DbBackend::MySql => "mysql",
                    _ => "sqlite",
                },
                status: if snapshot.database_up { DatabaseStatus::Up } else { DatabaseStatus::Unavailable },
                url: None,
            },
            entities: snapshot.entities.iter().map(|(kind, n)| (kind.as_str().to_lowercase(), *n)).collect(),
            replica: self.kb.index().replica().to_string(),
            index: IndexReport {
                documents: index.documents,
                segments: index.segments,
                position: index.position,
                database_position: snapshot.lag.database_position,
                lag_changes: snapshot.lag.changes,
                lag_seconds: snapshot.lag.seconds,
                rebuilding: index.rebuilding,
                commits: index.commits,
                bytes: index.bytes,
                facet_memory_bytes: index.facet_memory_bytes,
            },
        }
    }

    /// Brings the gauges of `/metrics` up to date.
    pub fn update_metrics(&self) {
        let snapshot = self.snapshot();
        for (kind, n) in snapshot.entities {
            METRICS.entities.with_label_values(&[kind.as_str()]).set(n as i64);
        }
        let index = self.kb.index().status();
        METRICS.index_documents.set(index.documents as i64);
        METRICS.index_position.set(index.position);
        METRICS.index_commits.inc_by(index.commits.saturating_sub(METRICS.index_commits.get()));
        METRICS.index_facet_memory_bytes.set(index.facet_memory_bytes as i64);
        let pool = match self.kb.database().get_database_backend() {
            sea_orm::DbBackend::Postgres => {
                let pool = self.kb.database().get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
            _ => {
                let pool = self.kb.database().get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
        };
        METRICS.pool_connections.with_label_values(&["idle"]).set(pool.1 as i64);
        METRICS.pool_connections.with_label_values(&["in_use"]).set(pool.0 as i64 - pool.1 as i64);
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
