//! The task that owns the index writer: it applies the change log, rebuilds, lends the writer
//! to imports, and keeps the index compact.

use std::collections::BTreeSet;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use entity::EntityKind;
use futures_util::FutureExt;
use sea_orm::{DatabaseConnection, DatabaseExecutor};
use tantivy::{IndexReader, IndexWriter};
use tokio::sync::{mpsc, oneshot};

use super::bulk::Bulk;
use super::feeder::{Feeder, feed};
use super::open::{Payload, merge_policy};
use super::touched::{Entities, Prefed, note, with_dependents};
use super::{Following, PAGE, POLL, REBUILD_PAGE, Request, State};
use crate::changelog;
use crate::error::{AppError, Result, panic_message};
use crate::search::pool::blocking;
use crate::search::schema::{Fields, SCHEMA_VERSION};
use crate::search::source::Source;

/// Log entries applied per index commit at most: a longer backlog (a large import) is applied in
/// passes of this many entries, each entity indexed once per pass however many entries name it or
/// its neighbours. Only kinds and ids are held meanwhile.
const PASS: usize = 1_000_000;
/// A pass touching more entities than this is bulk work: indexed without merging as it goes.
const BULK: usize = 10_000;
/// How often the owner reports its position to the database, and tries to prune the log.
const REPORT_EVERY: Duration = Duration::from_secs(5);
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// How long a replica gathers the changes other processes write before it commits them: a burst
/// of writes on one replica is a few commits on the others, not one each.
const GATHER: Duration = Duration::from_millis(50);
/// Documents up to which an idle index is always merged into one segment.
const SMALL_INDEX: u64 = 20_000;
/// How often the reader picks up segments that background merges have replaced.
const RELOAD_EVERY: Duration = Duration::from_secs(5);

pub(super) struct Owner {
    pub(super) state: Arc<State>,
    pub(super) db: DatabaseConnection,
    /// How entities are read from `db` (or from an import's transaction).
    pub(super) source: Arc<dyn Source>,
    pub(super) writer: Arc<Mutex<IndexWriter>>,
    pub(super) reader: IndexReader,
    pub(super) fields: Fields,
    pub(super) database: String,
    pub(super) seq: i64,
    pub(super) following: Following,
    /// When the position was last reported to the database, and the log last pruned.
    pub(super) reported: Option<Instant>,
    /// The report under way, if any.
    pub(super) reporting: Option<tokio::task::JoinHandle<()>>,
    pub(super) pruned: Option<Instant>,
    /// When the reader was last reloaded (and the index considered for compaction).
    pub(super) reloaded: Instant,
    /// The position at that time: unchanged since means no write came meanwhile.
    pub(super) idle_since: Option<i64>,
    /// What a committed import added to the writer itself, not committed yet (see [`Bulk`]).
    pub(super) prefed: Option<Prefed>,
}

impl Owner {
    /// Serves requests until every handle is gone. A panic is logged, the writer rolled back to
    /// its last commit, and serving goes on from there: the change log replays what was not committed.
    pub(super) async fn supervise(mut self, mut inbox: mpsc::UnboundedReceiver<Request>) {
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

    /// A feeder of the writer, knowing what a committed import added to it.
    fn feeder(&self) -> Feeder {
        let added = self.prefed.as_ref().map(|p| p.added.clone()).unwrap_or_default();
        Feeder::new(self.writer.clone(), self.reader.clone(), self.fields, added)
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
                // Another process wrote: what it writes next joins the same commit, unless this
                // process asks for one first (its writers wait for theirs).
                _ = self.state.wake.notified() => tokio::select! {
                    request = inbox.recv() => match request {
                        Some(request) => Some(request),
                        None => return,
                    },
                    _ = tokio::time::sleep(GATHER) => None,
                },
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
    pub(super) async fn sync(&mut self) -> Result<()> {
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
                let started = Instant::now();
                let mut feeder = self.feeder();
                let db = DatabaseExecutor::from(&self.db);
                let touched = with_dependents(&*self.source, &db, touched, shown).await?;
                let entities = touched.values().map(BTreeSet::len).sum::<usize>();
                let fed = feed(&*self.source, &db, &mut feeder, touched).await;
                feeder.wait().await.and(fed)?;
                let indexed = started.elapsed();
                self.commit(last).await?;
                tracing::debug!(
                    changes = read,
                    entities,
                    indexed_ms = indexed.as_secs_f64() * 1e3,
                    committed_ms = (started.elapsed() - indexed).as_secs_f64() * 1e3,
                    "index commit"
                );
                Ok::<_, AppError>(())
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
        let bulk = Bulk::new(self.source.clone(), self.feeder().gated(open.clone()), ended);
        // Dropped unanswered if the import gave up waiting: then `end` says so at once.
        drop(reply.send(Ok(bulk)));
        let mut report = tokio::time::interval(REPORT_EVERY);
        let outcome = loop {
            tokio::select! {
                outcome = &mut end => break outcome.ok().flatten(),
                // Still alive, for `pepite import` commands waiting on the replicas.
                _ = report.tick() => self.report(),
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
    pub(super) async fn rebuild(&mut self) -> Result<()> {
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
        let mut feeder = self.feeder();
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
        self.state.commits.fetch_add(1, Ordering::Relaxed);
        self.state.applied.send_replace(seq);
        self.reported = None;
        Ok(())
    }

    /// Reports this replica's position to the database in the background, one report at a time:
    /// on SQLite the report waits for the write lock, and commits must not wait for it. A
    /// failure is retried at the next report.
    fn report(&mut self) {
        if self.reporting.as_ref().is_some_and(|report| !report.is_finished()) {
            return;
        }
        self.reported = Some(Instant::now());
        let (db, replica, seq) = (self.db.clone(), self.following.replica.clone(), self.seq);
        self.reporting = Some(tokio::spawn(async move {
            if let Err(err) = changelog::report_replica(&db, &replica, seq).await {
                tracing::debug!(cause = %err.cause(), "cannot report the index position");
            }
        }));
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
            self.report();
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

/// Merges every segment into one, in the background, when the index is fragmented (its largest
/// segment holds under 90% of the documents, e.g. after a rebuild or a bulk import), small (a
/// merge costs little), or holds many deleted documents: searches expand words and walk postings
/// once per segment. On a large index, trickles of writes leave small segments that the merge
/// policy merges with each other, without rewriting the largest.
fn compact(writer: &mut IndexWriter) -> Result<()> {
    let metas = writer.index().searchable_segment_metas()?;
    let docs: u64 = metas.iter().map(|m| u64::from(m.max_doc())).sum();
    let deleted: u64 = metas.iter().map(|m| u64::from(m.num_deleted_docs())).sum();
    let largest = metas.iter().map(|m| u64::from(m.max_doc())).max().unwrap_or(0);
    let fragmented = metas.len() > 1 && (largest * 10 < docs * 9 || docs <= SMALL_INDEX);
    if fragmented || deleted * 10 > docs {
        let ids: Vec<_> = metas.iter().map(|m| m.id()).collect();
        tracing::info!(segments = ids.len(), docs, deleted, "compacting the search index");
        // Runs on tantivy's merge thread; the next reload picks the merged segment up.
        drop(writer.merge(&ids));
    }
    Ok(())
}
