//! Handing documents to the index writer on the blocking pool, a step at a time.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use sea_orm::DatabaseExecutor;
use tantivy::indexer::UserOperation;
use tantivy::{IndexReader, IndexWriter, Term};

use super::REBUILD_PAGE;
use super::touched::Entities;
use crate::error::{AppError, Result};
use crate::search::document::{key, to_tantivy};
use crate::search::schema::Fields;
use crate::search::source::{SearchDoc, Source};

/// Rewrites the documents of `touched` as `db` has them: deletes them all, then adds them (each
/// deletion is checked against every segment added after it).
pub(super) async fn feed(
    source: &dyn Source,
    db: &DatabaseExecutor<'_>,
    feeder: &mut Feeder,
    touched: Entities,
) -> Result<()> {
    feeder.delete(&touched).await?;
    for (kind, ids) in touched {
        let ids: Vec<i32> = ids.into_iter().collect();
        for chunk in ids.chunks(REBUILD_PAGE as usize) {
            feeder.add(source.load(db, kind, chunk).await?).await?;
        }
    }
    Ok(())
}

/// Hands work to the index writer on the blocking pool, one step at a time, so that the next
/// page is read from the database while the previous one is analysed and indexed.
pub(super) struct Feeder {
    writer: Arc<Mutex<IndexWriter>>,
    /// The committed index, to tell which documents there are to replace.
    reader: IndexReader,
    fields: Fields,
    pending: Option<tokio::task::JoinHandle<Result<()>>>,
    /// The entities whose documents were replaced since the last commit.
    pub(super) added: Entities,
    /// A lent writer's: once closed (the import ended), steps still to run do nothing, so that
    /// none adds anything after the owner has dropped what the import added.
    gate: Option<Arc<AtomicBool>>,
}

impl Feeder {
    /// A feeder of `writer` that has replaced the documents of `added` since the last commit.
    pub(super) fn new(writer: Arc<Mutex<IndexWriter>>, reader: IndexReader, fields: Fields, added: Entities) -> Feeder {
        Feeder { writer, reader, fields, pending: None, added, gate: None }
    }

    /// The same feeder, lent: once `gate` closes, the steps still to run do nothing.
    pub(super) fn gated(self, gate: Arc<AtomicBool>) -> Feeder {
        Feeder { gate: Some(gate), ..self }
    }

    /// Waits for the step under way, then starts `work`.
    pub(super) async fn then(
        &mut self,
        work: impl FnOnce(&IndexWriter, &Fields) -> Result<()> + Send + 'static,
    ) -> Result<()> {
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
    pub(super) async fn add(&mut self, docs: Vec<SearchDoc>) -> Result<()> {
        self.then(move |writer, fields| {
            // One batch goes to one indexing thread: a group commit's few documents make one
            // segment, not one per thread.
            writer.run(docs.iter().map(|doc| UserOperation::Add(to_tantivy(fields, doc))).collect::<Vec<_>>())?;
            Ok(())
        })
        .await
    }

    /// Deletes the documents of `entities` there are, committed or added since (all of them are
    /// about to be added): a deletion costs a lookup in every segment added after it.
    pub(super) async fn delete(&mut self, entities: &Entities) -> Result<()> {
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
    pub(super) async fn wait(&mut self) -> Result<()> {
        match self.pending.take() {
            Some(step) => step.await.map_err(|err| AppError::Internal(format!("search task failed: {err}")))?,
            None => Ok(()),
        }
    }
}
