//! The knowledge base's services: every read and write goes through here, for GraphQL and the CLI alike.

pub mod advice;
mod as_draft;
pub mod document;
pub mod draft;
pub mod export;
pub mod geo;
pub mod import;
mod import_document;
mod index_source;
pub mod model;
mod progress;
pub mod prune;
pub mod read;
mod service;
pub mod tables;
pub mod write;
mod written;

use std::time::Duration;

use entity::EntityKind;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

pub use document::Document;
pub use import::ImportSummary;
pub use import_document::{ImportOptions, audit_import, write_document};
pub use index_source::IndexSource;
pub use progress::Progress;
pub use written::Written;

use crate::db::WriteTransaction;
use crate::error::Result;
use crate::search::SearchIndex;

/// How long a write outside any request (the CLI) waits for the index to apply it.
const INDEX_WAIT: Duration = Duration::from_secs(60);

/// The bundled knowledge base, loaded when `serve` starts on an empty database.
pub const SEED: &str = include_str!("../../seed/knowledge-base.json");

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
            self.committed().await;
        }
        Ok(summary)
    }

    /// Commits a write, unless the request's deadline has passed (then nothing is written and the
    /// answer is `TIMEOUT`); the write is searchable once [`Kb::settle`] returns (see [`Written`]).
    pub(crate) async fn commit(&self, txn: WriteTransaction) -> Result<()> {
        crate::deadline::check()?;
        txn.commit().await?;
        self.committed().await;
        Ok(())
    }

    /// After a commit: notes it for the request's transport to wait for, or, outside a request's
    /// [`Written`] scope, waits for the index itself.
    async fn committed(&self) {
        if !written::note() {
            self.wait_for_index(crate::deadline::remaining().unwrap_or(INDEX_WAIT)).await;
        }
    }

    /// Waits, until `deadline` at the latest, for the index to apply every write committed so
    /// far: a request that wrote ([`Written::any`]) calls it before answering.
    pub async fn settle(&self, deadline: tokio::time::Instant) {
        self.wait_for_index(deadline.saturating_duration_since(tokio::time::Instant::now())).await;
    }

    /// Waits, for at most `wait`, until what was committed is searchable. A committed write is
    /// done whatever happens here: the index catches up with the database on its own.
    async fn wait_for_index(&self, wait: Duration) {
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
