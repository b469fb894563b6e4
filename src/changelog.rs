//! The change log: what every write changed, in commit order, for every replica and subscriber.
//!
//! Writes append one row per changed entity in their own transaction ([`record`]); each replica's
//! search index applies the rows after its position, and subscriptions stream them. Rows are
//! never deleted because one reader applied them: [`prune`] drops those older than the retention
//! period and raises the stored low-water mark, below which a reader must rebuild from the database.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{change, meta};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveEnum, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};

use entity::EntityKind;
pub use entity::Operation;

use crate::error::{AppError, Result};

/// The PostgreSQL channel a write notifies when it commits changes.
pub const CHANNEL: &str = "pepite_changes";
/// Serialises log appends until commit, so that positions are handed out in commit order.
const APPEND_LOCK: i64 = 0x7065_7069_7465_0001;
/// Held (for one transaction) by the replica pruning the log.
const PRUNE_LOCK: i64 = 0x7065_7069_7465_0002;
const LOW_WATER: &str = "change_low_water";
const REPLICA_PREFIX: &str = "replica:";
/// A replica that has not reported its position for this long is considered gone.
const REPLICA_GONE: Duration = Duration::from_secs(15);
/// Rows per INSERT or `IN (…)` list.
const BATCH: usize = 1_000;

/// An entity a write touched, as the write knows it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Touched {
    /// Written by an insert or an upsert: created when its `created_at` equals its `updated_at`.
    Written(EntityKind, i32),
    /// Changed through a relation (e.g. a link to a deleted entity was cleared).
    Affected(EntityKind, i32),
    /// Deleted; its slug is read before the row goes.
    Deleted(EntityKind, i32, String),
}

/// One entry of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub position: i64,
    pub operation: Operation,
    pub kind: EntityKind,
    pub id: i32,
    pub slug: String,
    pub at: DateTime<Utc>,
}

/// Entries read from the log.
#[derive(Debug, Default)]
pub struct Page {
    pub changes: Vec<Change>,
    /// The position of the last row read, readable or not.
    pub last: Option<i64>,
    /// Whether the page holds as many rows as asked for: more may follow.
    pub full: bool,
    /// Whether some rows could not be read (written by an older version): the reader should rebuild.
    pub unreadable: bool,
}

/// The table holding entities of `kind`.
pub fn table(kind: EntityKind) -> &'static str {
    kind.table()
}

/// Appends one row per touched entity, in the caller's transaction, as its last statements: on
/// PostgreSQL it takes the append lock (held until commit, so positions follow commit order) and
/// notifies the replicas (delivered at commit). Returns the positions `(after, last]` of the
/// entries, `None` if there were none.
pub async fn record(
    db: &impl ConnectionTrait,
    touched: impl IntoIterator<Item = Touched>,
) -> Result<Option<(i64, i64)>> {
    let touched: BTreeSet<Touched> = touched.into_iter().collect();
    let deleted: BTreeSet<(EntityKind, i32)> = touched
        .iter()
        .filter_map(|t| match t {
            Touched::Deleted(kind, id, _) => Some((*kind, *id)),
            _ => None,
        })
        .collect();
    // Stamped once the append lock is held, as close to the commit as the write can know it.
    let at = DateTime::<Utc>::MIN_UTC;
    let mut rows = Vec::with_capacity(touched.len());
    let mut seen = BTreeSet::new();
    for kind in EntityKind::ALL {
        let written: BTreeSet<i32> = touched
            .iter()
            .filter_map(|t| match t {
                Touched::Written(k, id) if *k == kind => Some(*id),
                _ => None,
            })
            .collect();
        let affected: BTreeSet<i32> = touched
            .iter()
            .filter_map(|t| match t {
                Touched::Affected(k, id) if *k == kind => Some(*id),
                _ => None,
            })
            .collect();
        let ids: Vec<i32> = written.union(&affected).copied().collect();
        for chunk in ids.chunks(BATCH) {
            let query = Query::select()
                .columns([Alias::new("id"), Alias::new("slug"), Alias::new("created_at"), Alias::new("updated_at")])
                .from(Alias::new(table(kind)))
                .and_where(Expr::col(Alias::new("id")).is_in(chunk.iter().copied()))
                .to_owned();
            for row in db.query_all(&query).await? {
                let id: i32 = row.try_get("", "id")?;
                if deleted.contains(&(kind, id)) || !seen.insert((kind, id)) {
                    continue;
                }
                let created: DateTime<Utc> = row.try_get("", "created_at")?;
                let updated: DateTime<Utc> = row.try_get("", "updated_at")?;
                let operation = if !affected.contains(&id) && written.contains(&id) && created == updated {
                    Operation::Created
                } else {
                    Operation::Updated
                };
                rows.push(entry(operation, kind, id, row.try_get("", "slug")?, at));
            }
        }
    }
    for t in touched {
        if let Touched::Deleted(kind, id, slug) = t {
            rows.push(entry(Operation::Deleted, kind, id, slug, at));
        }
    }
    if rows.is_empty() {
        return Ok(None);
    }
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    if postgres {
        db.execute_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT pg_advisory_xact_lock({APPEND_LOCK})"),
        ))
        .await?;
    }
    let at = crate::db::now();
    for row in &mut rows {
        row.at = Set(at);
    }
    // No other write appends meanwhile (the append lock, or SQLite's one writer): the entries
    // after the last one now are this write's.
    let before = last_entry(db).await?;
    for chunk in rows.chunks(BATCH) {
        change::Entity::insert_many(chunk.to_vec()).exec_without_returning(db).await?;
    }
    if postgres {
        db.execute_raw(Statement::from_string(DbBackend::Postgres, format!("SELECT pg_notify('{CHANNEL}', '')")))
            .await?;
    }
    Ok(Some((before, last_entry(db).await?)))
}

/// The position of the last entry in the log, 0 if none.
async fn last_entry(db: &impl ConnectionTrait) -> Result<i64> {
    let last: Option<i64> = change::Entity::find()
        .select_only()
        .column_as(change::Column::Seq.max(), "max")
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten();
    Ok(last.unwrap_or(0))
}

/// A log row. A person's rows keep no slug (it spells the person's name): only the kind and the
/// id, so that erasing a person leaves nothing of them in the log.
fn entry(operation: Operation, kind: EntityKind, id: i32, slug: String, at: DateTime<Utc>) -> change::ActiveModel {
    let slug = if kind == EntityKind::Person { String::new() } else { slug };
    change::ActiveModel {
        seq: NotSet,
        kind: Set(kind),
        entity_id: Set(id),
        operation: Set(operation),
        slug: Set(slug),
        at: Set(at),
    }
}

/// Up to `limit` entries after `position`, in log order.
pub async fn after(db: &impl ConnectionTrait, position: i64, limit: u64) -> Result<Page> {
    use change::Column as C;
    // Read as text: a row naming a kind or an operation this version does not know (written by
    // another version) makes the page unreadable rather than failing the read.
    let rows: Vec<(i64, String, i32, String, String, DateTime<Utc>)> = change::Entity::find()
        .select_only()
        .columns([C::Seq, C::Kind, C::EntityId, C::Operation, C::Slug, C::At])
        .filter(C::Seq.gt(position))
        .order_by_asc(C::Seq)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    let mut page = Page { last: rows.last().map(|r| r.0), full: rows.len() as u64 == limit, ..Page::default() };
    for (seq, kind, id, operation, slug, at) in rows {
        match (Operation::try_from_value(&operation), EntityKind::try_from_value(&kind)) {
            (Ok(operation), Ok(kind)) => page.changes.push(Change { position: seq, operation, kind, id, slug, at }),
            _ => page.unreadable = true,
        }
    }
    Ok(page)
}

/// The position of the last entry written (the low-water mark when every entry was pruned).
pub async fn position(db: &impl ConnectionTrait) -> Result<i64> {
    Ok(Ord::max(last_entry(db).await?, low_water(db).await?))
}

/// How far behind a reader at `position` is: entries not yet applied, and the age of the oldest.
pub async fn lag(db: &impl ConnectionTrait, position: i64) -> Result<(u64, Option<DateTime<Utc>>)> {
    let (count, oldest): (i64, Option<DateTime<Utc>>) = change::Entity::find()
        .select_only()
        .column_as(change::Column::Seq.count(), "count")
        .column_as(change::Column::At.min(), "oldest")
        .filter(change::Column::Seq.gt(position))
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or((0, None));
    Ok((count as u64, oldest))
}

/// Entries at or below this position may have been pruned.
pub async fn low_water(db: &impl ConnectionTrait) -> Result<i64> {
    let row = meta::Entity::find_by_id(LOW_WATER).one(db).await?;
    Ok(row.and_then(|r| r.value.parse().ok()).unwrap_or(0))
}

/// Deletes entries older than `retention`, unless another replica is doing it, and raises the
/// low-water mark; returns the new mark when it pruned. The newest entry is always kept, so that
/// positions keep growing whatever the database's sequence does with an empty table.
pub async fn prune(db: &DatabaseConnection, retention: Duration) -> Result<Option<i64>> {
    let txn = crate::db::begin_write(db).await?;
    if db.get_database_backend() == DbBackend::Postgres {
        let row = txn
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT pg_try_advisory_xact_lock({PRUNE_LOCK}) AS held"),
            ))
            .await?;
        let held = row.map(|r| r.try_get::<bool>("", "held")).transpose()?.unwrap_or(false);
        if !held {
            return Ok(None);
        }
    }
    let retention = chrono::Duration::from_std(retention).map_err(|err| AppError::Internal(err.to_string()))?;
    let cutoff = Utc::now() - retention;
    let newest = position(&*txn).await?;
    let boundary: Option<i64> = change::Entity::find()
        .select_only()
        .column_as(change::Column::Seq.max(), "max")
        .filter(change::Column::At.lt(cutoff))
        .filter(change::Column::Seq.lt(newest))
        .into_tuple::<Option<i64>>()
        .one(&*txn)
        .await?
        .flatten();
    let Some(boundary) = boundary else { return Ok(None) };
    change::Entity::delete_many().filter(change::Column::Seq.lte(boundary)).exec(&*txn).await?;
    let mark = meta::ActiveModel { key: Set(LOW_WATER.into()), value: Set(boundary.to_string()) };
    meta::Entity::insert(mark)
        .on_conflict(OnConflict::column(meta::Column::Key).update_column(meta::Column::Value).to_owned())
        .exec_without_returning(&*txn)
        .await?;
    txn.commit().await?;
    Ok(Some(boundary))
}

/// Records how far a replica's index has applied the log, so that writers outside it (the CLI)
/// can wait for every running replica.
pub async fn report_replica(db: &impl ConnectionTrait, replica: &str, position: i64) -> Result<()> {
    let value = serde_json::json!({ "position": position, "at": Utc::now() }).to_string();
    let key: String = format!("{REPLICA_PREFIX}{replica}").chars().take(64).collect();
    meta::Entity::insert(meta::ActiveModel { key: Set(key), value: Set(value) })
        .on_conflict(OnConflict::column(meta::Column::Key).update_column(meta::Column::Value).to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Positions of the replicas that reported recently.
pub async fn replicas(db: &impl ConnectionTrait) -> Result<Vec<(String, i64)>> {
    let rows = meta::Entity::find().filter(meta::Column::Key.starts_with(REPLICA_PREFIX)).all(db).await?;
    let now = Utc::now();
    let gone = chrono::Duration::from_std(REPLICA_GONE).unwrap_or_default();
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let value: serde_json::Value = serde_json::from_str(&row.value).ok()?;
            let at: DateTime<Utc> = value.get("at")?.as_str()?.parse().ok()?;
            let position = value.get("position")?.as_i64()?;
            (now - at < gone).then(|| (row.key[REPLICA_PREFIX.len()..].to_string(), position))
        })
        .collect())
}

/// Waits until every running replica has applied the log up to its current end; says whether
/// they did within `timeout` (true at once when none runs).
pub async fn wait_until_applied(db: &DatabaseConnection, timeout: Duration) -> Result<bool> {
    let target = position(db).await?;
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if replicas(db).await?.iter().all(|(_, position)| *position >= target) {
            return Ok(true);
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
