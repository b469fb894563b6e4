//! The knowledge base's services: every read and write goes through here, for GraphQL and the CLI alike.

pub mod advice;
mod as_draft;
pub mod document;
pub mod draft;
pub mod export;
pub mod import;
mod kind;
pub mod model;
pub mod prune;
pub mod read;
mod service;
pub mod write;

use std::time::Duration;

use sea_orm::{
    DatabaseConnection, DatabaseTransaction, EntityTrait, PaginatorTrait, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

pub use document::Document;
pub use import::ImportSummary;
pub use kind::EntityKind;

use crate::error::{AppError, Result};
use crate::search::SearchIndex;

/// How long a write outside any request (the CLI) waits for the index to apply it.
const INDEX_WAIT: Duration = Duration::from_secs(60);

/// Where an import reports how far it got: a terminal's progress bar, or nothing (`&()`).
pub trait Progress: Sync {
    /// How many entities the import will go through.
    fn set_length(&self, _total: u64) {}
    /// `n` more entities done.
    fn inc(&self, _n: u64) {}
}

/// No report.
impl Progress for () {}

/// The bundled knowledge base, loaded when `serve` starts on an empty database.
pub const SEED: &str = include_str!("../../seed/knowledge-base.json");

/// How an import treats what the document does not say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Delete the entities the document does not hold, so that the knowledge base equals it.
    pub prune: bool,
    /// With `prune`, clear the document's references to entities it does not hold instead of refusing them.
    pub force: bool,
    /// Check and count everything, and write nothing.
    pub dry_run: bool,
}

/// Checks and writes a document in one transaction, recording the changes for the search index:
/// entities upserted by slug (unchanged ones left alone), and with `prune` the others deleted.
/// With `index`, the import adds its documents to that index as it writes (see [`crate::search::Bulk`]).
pub async fn write_document(
    db: &DatabaseConnection,
    document: &Document,
    options: ImportOptions,
    progress: &dyn Progress,
    index: Option<&SearchIndex>,
) -> Result<ImportSummary> {
    // Asked before the write begins: the index first applies what is in the log already.
    let mut bulk = match index {
        Some(index) if !options.dry_run => Some(index.bulk().await?),
        _ => None,
    };
    let txn = begin_write(db).await?;
    let pruned = if options.prune { prune::pruned(&txn, document).await? } else { prune::Pruned::default() };
    let cleared;
    let document = if options.force && !pruned.is_empty() {
        cleared = prune::clear_references(document, &pruned);
        &cleared
    } else {
        document
    };
    let existing = import::existing(&txn, document).await?;
    let mut problems = match document.validate(&existing) {
        Ok(()) => Vec::new(),
        Err(AppError::Invalid(problems)) => problems,
        Err(other) => return Err(other),
    };
    problems.extend(prune::blockers(document, &pruned));
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    progress.set_length(document.len() as u64);
    let mut summary = import::write(&txn, document, import::Mode::Upsert, progress, bulk.as_mut()).await?;
    prune::delete(&txn, &pruned, &mut summary).await?;
    if options.dry_run {
        txn.rollback().await?;
        summary.dry_run = true;
        return Ok(summary);
    }
    if let (Some(bulk), Some(logged)) = (&mut bulk, summary.logged) {
        bulk.settle(&txn, logged).await?;
    }
    crate::deadline::check()?;
    txn.commit().await?;
    if let Some(bulk) = bulk {
        bulk.committed().await;
    }
    Ok(summary)
}

/// The audit line of a committed import: who, how many entities of each kind it wrote, which ones.
pub fn audit_import(actor: &str, summary: &ImportSummary) {
    /// Ids listed in one audit line at most; the change log holds every one.
    const LISTED: usize = 1_000;
    let mut ids = summary.touched.iter().take(LISTED).cloned().collect::<Vec<_>>().join(",");
    if summary.touched.len() > LISTED {
        ids.push_str(&format!(",… ({} more)", summary.touched.len() - LISTED));
    }
    let counts = summary.to_string().replace('\n', "; ");
    tracing::info!(target: "pepite::audit", actor, action = "import", counts = counts.trim_end_matches("; "), ids, "write");
}

/// Starts a write transaction; on SQLite it takes the write lock at once, so that concurrent
/// writers wait their turn instead of failing when they upgrade from reading to writing.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction> {
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    Ok(db.begin_with_options(options).await?)
}

/// The database and the search index that mirrors it.
#[derive(Clone)]
pub struct Kb {
    db: DatabaseConnection,
    search: SearchIndex,
}

impl Kb {
    /// The knowledge base over a migrated database and the index that follows it.
    pub fn new(db: DatabaseConnection, search: SearchIndex) -> Kb {
        Kb { db, search }
    }

    /// The database, for the CLI, `/health`, benchmarks and tests; the GraphQL layer goes through
    /// the service methods instead.
    pub fn database(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The search index, for the CLI, `/health`, benchmarks and tests; the GraphQL layer goes
    /// through the service methods instead.
    pub fn index(&self) -> &SearchIndex {
        &self.search
    }

    /// Checks and writes a document in one transaction: all of it is written, or nothing.
    /// When it returns, the changes are searchable.
    #[tracing::instrument(skip_all, fields(entities = document.len()))]
    pub async fn import(
        &self,
        actor: &str,
        document: &Document,
        options: ImportOptions,
        progress: &dyn Progress,
    ) -> Result<ImportSummary> {
        let summary = write_document(&self.db, document, options, progress, Some(&self.search)).await?;
        if !summary.dry_run {
            audit_import(actor, &summary);
            self.wait_for_index().await;
        }
        Ok(summary)
    }

    /// Commits a write, unless the request's deadline has passed (then nothing is written and the
    /// answer is `TIMEOUT`), and waits for the index to apply it.
    pub(crate) async fn commit(&self, txn: DatabaseTransaction) -> Result<()> {
        crate::deadline::check()?;
        txn.commit().await?;
        self.wait_for_index().await;
        Ok(())
    }

    /// Waits, within the request's deadline, until what was committed is searchable. A committed
    /// write is done whatever happens here: the index catches up with the database on its own.
    async fn wait_for_index(&self) {
        let wait = crate::deadline::remaining().unwrap_or(INDEX_WAIT);
        match tokio::time::timeout(wait, self.search.sync()).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => {
                tracing::warn!(cause = %err.cause(), "written, but not indexed yet; the index will catch up")
            }
            Err(_) => tracing::warn!("written, but not indexed within the request's time; the index will catch up"),
        }
    }

    /// How many entities of each kind the database holds.
    pub async fn count_by_kind(&self) -> Result<Vec<(EntityKind, u64)>> {
        Ok(vec![
            (EntityKind::Company, entity::company::Entity::find().count(&self.db).await?),
            (EntityKind::Technology, entity::technology::Entity::find().count(&self.db).await?),
            (EntityKind::Programme, entity::programme::Entity::find().count(&self.db).await?),
            (EntityKind::Organisation, entity::organisation::Entity::find().count(&self.db).await?),
            (EntityKind::Person, entity::person::Entity::find().count(&self.db).await?),
            (EntityKind::Event, entity::event::Entity::find().count(&self.db).await?),
        ])
    }

    /// Whether the knowledge base holds no entity at all.
    pub async fn is_empty(&self) -> Result<bool> {
        Ok(entity::organisation::Entity::find().count(&self.db).await? == 0
            && entity::technology::Entity::find().count(&self.db).await? == 0
            && entity::programme::Entity::find().count(&self.db).await? == 0
            && entity::company::Entity::find().count(&self.db).await? == 0
            && entity::person::Entity::find().count(&self.db).await? == 0
            && entity::event::Entity::find().count(&self.db).await? == 0)
    }

    /// Loads the bundled knowledge base if the database is empty; says whether it did.
    pub async fn seed_if_empty(&self) -> Result<bool> {
        if !self.is_empty().await? {
            return Ok(false);
        }
        let document = Document::parse(SEED)?;
        self.import("seed", &document, ImportOptions::default(), &()).await?;
        Ok(true)
    }
}
