//! The index's lifecycle: opened at start, rebuilt when missing, corrupt or from another schema,
//! and kept in step with the database by replaying the change outbox.
//!
//! One task owns the only `IndexWriter`. Each commit records, in its payload, the last outbox
//! `seq` it applied; at start the outbox is replayed from there, so a crash at any point of a
//! write leaves an index that catches up with the database.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use entity::{change, meta};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use tantivy::directory::MmapDirectory;
use tantivy::schema::Schema;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};
use tokio::sync::{mpsc, oneshot};

use super::schema::{self, Fields, SCHEMA_VERSION};
use super::source::{self, SearchDoc};
use super::{EntityKind, analyzer, vocabulary, words};
use crate::error::{AppError, Result};

/// Entities read from the database per step of a rebuild.
const REBUILD_PAGE: u64 = 5_000;
/// How often the owner looks for changes written by another process (e.g. `pepite import`).
const POLL: Duration = Duration::from_secs(1);
const WRITER_MEMORY: usize = 100_000_000;

/// What a commit's payload says about the index.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Payload {
    schema: u32,
    /// The identity of the database the index mirrors.
    database: String,
    /// The last outbox entry applied.
    seq: i64,
}

enum Request {
    Sync(oneshot::Sender<Result<()>>),
    Rebuild(oneshot::Sender<Result<()>>),
}

/// A handle to the search index: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct SearchIndex {
    pub(super) reader: IndexReader,
    pub(super) fields: Fields,
    requests: mpsc::UnboundedSender<Request>,
}

impl SearchIndex {
    /// Opens the index in `dir`, rebuilding it if needed, and catches up with the database.
    pub async fn open(db: DatabaseConnection, dir: &Path) -> Result<SearchIndex> {
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
        let handle = SearchIndex { reader: reader.clone(), fields, requests };

        let fresh = payload.as_ref().is_none_or(|p| p.schema != SCHEMA_VERSION || p.database != database);
        let mut owner = Owner {
            db,
            writer: Arc::new(Mutex::new(writer)),
            reader,
            fields,
            database,
            seq: payload.map_or(0, |p| p.seq),
        };
        if fresh {
            tracing::info!(dir = %dir.display(), "building the search index from the database");
            owner.rebuild().await?;
        } else {
            owner.sync().await?;
        }
        tokio::spawn(owner.run(inbox));
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

    async fn ask(&self, request: impl FnOnce(oneshot::Sender<Result<()>>) -> Request) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        self.requests.send(request(tx)).map_err(|_| AppError::Internal("search indexer stopped".into()))?;
        rx.await.map_err(|_| AppError::Internal("search indexer stopped".into()))?
    }
}

/// Runs blocking tantivy work off the async runtime.
pub(super) async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|err| AppError::Internal(format!("search task failed: {err}")))?
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
    let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
    Ok((writer, reader, payload))
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

struct Owner {
    db: DatabaseConnection,
    writer: Arc<Mutex<IndexWriter>>,
    reader: IndexReader,
    fields: Fields,
    database: String,
    seq: i64,
}

impl Owner {
    async fn run(mut self, mut inbox: mpsc::UnboundedReceiver<Request>) {
        let mut tick = tokio::time::interval(POLL);
        loop {
            let first = tokio::select! {
                request = inbox.recv() => match request {
                    Some(request) => Some(request),
                    None => return,
                },
                _ = tick.tick() => None,
            };
            // Coalesce everything already waiting into one commit.
            let mut waiting: Vec<Request> = first.into_iter().collect();
            while let Ok(request) = inbox.try_recv() {
                waiting.push(request);
            }
            let rebuild = waiting.iter().any(|r| matches!(r, Request::Rebuild(_)));
            let outcome = if rebuild { self.rebuild().await } else { self.sync().await };
            if let Err(err) = &outcome {
                tracing::error!(error = %err.cause(), "search index update failed; it will be retried");
            }
            for request in waiting {
                let (Request::Sync(reply) | Request::Rebuild(reply)) = request;
                let _ = reply.send(outcome.clone());
            }
        }
    }

    /// Applies the outbox entries after the last committed one.
    async fn sync(&mut self) -> Result<()> {
        let changes = change::Entity::find()
            .filter(change::Column::Seq.gt(self.seq))
            .order_by_asc(change::Column::Seq)
            .all(&self.db)
            .await?;
        let Some(last) = changes.last().map(|c| c.seq) else { return Ok(()) };
        if changes.iter().any(|c| EntityKind::parse(&c.kind).is_none()) {
            return self.rebuild().await;
        }
        let mut touched: HashMap<EntityKind, BTreeSet<i32>> = HashMap::new();
        for c in &changes {
            if let Some(kind) = EntityKind::parse(&c.kind) {
                touched.entry(kind).or_default().insert(c.entity_id);
            }
        }
        for (kind, ids) in touched.clone() {
            let ids: Vec<i32> = ids.into_iter().collect();
            for (dep_kind, id) in source::dependents(&self.db, kind, &ids).await? {
                touched.entry(dep_kind).or_default().insert(id);
            }
        }
        let mut keys = Vec::new();
        let mut docs = Vec::new();
        for (kind, ids) in touched {
            let ids: Vec<i32> = ids.into_iter().collect();
            keys.extend(ids.iter().map(|&id| key(kind, id)));
            docs.extend(source::load(&self.db, kind, &ids).await?);
        }
        let (writer, fields) = (self.writer.clone(), self.fields);
        blocking(move || {
            let writer = writer.lock().map_err(|_| AppError::Internal("index writer poisoned".into()))?;
            for k in keys {
                writer.delete_term(Term::from_field_text(fields.key, &k));
            }
            for doc in &docs {
                writer.add_document(to_tantivy(&fields, doc))?;
            }
            Ok(())
        })
        .await?;
        self.commit(last).await
    }

    /// Replaces the whole index with the database's content.
    async fn rebuild(&mut self) -> Result<()> {
        let last: Option<i64> = change::Entity::find()
            .select_only()
            .column_as(change::Column::Seq.max(), "max")
            .into_tuple::<Option<i64>>()
            .one(&self.db)
            .await?
            .flatten();
        let writer = self.writer.clone();
        blocking(move || {
            writer.lock().map_err(|_| AppError::Internal("index writer poisoned".into()))?.delete_all_documents()?;
            Ok(())
        })
        .await?;
        for kind in EntityKind::ALL {
            let mut after = 0;
            loop {
                let ids = source::ids_after(&self.db, kind, after, REBUILD_PAGE).await?;
                let Some(&max) = ids.last() else { break };
                after = max;
                let docs = source::load(&self.db, kind, &ids).await?;
                let (writer, fields) = (self.writer.clone(), self.fields);
                blocking(move || {
                    let writer = writer.lock().map_err(|_| AppError::Internal("index writer poisoned".into()))?;
                    for doc in &docs {
                        writer.add_document(to_tantivy(&fields, doc))?;
                    }
                    Ok(())
                })
                .await?;
            }
        }
        self.commit(last.unwrap_or(self.seq).max(self.seq)).await
    }

    /// Commits with `seq` in the payload, makes it searchable, then prunes the applied outbox entries.
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
        change::Entity::delete_many().filter(change::Column::Seq.lte(seq)).exec(&self.db).await?;
        Ok(())
    }
}

/// The unique key of an entity's document.
pub(super) fn key(kind: EntityKind, id: i32) -> String {
    format!("{}:{id}", kind.as_str())
}

fn to_tantivy(f: &Fields, d: &SearchDoc) -> TantivyDocument {
    let kind = d.kind.unwrap_or(EntityKind::Company);
    let mut doc = TantivyDocument::default();
    doc.add_text(f.key, key(kind, d.id));
    doc.add_text(f.kind, kind.as_str());
    doc.add_u64(f.id, d.id as u64);
    doc.add_u64(f.links, d.links);
    let name_sort = words::sort_name(&d.name);
    doc.add_u64(f.name_len, name_sort.chars().count() as u64);
    doc.add_text(f.name_sort, name_sort);
    doc.add_text(f.slug, &d.slug);
    doc.add_text(f.name, &d.name);
    let vocabulary = vocabulary::words_for(&d.stages, &d.programme_kinds, d.organisation_kind, &d.domains);
    // An organisation's city is one of its related names; a company's has a field of its own.
    let place = if kind == EntityKind::Company { d.city.as_ref() } else { None };
    let own_city = if kind == EntityKind::Company { None } else { d.city.as_ref() };
    let primary = std::iter::once(&d.name).chain(&d.aliases).map(|t| t.as_str());
    let related = d.related.iter().map(|t| t.as_str()).chain(own_city.map(|c| c.as_str()));
    let groups = [
        (primary.collect::<Vec<_>>(), f.primary_fr, f.primary_en, f.primary_raw),
        (related.collect(), f.related_fr, f.related_en, f.related_raw),
        (vocabulary, f.vocabulary_fr, f.vocabulary_en, f.vocabulary_raw),
    ];
    for (texts, fr, en, raw) in groups {
        for text in texts {
            // Hyphenated words also match joined: "start-up" as "startup".
            for value in std::iter::once(text.to_string()).chain(words::joined_compounds(text)) {
                doc.add_text(fr, &value);
                doc.add_text(en, &value);
                doc.add_text(raw, &value);
            }
        }
    }
    if let Some(city) = place {
        doc.add_text(f.place_raw, city);
        for joined in words::joined_compounds(city) {
            doc.add_text(f.place_raw, joined);
        }
    }
    for alias in &d.aliases {
        doc.add_text(f.aliases, alias);
    }
    if !d.related.is_empty() {
        doc.add_text(f.related, d.related.join(" · "));
    }
    if let Some(description) = &d.description {
        doc.add_text(f.description, description);
        let stemmed = if d.lang == Some(entity::Lang::En) { f.desc_en } else { f.desc_fr };
        let joined = words::joined_compounds(description).join(" ");
        for value in [description.as_str(), joined.as_str()].into_iter().filter(|v| !v.is_empty()) {
            doc.add_text(stemmed, value);
            doc.add_text(f.desc_raw, value);
        }
    }
    for (field, values) in [(f.domain, &d.domains), (f.stage, &d.stages), (f.programme_kind, &d.programme_kinds)] {
        let mut values = values.clone();
        values.sort_unstable();
        values.dedup();
        for v in values {
            doc.add_text(field, v);
        }
    }
    for (field, value) in [(f.city, &d.city), (f.site, &d.site)] {
        if let Some(v) = value {
            doc.add_text(field, v);
        }
    }
    if let Some(city) = &d.city {
        doc.add_text(f.city_key, words::sort_name(city));
    }
    for (field, values) in [(f.membership, &d.memberships), (f.technology, &d.technologies)] {
        for v in values {
            doc.add_text(field, v);
        }
    }
    doc
}
