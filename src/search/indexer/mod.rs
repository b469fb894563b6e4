//! The index's lifecycle: opened at start, rebuilt when missing, corrupt or from another schema,
//! and kept in step with the database by following the change log.
//!
//! One task owns the only `IndexWriter`. Each commit records, in its payload, the last log
//! position it applied; at start the log is replayed from there, so a crash at any point of a
//! write leaves an index that catches up with the database. Several replicas follow one log, each
//! with its own index: none deletes entries, retention prunes them by age.

mod bulk;
mod feeder;
mod listen;
mod open;
mod owner;
mod touched;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{DatabaseConnection, DbBackend};
use tantivy::IndexReader;
use tokio::sync::{Notify, mpsc, oneshot, watch};

pub use bulk::Bulk;
use listen::listen;
use open::{database_identity, open_parts};
use owner::Owner;

use super::ordinals::FacetOrdinals;
use super::pool::blocking;
use super::schema::{self, Fields, SCHEMA_VERSION};
use super::source::Source;
use crate::error::{AppError, Result};

/// Entities read from the database per step of a rebuild or of a sync.
const REBUILD_PAGE: u64 = 5_000;
/// How often the owner looks for changes written by another process, whether or not it was notified.
const POLL: Duration = Duration::from_secs(1);
/// Log entries read per statement.
const PAGE: u64 = 10_000;

enum Request {
    Sync(oneshot::Sender<Result<()>>),
    Rebuild(oneshot::Sender<Result<()>>),
    /// Hands the writer to an import until it ends (see [`Bulk`]).
    Bulk(oneshot::Sender<Result<Bulk>>),
    /// Makes the owner panic, to test that it restarts.
    #[cfg(test)]
    Panic,
}

/// A handle to the search index: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct SearchIndex {
    pub(super) reader: IndexReader,
    pub(super) fields: Fields,
    /// The facets' ordinals of the segments searched.
    pub(super) ordinals: Arc<FacetOrdinals>,
    requests: mpsc::UnboundedSender<Request>,
    state: Arc<State>,
    dir: PathBuf,
}

/// How this process follows the change log.
#[derive(Clone, Debug)]
pub struct Following {
    /// This replica's name, in logs, `/health` and the positions it reports to the database.
    pub replica: String,
    /// How long log entries are kept.
    pub retention: Duration,
}

impl Default for Following {
    fn default() -> Self {
        Following { replica: "local".into(), retention: Duration::from_secs(7 * 24 * 3600) }
    }
}

impl SearchIndex {
    /// Opens the index in `dir`, rebuilding it if needed, and catches up with the database, which
    /// it reads through `source`.
    pub async fn open(db: DatabaseConnection, dir: &Path, source: Arc<dyn Source>) -> Result<SearchIndex> {
        SearchIndex::open_following(db, dir, Following::default(), source).await
    }

    /// Like [`SearchIndex::open`], as the named replica keeping the log for `retention`.
    pub async fn open_following(
        db: DatabaseConnection,
        dir: &Path,
        following: Following,
        source: Arc<dyn Source>,
    ) -> Result<SearchIndex> {
        let (schema, fields) = schema::build();
        let database = database_identity(&db).await?;
        let dir = dir.to_path_buf();
        let (writer, reader, payload) = {
            let dir = dir.clone();
            blocking(move || match open_parts(&dir, schema.clone(), false) {
                Err(AppError::Internal(cause)) => {
                    tracing::warn!(%cause, "search index is unreadable; rebuilding it");
                    open_parts(&dir, schema, true)
                }
                other => other,
            })
            .await?
        };
        let (requests, inbox) = mpsc::unbounded_channel();
        let state = Arc::new(State {
            replica: following.replica.clone(),
            wake: Notify::new(),
            position: AtomicI64::new(0),
            rebuilding: AtomicBool::new(false),
            commits: AtomicU64::new(0),
            applied: watch::Sender::new(payload.as_ref().map_or(0, |p| p.seq)),
        });
        let handle = SearchIndex {
            reader: reader.clone(),
            fields,
            ordinals: Arc::default(),
            requests,
            state: state.clone(),
            dir: dir.clone(),
        };

        let fresh = payload.as_ref().is_none_or(|p| p.schema != SCHEMA_VERSION || p.database != database);
        let mut owner = Owner {
            state,
            db,
            source,
            writer: Arc::new(Mutex::new(writer)),
            reader,
            fields,
            database,
            seq: payload.map_or(0, |p| p.seq),
            following,
            reported: None,
            reporting: None,
            pruned: None,
            reloaded: Instant::now(),
            idle_since: None,
            prefed: None,
        };
        owner.state.position.store(owner.seq, Ordering::Relaxed);
        if fresh {
            tracing::info!(dir = %dir.display(), "building the search index from the database");
            owner.rebuild().await?;
        } else {
            let committed = owner.seq;
            owner.sync().await?;
            if owner.seq > committed {
                // Writes committed to the database whose index commit had not happened (a crash).
                tracing::info!(from = committed, to = owner.seq, "applied the changes the index had not committed");
            }
        }
        if owner.db.get_database_backend() == DbBackend::Postgres {
            tokio::spawn(listen(owner.db.clone(), Arc::downgrade(&owner.state)));
        }
        tokio::spawn(owner.supervise(inbox));
        Ok(handle)
    }

    /// Applies every change recorded so far; when it returns, they are searchable.
    pub async fn sync(&self) -> Result<()> {
        self.ask(Request::Sync).await
    }

    /// Rebuilds the whole index from the database.
    pub async fn rebuild(&self) -> Result<()> {
        self.ask(Request::Rebuild).await
    }

    /// Lends the index to an import: it adds the documents of what it writes as it writes them,
    /// and the index commits them once the database has. Meanwhile the index applies nothing else.
    pub async fn bulk(&self) -> Result<Bulk> {
        self.ask(Request::Bulk).await
    }

    async fn ask<T>(&self, request: impl FnOnce(oneshot::Sender<Result<T>>) -> Request) -> Result<T> {
        let (tx, rx) = oneshot::channel();
        self.requests.send(request(tx)).map_err(|_| AppError::Internal("search indexer stopped".into()))?;
        rx.await.map_err(|_| AppError::Internal("search indexer stopped".into()))?
    }
}

/// What the owner shares with every handle.
#[derive(Debug)]
struct State {
    /// The position of each commit, as it becomes searchable: what subscriptions follow.
    applied: watch::Sender<i64>,
    /// This replica's name.
    replica: String,
    /// Signalled when the log has new entries.
    wake: Notify,
    /// The last change applied and committed.
    position: AtomicI64,
    /// Whether a rebuild is under way.
    rebuilding: AtomicBool,
    /// Commits since the index was opened.
    commits: AtomicU64,
}

/// How the index stands, for health checks, metrics and the start-up report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct IndexStatus {
    /// Documents in the index.
    pub documents: u64,
    /// Segments searched (one once the index is compacted).
    pub segments: usize,
    /// The last change applied.
    pub position: i64,
    /// Whether a rebuild is under way.
    pub rebuilding: bool,
    /// Commits since the index was opened: each makes every change applied since the last one
    /// searchable at once.
    pub commits: u64,
    /// Size of the index's files.
    pub bytes: u64,
    /// Memory the facets' ordinals hold, read once for each segment searched with facets or
    /// wide filters, with each facet value's documents, read once a count of many matches needs them.
    pub facet_memory_bytes: u64,
}

impl SearchIndex {
    /// This replica's name.
    pub fn replica(&self) -> &str {
        &self.state.replica
    }

    /// The log position applied and searchable, updated at every commit.
    pub fn applied(&self) -> watch::Receiver<i64> {
        self.state.applied.subscribe()
    }
}

impl SearchIndex {
    /// How the index stands now.
    pub fn status(&self) -> IndexStatus {
        let bytes = std::fs::read_dir(&self.dir)
            .map(|entries| entries.flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
            .unwrap_or(0);
        IndexStatus {
            documents: self.reader.searcher().num_docs(),
            segments: self.reader.searcher().segment_readers().len(),
            position: self.state.position.load(Ordering::Relaxed),
            rebuilding: self.state.rebuilding.load(Ordering::Relaxed),
            commits: self.state.commits.load(Ordering::Relaxed),
            bytes,
            facet_memory_bytes: self.ordinals.bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use migration::{Migrator, MigratorTrait};
    use sea_orm::{ConnectionTrait, Database};
    use tantivy::Term;
    use tantivy::collector::Count;
    use tantivy::query::TermQuery;
    use tantivy::schema::IndexRecordOption;

    use super::*;
    use crate::kb::{Document, ImportOptions, Kb};

    const SEED: &str = include_str!("../../../seed/knowledge-base.json");

    async fn kb() -> (tempfile::TempDir, Kb) {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::connect(format!("sqlite://{}?mode=rwc", dir.path().join("kb.db").display())).await.unwrap();
        Migrator::up(&db, None).await.unwrap();
        let search =
            SearchIndex::open(db.clone(), &dir.path().join("index"), crate::kb::IndexSource::shared()).await.unwrap();
        (dir, Kb::new(db, search))
    }

    /// Documents holding `word` (as typed) in `field`.
    fn holding(index: &SearchIndex, field: tantivy::schema::Field, word: &str) -> usize {
        let query = TermQuery::new(Term::from_field_text(field, word), IndexRecordOption::Basic);
        index.reader.searcher().search(&query, &Count).unwrap()
    }

    /// A document of one company, named `name`, on the seed's technopole.
    fn company(slug: &str, name: &str) -> Document {
        let json = serde_json::json!({ "companies": [{
            "slug": slug, "name": name, "stage": "STARTUP", "lang": "fr", "site": "technopole-arbois",
            "technologies": ["fuel-analysis"]
        }]});
        Document::parse(&json.to_string()).unwrap()
    }

    #[tokio::test]
    async fn an_import_indexes_each_entity_once_with_what_shows_what_it_changed() {
        let (_dir, kb) = kb().await;
        let seed = Document::parse(SEED).unwrap();
        kb.import("test", &seed, ImportOptions::default(), &()).await.unwrap();
        let entities: u64 = kb.count_by_kind().await.unwrap().iter().map(|(_, n)| n).sum();
        assert_eq!(kb.index().reader.searcher().num_docs(), entities, "one document per entity");

        // Renamed, a technology shows its new name in the documents of the companies working on
        // it, though the import does not hold them.
        let working_on = "SELECT COUNT(*) AS n FROM company_technology JOIN technology ON technology.id = technology_id \
                          WHERE technology.slug = 'fuel-analysis'";
        let working_on = kb
            .database()
            .query_one_raw(sea_orm::Statement::from_string(kb.database().get_database_backend(), working_on));
        let companies: i64 = working_on.await.unwrap().unwrap().try_get("", "n").unwrap();
        assert!(companies > 0);
        let mut renamed = Document::default();
        let mut technology = seed.technologies.iter().find(|t| t.slug == "fuel-analysis").unwrap().clone();
        technology.name = "Zorglubisation".into();
        renamed.technologies.push(technology);
        kb.import("test", &renamed, ImportOptions::default(), &()).await.unwrap();
        assert_eq!(kb.index().reader.searcher().num_docs(), entities, "still one document per entity");
        assert_eq!(
            holding(kb.index(), kb.index().fields.related_raw, "zorglubisation"),
            companies as usize,
            "each company working on it shows its new name"
        );
    }

    /// A write committed while an import holds the index is applied after the import, over what
    /// the import added: the entity it wrote too has one document, the import's.
    #[tokio::test]
    async fn a_write_committed_while_an_import_holds_the_index_is_applied_after_it() {
        let (_dir, kb) = kb().await;
        kb.import("test", &Document::parse(SEED).unwrap(), ImportOptions::default(), &()).await.unwrap();
        let mut bulk = kb.index().bulk().await.unwrap();
        let created = company("zorglub", "Zorglub Énergie");
        crate::kb::write_document(kb.database(), &created, ImportOptions::default(), &(), None).await.unwrap();
        let txn = crate::db::begin_write(kb.database()).await.unwrap();
        let renamed = company("zorglub", "Marsupilami Énergie");
        let mode = crate::kb::import::Mode::Upsert;
        let summary = crate::kb::import::write(&txn, &renamed, mode, &(), Some(&mut bulk)).await.unwrap();
        bulk.settle(&txn, summary.logged.unwrap()).await.unwrap();
        txn.commit().await.unwrap();
        bulk.committed().await;
        kb.index().sync().await.unwrap();

        let entities: u64 = kb.count_by_kind().await.unwrap().iter().map(|(_, n)| n).sum();
        assert_eq!(kb.index().reader.searcher().num_docs(), entities, "one document per entity");
        for (name, count) in [("zorglub", 0), ("marsupilami", 1)] {
            assert_eq!(holding(kb.index(), kb.index().fields.primary_raw, name), count, "{name}");
        }
    }

    /// An import that fails once its companies' documents are added leaves none of them behind:
    /// neither in what the index commits next, nor in what it searches.
    #[tokio::test]
    async fn an_import_that_fails_after_indexing_its_companies_leaves_nothing_in_the_index() {
        let (_dir, kb) = kb().await;
        kb.import("test", &Document::parse(SEED).unwrap(), ImportOptions::default(), &()).await.unwrap();
        let before = kb.index().reader.searcher().num_docs();
        // The change log is written last, after every company is written and added to the index.
        kb.database()
            .execute_unprepared(
                "CREATE TRIGGER refuse BEFORE INSERT ON change BEGIN SELECT RAISE(ABORT, 'refused'); END",
            )
            .await
            .unwrap();
        let failed = kb.import("test", &company("zorglub", "Zorglub Énergie"), ImportOptions::default(), &()).await;
        assert!(failed.is_err(), "{failed:?}");
        kb.index().sync().await.unwrap();
        assert_eq!(kb.index().reader.searcher().num_docs(), before);

        kb.database().execute_unprepared("DROP TRIGGER refuse").await.unwrap();
        kb.import("test", &company("marsupilami", "Marsupilami Énergie"), ImportOptions::default(), &()).await.unwrap();
        assert_eq!(kb.index().reader.searcher().num_docs(), before + 1, "the next import's company, and only it");
        for (name, count) in [("zorglub", 0), ("marsupilami", 1)] {
            assert_eq!(holding(kb.index(), kb.index().fields.primary_raw, name), count, "{name}");
        }
    }

    #[tokio::test]
    async fn the_indexer_restarts_after_a_panic_and_catches_up() {
        let (_dir, kb) = kb().await;
        let (db, index) = (kb.database(), kb.index());

        index.requests.send(Request::Panic).unwrap();
        db.execute_unprepared(
            "INSERT INTO organisation (slug, name, lang, sources, created_at, updated_at, kind) \
             VALUES ('arbois', 'Technopôle Arbois', 'fr', '[]', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'TECHNOPOLE')",
        )
        .await
        .unwrap();
        db.execute_unprepared("INSERT INTO change (kind, entity_id) SELECT 'ORGANISATION', id FROM organisation")
            .await
            .unwrap();
        // The panic drops the requests waiting with it; the next one is served by the restarted owner.
        let mut synced = index.sync().await;
        for _ in 0..50 {
            if synced.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            synced = index.sync().await;
        }
        synced.expect("the indexer serves again after its panic");
        assert_eq!(index.reader.searcher().num_docs(), 1, "the change written meanwhile was applied");
    }
}
