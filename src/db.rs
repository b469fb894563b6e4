//! Database helpers shared by the services and the change log: how a write begins, what time it is.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{DatabaseConnection, DatabaseTransaction, SqliteTransactionMode, TransactionOptions, TransactionTrait};

use crate::error::Result;

/// Starts a write transaction; on SQLite it takes the write lock at once, so that concurrent
/// writers wait their turn instead of failing when they upgrade from reading to writing.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction> {
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    Ok(db.begin_with_options(options).await?)
}

/// The current time, at the precision every database keeps.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
