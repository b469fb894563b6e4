//! The index's lifecycle: opened at start, rebuilt when missing, corrupt or from another schema,
//! and kept in step with the database by following the change log.
//!
//! One task owns the only `IndexWriter`. Each commit records, in its payload, the last log
//! position it applied; at start the log is replayed from there, so a crash at any point of a
//! write leaves an index that catches up with the database. Several replicas follow one log, each
//! with its own index: none deletes entries, retention prunes them by age.

use std::collections::{BTreeSet, HashMap};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use entity::{EntityKind, meta};
use futures_util::FutureExt;
use sea_orm::{DatabaseConnection, DatabaseExecutor, DatabaseTransaction, DbBackend, EntityTrait, Set};
use serde::{Deserialize, Serialize};
use tantivy::directory::MmapDirectory;
use tantivy::schema::Schema;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Term};
use tokio::sync::{Notify, mpsc, oneshot, watch};

use super::analyzer;
use super::document::{key, to_tantivy};
use super::ordinals::FacetOrdinals;
use super::pool::blocking;
use super::schema::{self, Fields, SCHEMA_VERSION};
use super::source::{SearchDoc, Source};
use crate::changelog;
use crate::error::{AppError, Result, panic_message};

/// Entities read from the database per step of a rebuild or of a sync.
const REBUILD_PAGE: u64 = 5_000;
/// How often the owner looks for changes written by another process, whether or not it was notified.
const POLL: Duration = Duration::from_secs(1);
/// Log entries read per statement.
const PAGE: u64 = 10_000;
/// Log entries applied per index commit at most: a longer backlog (a large import) is applied in
/// passes of this many entries, each entity indexed once per pass however many entries name it or
/// its neighbours. Only kinds and ids are held meanwhile.
const PASS: usize = 1_000_000;
/// A pass touching more entities than this is bulk work: indexed without merging as it goes.
const BULK: usize = 10_000;
/// How often the owner reports its position to the database, and tries to prune the log.
const REPORT_EVERY: Duration = Duration::from_secs(5);
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// How often the reader picks up segments that background merges have replaced.
const RELOAD_EVERY: Duration = Duration::from_secs(5);
const WRITER_MEMORY: usize = 100_000_000;

/// What a commit's payload says about the index.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Payload {
    schema: u32,
    /// The identity of the database the index mirrors.
    database: String,
    /// The last log position applied.
    seq: i64,
}

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
            owner.sync().await?;
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

type Parts = (IndexWriter, IndexReader, Option<Payload>);

/// Opens the index with its writer and reader; with `wipe`, or when there is no usable index,
/// starts an empty one. A writer held by another process is a `Conflict`.
fn open_parts(dir: &PathBuf, schema: Schema, wipe: bool) -> Result<Parts> {
    if wipe {
        let _ = std::fs::remove_dir_all(dir);
    }
    let (index, payload) = open_or_create(dir, schema)?;
    let writer: IndexWriter = index.writer(WRITER_MEMORY).map_err(|err| match err {
        tantivy::TantivyError::LockFailure(..) => AppError::Conflict {
            message: format!("the search index in {} is in use by another process", dir.display()),
            field: None,
        },
        other => other.into(),
    })?;
    writer.set_merge_policy(Box::new(merge_policy()));
    let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
    Ok((writer, reader, payload))
}

/// Fewer segments than tantivy's default, and no segment left with many deleted documents:
/// every query expands its typos and completions, and walks its postings, once per segment.
fn merge_policy() -> tantivy::indexer::LogMergePolicy {
    let mut policy = tantivy::indexer::LogMergePolicy::default();
    policy.set_min_num_segments(3);
    policy.set_del_docs_ratio_before_merge(0.2);
    policy
}

fn open_or_create(dir: &PathBuf, schema: Schema) -> Result<(Index, Option<Payload>)> {
    let opened = std::fs::create_dir_all(dir)
        .map_err(|err| tantivy::TantivyError::SystemError(err.to_string()))
        .and_then(|_| MmapDirectory::open(dir).map_err(|err| tantivy::TantivyError::SystemError(err.to_string())))
        .and_then(|directory| if Index::exists(&directory)? { Ok(Some(Index::open(directory)?)) } else { Ok(None) });
    let existing = match opened {
        Ok(Some(index)) if index.schema() == schema => {
            let payload = index.load_metas().ok().and_then(|m| m.payload).and_then(|p| serde_json::from_str(&p).ok());
            Some((index, payload))
        }
        Ok(Some(_)) => {
            tracing::warn!("search index was built with another schema; rebuilding it");
            None
        }
        Ok(None) => None,
        Err(err) => {
            tracing::warn!(error = %err, "search index is unreadable; rebuilding it");
            None
        }
    };
    let (index, payload) = match existing {
        Some(found) => found,
        None => {
            let _ = std::fs::remove_dir_all(dir);
            std::fs::create_dir_all(dir)
                .map_err(|err| AppError::Internal(format!("cannot create {}: {err}", dir.display())))?;
            (Index::create_in_dir(dir, schema)?, None)
        }
    };
    analyzer::register(index.tokenizers());
    Ok((index, payload))
}

/// A random identity, stored once in the database, that tells one database from another.
async fn database_identity(db: &DatabaseConnection) -> Result<String> {
    if let Some(row) = meta::Entity::find_by_id("database_id").one(db).await? {
        return Ok(row.value);
    }
    let id = format!("{:032x}", rand::random::<u128>());
    let row = meta::ActiveModel { key: Set("database_id".into()), value: Set(id) };
    meta::Entity::insert(row).on_conflict_do_nothing_on([meta::Column::Key]).exec(db).await?;
    let row = meta::Entity::find_by_id("database_id").one(db).await?;
    row.map(|r| r.value).ok_or_else(|| AppError::Internal("database identity missing".into()))
}

/// Wakes the owner whenever a write on any replica notifies the change channel. Notifications
/// are lost while disconnected, so after every reconnection the owner is woken too (and polls anyway).
async fn listen(db: DatabaseConnection, state: std::sync::Weak<State>) {
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
            bytes,
            facet_memory_bytes: self.ordinals.bytes(),
        }
    }
}

struct Owner {
    state: Arc<State>,
    db: DatabaseConnection,
    /// How entities are read from `db` (or from an import's transaction).
    source: Arc<dyn Source>,
    writer: Arc<Mutex<IndexWriter>>,
    reader: IndexReader,
    fields: Fields,
    database: String,
    seq: i64,
    following: Following,
    /// When the position was last reported to the database, and the log last pruned.
    reported: Option<Instant>,
    pruned: Option<Instant>,
    /// When the reader was last reloaded (and the index considered for compaction).
    reloaded: Instant,
    /// The position at that time: unchanged since means no write came meanwhile.
    idle_since: Option<i64>,
    /// What a committed import added to the writer itself, not committed yet (see [`Bulk`]).
    prefed: Option<Prefed>,
}

/// Log positions `(after, last]`.
type Range = (i64, i64);

/// Entities by kind.
type Entities = HashMap<EntityKind, BTreeSet<i32>>;

/// What an import added to the index: the documents of `added`, for its log entries `range`.
struct Prefed {
    range: Range,
    added: Entities,
}

impl Owner {
    /// Serves requests until every handle is gone. A panic is logged, the writer rolled back to
    /// its last commit, and serving goes on from there: the outbox replays what was not committed.
    async fn supervise(mut self, mut inbox: mpsc::UnboundedReceiver<Request>) {
        loop {
            match AssertUnwindSafe(self.run(&mut inbox)).catch_unwind().await {
                Ok(()) => return,
                Err(panic) => {
                    let panic = panic_message(&*panic);
                    tracing::error!(panic, "the search indexer panicked; restarting from its last commit");
                    while let Err(err) = self.restart().await {
                        tracing::error!(cause = %err.cause(), "the search indexer cannot restart yet");
                        tokio::time::sleep(POLL).await;
                    }
                }
            }
        }
    }

    /// Drops what was not committed and goes back to the position of the last commit.
    async fn restart(&mut self) -> Result<()> {
        self.writer.clear_poison();
        let (writer, reader) = (self.writer.clone(), self.reader.clone());
        let payload = blocking(move || {
            let mut writer = writer.lock().map_err(|_| AppError::Internal("index writer poisoned".into()))?;
            writer.rollback()?;
            reader.reload()?;
            let metas = reader.searcher().index().load_metas()?;
            Ok(metas.payload.and_then(|p| serde_json::from_str::<Payload>(&p).ok()))
        })
        .await?;
        self.seq = payload.map_or(0, |p| p.seq);
        self.state.position.store(self.seq, Ordering::Relaxed);
        // What an import added went with the rollback: its entries are applied as any others.
        self.prefed = None;
        Ok(())
    }

    async fn run(&mut self, inbox: &mut mpsc::UnboundedReceiver<Request>) {
        let mut tick = tokio::time::interval(POLL);
        loop {
            let first = tokio::select! {
                request = inbox.recv() => match request {
                    Some(request) => Some(request),
                    None => return,
                },
                _ = tick.tick() => None,
                _ = self.state.wake.notified() => None,
            };
            // Coalesce everything already waiting into one commit.
            let mut waiting: Vec<Request> = first.into_iter().collect();
            while let Ok(request) = inbox.try_recv() {
                waiting.push(request);
            }
            #[cfg(test)]
            if waiting.iter().any(|r| matches!(r, Request::Panic)) {
                panic!("panic requested by a test");
            }
            let rebuild = waiting.iter().any(|r| matches!(r, Request::Rebuild(_)));
            let outcome = if rebuild { self.rebuild().await } else { self.sync().await };
            if let Err(err) = &outcome {
                tracing::error!(error = %err.cause(), "search index update failed; it will be retried");
            }
            self.housekeeping().await;
            let mut imports = Vec::new();
            for request in waiting {
                match request {
                    Request::Sync(reply) | Request::Rebuild(reply) => {
                        let _ = reply.send(outcome.clone());
                    }
                    Request::Bulk(reply) => imports.push(reply),
                    #[cfg(test)]
                    Request::Panic => {}
                }
            }
            // One import at a time, on top of the index just brought up to the log.
            for reply in imports {
                match &outcome {
                    Ok(()) => self.lend(reply).await,
                    Err(err) => drop(reply.send(Err(err.clone()))),
                }
            }
        }
    }

    /// Applies the log entries after the last committed one, in passes of at most [`PASS`]
    /// entries, one commit per pass.
    async fn sync(&mut self) -> Result<()> {
        loop {
            let mut touched = Entities::new();
            // Entities that may show in other entities' documents: all but those just created.
            // Whatever links to a created entity was written after it, and is in the log too.
            let mut shown = Entities::new();
            let (mut read, mut last) = (0, None);
            let more = loop {
                let from = last.unwrap_or(self.seq);
                let page = changelog::after(&self.db, from, PAGE).await?;
                // Read after the page: a prune that removed entries this replica had not applied has
                // raised the mark by then.
                let low_water = changelog::low_water(&self.db).await?;
                if low_water > from {
                    tracing::warn!(
                        replica = %self.following.replica,
                        position = from,
                        low_water,
                        "the change log was pruned past this index's position; rebuilding it from the database"
                    );
                    return self.rebuild().await;
                }
                if page.unreadable {
                    return self.rebuild().await;
                }
                let Some(position) = page.last else { break false };
                last = Some(position);
                read += page.changes.len();
                let prefed = self.prefed.as_ref().map(|p| p.range);
                let applied = page
                    .changes
                    .iter()
                    .filter(|c| prefed.is_none_or(|(after, last)| c.position <= after || c.position > last));
                note(applied, &mut touched, &mut shown);
                if !page.full || read >= PASS {
                    break page.full;
                }
            };
            let Some(last) = last else { return Ok(()) };
            let bulk = touched.values().map(BTreeSet::len).sum::<usize>() > BULK;
            self.merging(!bulk);
            let applied = async {
                let mut feeder = Feeder::new(self);
                let db = DatabaseExecutor::from(&self.db);
                let touched = with_dependents(&*self.source, &db, touched, shown).await?;
                let fed = feed(&*self.source, &db, &mut feeder, touched).await;
                feeder.wait().await.and(fed)?;
                self.commit(last).await
            }
            .await;
            self.merging(true);
            applied?;
            if !more {
                return Ok(());
            }
        }
    }

    /// Lends the writer to an import until it ends; then applies the log, the import's entries
    /// included (their documents are in the writer already if it committed), and commits.
    async fn lend(&mut self, reply: oneshot::Sender<Result<Bulk>>) {
        let open = Arc::new(AtomicBool::new(true));
        let (ended, mut end) = oneshot::channel();
        self.merging(false);
        let bulk = Bulk {
            source: self.source.clone(),
            feeder: Feeder { gate: Some(open.clone()), ..Feeder::new(self) },
            settled: None,
            ended: Some(ended),
        };
        // Dropped unanswered if the import gave up waiting: then `end` says so at once.
        drop(reply.send(Ok(bulk)));
        let mut report = tokio::time::interval(REPORT_EVERY);
        let outcome = loop {
            tokio::select! {
                outcome = &mut end => break outcome.ok().flatten(),
                // Still alive, for `pepite import` commands waiting on the replicas.
                _ = report.tick() => self.report().await,
            }
        };
        open.store(false, Ordering::Release);
        match outcome {
            Some(prefed) => self.prefed = Some(prefed),
            None => {
                // Nothing the import added may reach a commit: until it is dropped, nothing else goes on.
                if let Err(err) = self.discard().await {
                    tracing::error!(cause = %err.cause(), "cannot drop what an import that did not commit had indexed");
                    while let Err(err) = self.restart().await {
                        tracing::error!(cause = %err.cause(), "the search indexer cannot restart yet");
                        tokio::time::sleep(POLL).await;
                    }
                }
            }
        }
        let synced = self.sync().await;
        self.merging(true);
        if let Err(err) = synced {
            tracing::error!(error = %err.cause(), "search index update failed; it will be retried");
        }
    }

    /// Drops every document added since the last commit.
    async fn discard(&mut self) -> Result<()> {
        self.prefed = None;
        let writer = self.writer.clone();
        blocking(move || {
            let mut writer = writer.lock().map_err(|_| AppError::Internal("index writer poisoned".into()))?;
            writer.rollback()?;
            Ok(())
        })
        .await
    }

    /// Replaces the whole index with the database's content.
    async fn rebuild(&mut self) -> Result<()> {
        self.state.rebuilding.store(true, Ordering::Relaxed);
        let outcome = self.rebuild_now().await;
        self.state.rebuilding.store(false, Ordering::Relaxed);
        outcome
    }

    async fn rebuild_now(&mut self) -> Result<()> {
        if self.prefed.is_some() {
            self.discard().await?;
        }
        // Read before the entities: with log appends in commit order, every write at or below
        // this position is in what follows.
        let last = changelog::position(&self.db).await?;
        let mut feeder = Feeder::new(self);
        self.merging(false);
        let rebuilt = async {
            let fed = self.feed_all(&mut feeder).await;
            feeder.wait().await.and(fed)?;
            self.commit(last.max(self.seq)).await
        }
        .await;
        self.merging(true);
        rebuilt?;
        tracing::info!(replica = %self.following.replica, position = last, "search index rebuilt from the database");
        Ok(())
    }

    /// Bulk work (a rebuild, a long backlog) is indexed without merging segments as it goes:
    /// merges of large segments would take the cores from the indexing itself. The index is
    /// compacted once idle (see [`compact`]).
    fn merging(&self, on: bool) {
        let Ok(writer) = self.writer.lock() else { return };
        if on {
            writer.set_merge_policy(Box::new(merge_policy()));
        } else {
            writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        }
    }

    /// Drops every document, then adds every entity of the database, a page at a time.
    async fn feed_all(&self, feeder: &mut Feeder) -> Result<()> {
        feeder.then(|writer, _| writer.delete_all_documents().map(|_| ()).map_err(Into::into)).await?;
        let db = DatabaseExecutor::from(&self.db);
        for kind in EntityKind::ALL {
            let mut after = 0;
            loop {
                let ids = self.source.ids_after(&db, kind, after, REBUILD_PAGE).await?;
                let Some(&max) = ids.last() else { break };
                after = max;
                feeder.add(self.source.load(&db, kind, &ids).await?).await?;
            }
        }
        Ok(())
    }

    /// Commits with `seq` in the payload and makes it searchable.
    async fn commit(&mut self, seq: i64) -> Result<()> {
        let payload = serde_json::to_string(&Payload { schema: SCHEMA_VERSION, database: self.database.clone(), seq })
            .map_err(|err| AppError::Internal(err.to_string()))?;
        let (writer, reader) = (self.writer.clone(), self.reader.clone());
        blocking(move || {
            let mut writer = writer.lock().map_err(|_| AppError::Internal("index writer poisoned".into()))?;
            let mut commit = writer.prepare_commit()?;
            commit.set_payload(&payload);
            commit.commit()?;
            reader.reload()?;
            Ok(())
        })
        .await?;
        self.seq = seq;
        if self.prefed.as_ref().is_some_and(|p| seq >= p.range.1) {
            self.prefed = None;
        }
        self.state.position.store(seq, Ordering::Relaxed);
        self.state.applied.send_replace(seq);
        self.reported = None;
        Ok(())
    }

    /// Reports this replica's position to the database; a failure is retried at the next report.
    async fn report(&mut self) {
        match changelog::report_replica(&self.db, &self.following.replica, self.seq).await {
            Ok(()) => self.reported = Some(Instant::now()),
            Err(err) => tracing::debug!(cause = %err.cause(), "cannot report the index position"),
        }
    }

    /// Picks up merged segments; reports this replica's position to the database (for `pepite import` to wait on it) and,
    /// now and then, prunes the log. Failures are logged: both are retried later.
    async fn housekeeping(&mut self) {
        if self.reloaded.elapsed() >= RELOAD_EVERY {
            self.reloaded = Instant::now();
            let idle = self.idle_since == Some(self.seq);
            self.idle_since = Some(self.seq);
            let (writer, reader) = (self.writer.clone(), self.reader.clone());
            let compacted = blocking(move || {
                // Commits reload the reader; merges finish later, between commits. A reload
                // reopens every segment (and empties its caches): only when the segments changed.
                let searched: Vec<_> = reader.searcher().segment_readers().iter().map(|r| r.segment_id()).collect();
                let searchable = reader.searcher().index().searchable_segment_ids()?;
                if searched.len() != searchable.len() || searched.iter().any(|id| !searchable.contains(id)) {
                    reader.reload()?;
                }
                if idle {
                    let mut writer = writer.lock().map_err(|_| AppError::Internal("index writer poisoned".into()))?;
                    compact(&mut writer)?;
                }
                Ok(())
            });
            if let Err(err) = compacted.await {
                tracing::warn!(cause = %err.cause(), "cannot reload or compact the search index");
            }
        }
        if self.reported.is_none_or(|at| at.elapsed() >= REPORT_EVERY) {
            self.report().await;
        }
        if self.pruned.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
            self.pruned = Some(Instant::now());
            match changelog::prune(&self.db, self.following.retention).await {
                Ok(Some(low_water)) => tracing::info!(low_water, "pruned the change log"),
                Ok(None) => {}
                Err(err) => tracing::warn!(cause = %err.cause(), "cannot prune the change log"),
            }
        }
    }
}

/// Notes which entities log entries touched, and which of them may show in other entities'
/// documents: all but those just created (whatever links to a created entity was written after
/// it, and is in the log too).
fn note<'a>(changes: impl IntoIterator<Item = &'a changelog::Change>, touched: &mut Entities, shown: &mut Entities) {
    for c in changes {
        touched.entry(c.kind).or_default().insert(c.id);
        if c.operation != changelog::Operation::Created {
            shown.entry(c.kind).or_default().insert(c.id);
        }
    }
}

/// The changed entities (`touched`) and those showing the `shown` ones.
async fn with_dependents(
    source: &dyn Source,
    db: &DatabaseExecutor<'_>,
    mut touched: Entities,
    shown: Entities,
) -> Result<Entities> {
    for (kind, ids) in shown {
        let ids: Vec<i32> = ids.into_iter().collect();
        for (dep_kind, id) in source.dependents(db, kind, &ids).await? {
            touched.entry(dep_kind).or_default().insert(id);
        }
    }
    Ok(touched)
}

/// Rewrites the documents of `touched` as `db` has them: deletes them all, then adds them (each
/// deletion is checked against every segment added after it).
async fn feed(source: &dyn Source, db: &DatabaseExecutor<'_>, feeder: &mut Feeder, touched: Entities) -> Result<()> {
    feeder.delete(&touched).await?;
    for (kind, ids) in touched {
        let ids: Vec<i32> = ids.into_iter().collect();
        for chunk in ids.chunks(REBUILD_PAGE as usize) {
            feeder.add(source.load(db, kind, chunk).await?).await?;
        }
    }
    Ok(())
}

/// An import's share of the index ([`SearchIndex::bulk`]): the import adds the documents of what
/// it writes, read inside its own transaction, while it goes on writing, and tantivy analyses
/// them on the other cores. They are committed to the index only after the database has
/// committed ([`Bulk::committed`]); dropped otherwise, with the `Bulk`. Meanwhile the index
/// applies nothing else, so no commit of the index can take them before the database does.
pub struct Bulk {
    source: Arc<dyn Source>,
    /// What it added so far is in `feeder.added`.
    feeder: Feeder,
    /// The log entries [`Bulk::settle`] added everything for.
    settled: Option<Range>,
    ended: Option<oneshot::Sender<Option<Prefed>>>,
}

impl Bulk {
    /// Adds the documents of `ids` as `db` (the import's transaction) has them: for entities the
    /// rest of the import will not change.
    pub async fn add(&mut self, txn: &DatabaseTransaction, kind: EntityKind, ids: &[i32]) -> Result<()> {
        let touched = HashMap::from([(kind, ids.iter().copied().collect())]);
        feed(&*self.source, &DatabaseExecutor::from(txn), &mut self.feeder, touched).await
    }

    /// Adds what the import's log entries `range` call for and was not added yet: the documents
    /// of the entities they name, and of those showing them. Then waits until all is added.
    pub async fn settle(&mut self, txn: &DatabaseTransaction, (after, last): Range) -> Result<()> {
        let db = DatabaseExecutor::from(txn);
        let (mut touched, mut shown) = (HashMap::new(), HashMap::new());
        let mut from = after;
        while from < last {
            let page = changelog::after(&db, from, PAGE).await?;
            let Some(position) = page.last else { break };
            note(page.changes.iter().filter(|c| c.position <= last), &mut touched, &mut shown);
            from = position;
        }
        let mut touched = with_dependents(&*self.source, &db, touched, shown).await?;
        for (kind, ids) in &mut touched {
            if let Some(added) = self.feeder.added.get(kind) {
                ids.retain(|id| !added.contains(id));
            }
        }
        let fed = feed(&*self.source, &db, &mut self.feeder, touched).await;
        self.feeder.wait().await.and(fed)?;
        self.settled = Some((after, last));
        Ok(())
    }

    /// The database committed the import: the index commits what was added for the settled
    /// entries, and applies everything else in the log (all of it, if nothing was settled).
    pub async fn committed(mut self) {
        let added = self.feeder.wait().await;
        let prefed = self
            .settled
            .filter(|_| added.is_ok())
            .map(|range| Prefed { range, added: std::mem::take(&mut self.feeder.added) });
        if let Some(ended) = self.ended.take() {
            let _ = ended.send(prefed);
        }
    }
}

/// Merges every segment into one, in the background, when the index is fragmented (its largest
/// segment holds under 90% of the documents, e.g. after a rebuild or a bulk import) or holds
/// many deleted documents: searches expand words and walk postings once per segment. Trickles
/// of writes leave small segments that the merge policy handles on its own.
fn compact(writer: &mut IndexWriter) -> Result<()> {
    let metas = writer.index().searchable_segment_metas()?;
    let docs: u64 = metas.iter().map(|m| u64::from(m.max_doc())).sum();
    let deleted: u64 = metas.iter().map(|m| u64::from(m.num_deleted_docs())).sum();
    let largest = metas.iter().map(|m| u64::from(m.max_doc())).max().unwrap_or(0);
    let fragmented = metas.len() > 1 && largest * 10 < docs * 9;
    if fragmented || deleted * 10 > docs {
        let ids: Vec<_> = metas.iter().map(|m| m.id()).collect();
        tracing::info!(segments = ids.len(), docs, deleted, "compacting the search index");
        // Runs on tantivy's merge thread; the next reload picks the merged segment up.
        drop(writer.merge(&ids));
    }
    Ok(())
}

/// Hands work to the index writer on the blocking pool, one step at a time, so that the next
/// page is read from the database while the previous one is analysed and indexed.
struct Feeder {
    writer: Arc<Mutex<IndexWriter>>,
    /// The committed index, to tell which documents there are to replace.
    reader: IndexReader,
    fields: Fields,
    pending: Option<tokio::task::JoinHandle<Result<()>>>,
    /// The entities whose documents were replaced since the last commit.
    added: Entities,
    /// A lent writer's: once closed (the import ended), steps still to run do nothing, so that
    /// none adds anything after the owner has dropped what the import added.
    gate: Option<Arc<AtomicBool>>,
}

impl Feeder {
    fn new(owner: &Owner) -> Feeder {
        let (writer, reader, fields) = (owner.writer.clone(), owner.reader.clone(), owner.fields);
        let added = owner.prefed.as_ref().map(|p| p.added.clone()).unwrap_or_default();
        Feeder { writer, reader, fields, pending: None, added, gate: None }
    }

    /// Waits for the step under way, then starts `work`.
    async fn then(&mut self, work: impl FnOnce(&IndexWriter, &Fields) -> Result<()> + Send + 'static) -> Result<()> {
        self.wait().await?;
        let (writer, fields, gate) = (self.writer.clone(), self.fields, self.gate.clone());
        self.pending = Some(tokio::task::spawn_blocking(move || {
            let writer = writer.lock().map_err(|_| AppError::Internal("index writer poisoned".into()))?;
            if gate.is_some_and(|open| !open.load(Ordering::Acquire)) {
                return Err(AppError::Internal("the import lending the index has ended".into()));
            }
            work(&writer, &fields)
        }));
        Ok(())
    }

    /// Adds the documents once the step under way is done.
    async fn add(&mut self, docs: Vec<SearchDoc>) -> Result<()> {
        self.then(move |writer, fields| {
            for doc in &docs {
                writer.add_document(to_tantivy(fields, doc))?;
            }
            Ok(())
        })
        .await
    }

    /// Deletes the documents of `entities` there are, committed or added since (all of them are
    /// about to be added): a deletion costs a lookup in every segment added after it.
    async fn delete(&mut self, entities: &Entities) -> Result<()> {
        let mut keys: Vec<(String, bool)> = Vec::new();
        for (kind, ids) in entities {
            let added = self.added.entry(*kind).or_default();
            keys.extend(ids.iter().map(|&id| (key(*kind, id), !added.insert(id))));
        }
        let committed = self.reader.searcher();
        self.then(move |writer, fields| {
            for (k, added) in keys {
                let term = Term::from_field_text(fields.key, &k);
                if added || committed.doc_freq(&term)? > 0 {
                    writer.delete_term(term);
                }
            }
            Ok(())
        })
        .await
    }

    /// Waits for the step under way. Callers wait before returning, even on an error, so that no
    /// step runs after the next sync's.
    async fn wait(&mut self) -> Result<()> {
        match self.pending.take() {
            Some(step) => step.await.map_err(|err| AppError::Internal(format!("search task failed: {err}")))?,
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use migration::{Migrator, MigratorTrait};
    use sea_orm::{ConnectionTrait, Database};
    use tantivy::collector::Count;
    use tantivy::query::TermQuery;
    use tantivy::schema::IndexRecordOption;

    use super::*;
    use crate::kb::{Document, ImportOptions, Kb};

    const SEED: &str = include_str!("../../seed/knowledge-base.json");

    async fn kb() -> (tempfile::TempDir, Kb) {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::connect(format!("sqlite://{}?mode=rwc", dir.path().join("kb.database()").display()))
            .await
            .unwrap();
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
