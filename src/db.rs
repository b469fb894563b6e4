//! Database helpers shared by the services and the change log: how a write begins, what time it is.

use std::collections::HashMap;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::error::{AppError, Result};

/// This process's writers to an SQLite database take turns here, first come first served, before
/// they take SQLite's lock: a writer that finds that lock taken sleeps and retries (up to 100 ms
/// at a time), which under a few concurrent writers costs more than their writes. One turn per
/// database file.
static SQLITE_TURNS: LazyLock<std::sync::Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>> = LazyLock::new(Default::default);
/// How long a write outside any request (the CLI) waits for its turn; a request waits until its deadline.
const TURN_WAIT: Duration = Duration::from_secs(60);

/// A write transaction: on SQLite it holds this process's turn to write until it ends.
pub struct WriteTransaction {
    txn: DatabaseTransaction,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl WriteTransaction {
    pub async fn commit(self) -> std::result::Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> std::result::Result<(), DbErr> {
        self.txn.rollback().await
    }
}

impl Deref for WriteTransaction {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

/// Starts a write transaction; on SQLite it takes the write lock at once, so that concurrent
/// writers wait their turn instead of failing when they upgrade from reading to writing. A
/// write that cannot start before the request's deadline is `TIMEOUT`, with nothing written.
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTransaction> {
    let turn = if db.get_database_backend() == DbBackend::Sqlite {
        let file = db.get_sqlite_connection_pool().connect_options().get_filename().to_path_buf();
        let turns = SQLITE_TURNS
            .lock()
            .map_err(|_| AppError::Internal("write turns poisoned".into()))?
            .entry(file)
            .or_default()
            .clone();
        let wait = crate::deadline::remaining().unwrap_or(TURN_WAIT);
        let turn = tokio::time::timeout(wait, turns.lock_owned()).await;
        Some(turn.map_err(|_| AppError::Timeout)?)
    } else {
        None
    };
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    Ok(WriteTransaction { txn: db.begin_with_options(options).await?, _turn: turn })
}

/// The current time, at the precision every database keeps.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
