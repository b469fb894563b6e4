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

/// The database file of a backup directory (and of a data directory on SQLite).
pub const DATABASE_FILE: &str = "pepite.db";

/// Writes a consistent copy of a running SQLite database to `dir/pepite.db` (`VACUUM INTO` reads
/// one snapshot while writers go on). The search index is left out: a server started on the copy
/// rebuilds it from the database, so index and database always agree.
pub async fn backup(db: &DatabaseConnection, dir: &std::path::Path) -> Result<PathBuf> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Err(AppError::invalid(
            "",
            "backup copies an SQLite database: back up PostgreSQL with pg_dump (see docs/operating.md)",
        ));
    }
    std::fs::create_dir_all(dir)
        .map_err(|err| AppError::Internal(format!("cannot create the backup directory {}: {err}", dir.display())))?;
    let file = dir.join(DATABASE_FILE);
    if file.exists() {
        return Err(AppError::invalid("", format!("{} exists already: back up into a new directory", file.display())));
    }
    let target = file.to_str().ok_or_else(|| AppError::invalid("", "the backup directory's path is not UTF-8"))?;
    let statement = format!("VACUUM INTO '{}'", target.replace('\'', "''"));
    sea_orm::ConnectionTrait::execute_unprepared(db, &statement).await?;
    Ok(file)
}

/// Puts a backup's database in place of the data directory's, and removes the data directory's
/// search index (rebuilt at the next start) and write-ahead log. No server may run on it meanwhile.
pub fn restore(
    backup: &std::path::Path,
    data_dir: &std::path::Path,
    index: &std::path::Path,
    replace: bool,
) -> Result<()> {
    let source = backup.join(DATABASE_FILE);
    if !source.is_file() {
        return Err(AppError::invalid("", format!("{} holds no {DATABASE_FILE}: not a backup", backup.display())));
    }
    let target = data_dir.join(DATABASE_FILE);
    if target.exists() && !replace {
        return Err(AppError::invalid(
            "",
            format!("{} exists: stop every server on it and pass --replace to overwrite it", target.display()),
        ));
    }
    let io = |what: &str, err: std::io::Error| AppError::Internal(format!("{what} in {}: {err}", data_dir.display()));
    std::fs::create_dir_all(data_dir).map_err(|err| io("cannot create the data directory", err))?;
    let staged = data_dir.join(format!("{DATABASE_FILE}.restoring"));
    std::fs::copy(&source, &staged).map_err(|err| io("cannot copy the backup", err))?;
    for stale in [format!("{DATABASE_FILE}-wal"), format!("{DATABASE_FILE}-shm")] {
        let _ = std::fs::remove_file(data_dir.join(stale));
    }
    if index.exists() {
        std::fs::remove_dir_all(index).map_err(|err| io("cannot remove the old search index", err))?;
    }
    std::fs::rename(&staged, &target).map_err(|err| io("cannot put the backup in place", err))
}
